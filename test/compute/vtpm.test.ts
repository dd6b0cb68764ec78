// Nova's reject_vtpm_instances: a server with a virtual TPM (hw:tpm_version in its flavor, or
// hw_tpm_version in its image, kept in its system metadata) cannot be rebuilt, shelved, live
// migrated or rescued — a 400 naming the operation, checked before the lock and the state, and
// nothing changes; without the TPM the same requests are taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSystemMetadata } from '../../src/compute/objects/instance_system_metadata.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

describe('servers with a vTPM', () => {
  let t: ServersCloud;

  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    for (const host of ['tpm1', 'tpm2']) {
      await t.hypervisor({ host, vcpus: 8 });
      t.manager(host, new TestDriver([testNode(host)]));
    }
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown, version = '2.93') =>
    t.nova('POST', `/servers/${id}/action`, body, { token: t.admin, version });
  const message = (r: { body: unknown }) => Object.values(r.body as Record<string, { message: string }>)[0]!.message;
  // A TPM version from the server's image, as a create keeps its image's properties.
  const tpm = (id: string) => setSystemMetadata(t.db, id, 'image_hw_tpm_version', '2.0');

  it('refuses rebuild, shelve, live migration and rescue with a 400, before the lock, changing nothing', async () => {
    const id = await t.boot({ name: 'with-tpm' }, { token: t.admin });
    await t.waitFor(id, ['ACTIVE']);
    await tpm(id);
    // Locked too: the vTPM is what Nova names first.
    expect((await act(id, { lock: null })).status).toBe(202);
    const refused: [string, unknown][] = [
      ['rebuild', { rebuild: { imageRef: t.imageId } }],
      ['shelve', { shelve: null }],
      ['live-migration', { 'os-migrateLive': { host: null, block_migration: 'auto' } }],
      ['rescue', { rescue: null }],
    ];
    for (const [operation, body] of refused) {
      const r = await act(id, body);
      expect([r.status, message(r)], operation).toEqual([
        400,
        `Operation '${operation}' not supported for vTPM-enabled instance (${id}).`,
      ]);
    }
    const s = (await t.nova('GET', `/servers/${id}`)).body.server;
    expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['ACTIVE', null]);
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    expect(actions.map((a: { action: string }) => a.action).sort()).toEqual(['create', 'lock']);
  });

  it('takes the same requests for a server without one', async () => {
    const id = await t.boot({ name: 'without-tpm' }, { token: t.admin });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { rebuild: { imageRef: t.imageId } })).status).toBe(202);
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status).toBe(202);
  });
});
