// rescue and unrescue as Nova does them (rescue.py, compute.api.API.rescue, the manager's
// rescue_instance): 200 {"adminPass"} (given or generated; {} with [api] enable_instance_password
// off), the password handed to the host's driver as the job's secret and in no row, answer or
// event beside the rescue's own answer; from ACTIVE, SHUTOFF or ERROR to RESCUE, and back to
// ACTIVE; the rescue image checked in Glance as the caller sees it (400), vTPM refused (400),
// wrong states and locks 409, bad bodies 400, unknown servers 404, the policies (unrescue's
// deprecated rule is os-rescue's) 403; a driver's failure puts the server in ERROR, an image the
// host cannot find leaves it as it was; a handler run again after a crash does nothing twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/common/jobs/index.js';
import { rescueHandlers } from '../../src/compute/manager/rescue.js';
import { RESCUE_INSTANCE } from '../../src/compute/objects/instance_rescue.js';
import { setSystemMetadata } from '../../src/compute/objects/instance_system_metadata.js';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

describe('rescue and unrescue', () => {
  let t: ServersCloud;
  const driver = new TestDriver([testNode('res1')]);
  let policyDir = '';
  let reader = '';

  beforeAll(async () => {
    // Overriding os-rescue alone (members only) also rules unrescue, whose deprecated rule it is.
    policyDir = mkdtempSync(join(tmpdir(), 'concord-rescue-policy-'));
    writeFileSync(
      join(policyDir, 'policy.yaml'),
      '"os_compute_api:os-rescue": "role:member and project_id:%(project_id)s"\n',
    );
    t = await startServersCloud({ computePolicyFile: join(policyDir, 'policy.yaml') });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'res1', vcpus: 8 });
    t.manager('res1', driver);
    const role = (await t.local.call('GET', '/identity/v3/roles?name=reader', t.admin)).body.roles[0].id as string;
    const user = await t.local.call('POST', '/identity/v3/users', t.admin, {
      user: { name: 'rescue-reader', password: 'reader-Pass-1', domain_id: 'default' },
    });
    await t.local.call(
      'PUT',
      `/identity/v3/projects/${t.demoProject}/users/${user.body.user.id}/roles/${role}`,
      t.admin,
    );
    reader = await t.local.login('rescue-reader', 'reader-Pass-1', 'demo');
  }, 60000);
  afterAll(async () => {
    await t?.close();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  const act = (id: string, body: unknown, token = t.demo) => t.nova('POST', `/servers/${id}/action`, body, { token });
  const message = (r: { body: unknown }) => Object.values(r.body as Record<string, { message: string }>)[0]!.message;
  const settled = async (id: string) => {
    let s: any;
    await until(`server ${id} settled`, async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s['OS-EXT-STS:task_state'] === null;
    });
    return s;
  };
  const events = async (id: string, action: string) => {
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions as any[];
    const found = actions.find((a) => a.action === action)!;
    const shown = await t.nova('GET', `/servers/${id}/os-instance-actions/${found.request_id}`);
    return (shown.body.instanceAction.events as any[]).map((e) => [e.event, e.result]);
  };
  const rescueJobs = async () =>
    (
      await sql<{ state: string; payload: string; secret: string | null }>`SELECT state, payload, secret
      FROM compute_jobs WHERE kind = 'rescue_instance' ORDER BY id`.execute(t.db)
    ).rows;
  const rowsHolding = async (text: string) =>
    (await sql`SELECT * FROM compute_jobs`.execute(t.db)).rows.filter((r) => JSON.stringify(r).includes(text));
  const image = async (properties: Record<string, string>, visibility = 'public') => {
    const r = await t.local.call('POST', '/image/v2/images', t.admin, {
      name: 'rescue-image',
      disk_format: 'raw',
      container_format: 'bare',
      visibility,
      ...properties,
    });
    if (r.status !== 201) throw new Error(`image: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  };

  it("rescues an ACTIVE server with the caller's password, keeps it in no row or answer, and unrescues it", async () => {
    const id = await t.boot({ name: 'rescue-me' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const r = await act(id, { rescue: { adminPass: 'Resc-Pass-1' } });
    expect([r.status, r.body]).toEqual([200, { adminPass: 'Resc-Pass-1' }]);
    const s = await t.waitFor(id, ['RESCUE']);
    expect([s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:task_state'], s['OS-EXT-STS:power_state']]).toEqual([
      'rescued',
      null,
      1,
    ]);
    // The guest powered off, then booted from its own image (no other asked, no base image).
    expect(driver.calls.filter((c) => c.endsWith(id)).slice(-2)).toEqual([`power-off ${id}`, `rescue ${id}`]);
    expect(driver.rescues.get(id)).toEqual({ id: t.imageId, device: null, bus: null });
    expect(driver.passwords.get(id)).toBe('Resc-Pass-1');
    expect(await events(id, 'rescue')).toEqual([['compute_rescue_instance', 'Success']]);
    await until('the job to end', async () => (await rescueJobs())[0]?.state === 'succeeded');
    expect((await rescueJobs())[0]).toMatchObject({ secret: null });
    expect(JSON.parse((await rescueJobs())[0]!.payload)).toMatchObject({ uuid: id, rescue_image_ref: null });
    expect(await rowsHolding('Resc-Pass-1')).toEqual([]);
    const shown = await Promise.all([
      t.nova('GET', `/servers/${id}`),
      t.nova('GET', '/servers/detail'),
      t.nova('GET', `/servers/${id}/os-instance-actions`),
    ]);
    for (const answer of shown) expect(JSON.stringify(answer.body)).not.toContain('Resc-Pass-1');

    // What a rescued server refuses: Nova's 409s.
    for (const [body, name] of [
      [{ reboot: { type: 'HARD' } }, 'reboot'],
      [{ rebuild: { imageRef: t.imageId } }, 'rebuild'],
      [{ 'os-stop': null }, 'stop'],
      [{ rescue: null }, 'rescue'],
      [{ pause: null }, 'pause'],
    ] as const) {
      const refused = await act(id, body);
      expect([refused.status, message(refused)]).toEqual([
        409,
        `Cannot '${name}' instance ${id} while it is in vm_state rescued`,
      ]);
    }

    expect((await act(id, { unrescue: null })).status).toBe(202);
    const back = await settled(id);
    expect([back.status, back['OS-EXT-STS:power_state']]).toEqual(['ACTIVE', 1]);
    expect(driver.rescues.has(id)).toBe(false);
    expect(await events(id, 'unrescue')).toEqual([['compute_unrescue_instance', 'Success']]);
    const again = await act(id, { unrescue: {} });
    expect([again.status, message(again)]).toEqual([
      409,
      `Cannot 'unrescue' instance ${id} while it is in vm_state active`,
    ]);
    await t.remove(id);
  });

  it('generates a password, rescues from a given image, and from SHUTOFF or ERROR', async () => {
    const id = await t.boot({ name: 'rescue-more' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const generated = await act(id, { rescue: null });
    expect(generated.status).toBe(200);
    expect(generated.body.adminPass).toMatch(/^[a-zA-Z0-9]{12}$/);
    await t.waitFor(id, ['RESCUE']);
    expect(driver.passwords.get(id)).toBe(generated.body.adminPass);
    expect((await act(id, { unrescue: null })).status).toBe(202);
    await t.waitFor(id, ['ACTIVE']);

    // Stable device rescue (2.87's image properties) from a stopped server; unrescued, it runs.
    const stable = await image({ hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' });
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await t.waitFor(id, ['SHUTOFF']);
    expect((await act(id, { rescue: { rescue_image_ref: stable } })).status).toBe(200);
    expect((await t.waitFor(id, ['RESCUE']))['OS-EXT-STS:power_state']).toBe(1);
    expect(driver.rescues.get(id)).toEqual({ id: stable, device: 'disk', bus: 'virtio' });
    expect(JSON.parse((await rescueJobs()).at(-1)!.payload)).toMatchObject({ rescue_image_ref: stable });
    expect((await act(id, { unrescue: null })).status).toBe(202);
    expect((await settled(id)).status).toBe('ACTIVE');

    // From ERROR.
    expect((await act(id, { 'os-resetState': { state: 'error' } }, t.admin)).status).toBe(202);
    expect((await act(id, { rescue: {} })).status).toBe(200);
    await t.waitFor(id, ['RESCUE']);
    expect((await act(id, { unrescue: null })).status).toBe(202);
    await t.waitFor(id, ['ACTIVE']);
    await t.remove(id);
  });

  it("refuses bad bodies, images the caller cannot use, vTPM, locks, wrong states and readers with Nova's answers", async () => {
    const id = await t.boot({ name: 'rescue-refused' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const asked = driver.calls.length;
    for (const body of [
      { rescue: { adminPass: 1 } },
      { rescue: { rescue_image_ref: 'not-a-uuid' } },
      { rescue: { image: t.imageId } },
      { rescue: 'now' },
      { rescue: null, unrescue: null },
    ]) {
      const r = await act(id, body);
      expect([JSON.stringify(body), r.status, Object.keys(r.body)]).toEqual([
        JSON.stringify(body),
        400,
        ['badRequest'],
      ]);
    }
    // Nova quotes the body of a bad rescue or changePassword back; its password, never.
    const quoted = await act(id, { rescue: { adminPass: 'Leak-Pass-1', extra: 1 } });
    expect([quoted.status, message(quoted)]).toEqual([
      400,
      "Invalid input for field/attribute rescue. Value: {'adminPass': '******', 'extra': 1}. " +
        "Additional properties are not allowed ('extra' was unexpected)",
    ]);
    const changed = await act(id, { changePassword: { adminPass: 'Leak-Pass-2', extra: 1 } });
    expect([changed.status, JSON.stringify(changed.body)]).toEqual([400, expect.not.stringContaining('Leak-Pass')]);
    expect((await act(id, { rescue: { adminPass: 'Bad-Ref-Pass', rescue_image_ref: 'x' } })).body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute rescue_image_ref. Value: x. 'x' is not a 'uuid'",
      },
    });
    const unknown = crypto.randomUUID();
    const volumeSnapshot = await image({ img_block_device_mapping: '[{"source_type": "snapshot"}]' });
    const adminsOwn = await image({}, 'private');
    for (const ref of [unknown, volumeSnapshot, adminsOwn]) {
      const r = await act(id, { rescue: { rescue_image_ref: ref } });
      expect([r.status, r.body]).toEqual([
        400,
        { badRequest: { code: 400, message: `Requested rescue image '${ref}' is not supported` } },
      ]);
    }
    expect((await act(crypto.randomUUID(), { rescue: null })).status).toBe(404);
    const admins = await t.boot({ name: 'rescue-admins' });
    await t.waitFor(admins, ['ACTIVE']);
    expect((await act(admins, { rescue: null })).status).toBe(404);

    // A vTPM (here from the server's image) cannot be rescued.
    await setSystemMetadata(t.db, id, 'image_hw_tpm_version', '2.0');
    const vtpm = await act(id, { rescue: null });
    expect([vtpm.status, message(vtpm)]).toEqual([
      400,
      `Operation 'rescue' not supported for vTPM-enabled instance (${id}).`,
    ]);
    await setSystemMetadata(t.db, id, 'image_hw_tpm_version', null);

    // Locked by an administrator: its owner is refused, before the image is looked at.
    expect((await act(id, { lock: null }, t.admin)).status).toBe(202);
    const locked = await act(id, { rescue: { rescue_image_ref: unknown } });
    expect([locked.status, message(locked)]).toEqual([409, `Instance ${id} is locked`]);
    expect((await act(id, { unlock: null }, t.admin)).status).toBe(202);

    expect((await act(id, { pause: null })).status).toBe(202);
    await t.waitFor(id, ['PAUSED']);
    const paused = await act(id, { rescue: null });
    expect([paused.status, message(paused)]).toEqual([
      409,
      `Cannot 'rescue' instance ${id} while it is in vm_state paused`,
    ]);
    expect((await act(id, { unpause: null })).status).toBe(202);
    await settled(id);

    // The project's reader: os-rescue's override refuses it, and rules unrescue too.
    const rescueRefused = await act(id, { rescue: null }, reader);
    expect([rescueRefused.status, message(rescueRefused)]).toEqual([
      403,
      "Policy doesn't allow os_compute_api:os-rescue to be performed.",
    ]);
    expect((await act(id, { rescue: null })).status).toBe(200);
    await t.waitFor(id, ['RESCUE']);
    const unrescueRefused = await act(id, { unrescue: null }, reader);
    expect([unrescueRefused.status, message(unrescueRefused)]).toEqual([
      403,
      "Policy doesn't allow os_compute_api:os-unrescue to be performed.",
    ]);
    expect((await act(id, { lock: null }, t.admin)).status).toBe(202);
    expect((await act(id, { unrescue: null })).status).toBe(409);
    expect((await act(id, { unlock: null }, t.admin)).status).toBe(202);
    expect((await act(id, { unrescue: null })).status).toBe(202);
    await t.waitFor(id, ['ACTIVE']);
    // Nothing refused reached the host.
    expect(driver.calls.slice(asked).filter((c) => c.startsWith('rescue') || c.startsWith('power-off'))).toEqual([
      `power-off ${id}`,
      `rescue ${id}`,
    ]);
    await t.remove(id);
    await t.remove(admins);
  });

  it('puts a server whose driver fails in ERROR, leaves one whose image is gone as it was, and erases the password', async () => {
    const id = await t.boot({ name: 'rescue-fails' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    driver.failRescues = true;
    try {
      expect((await act(id, { rescue: { adminPass: 'Doomed-Pass-1' } })).status).toBe(200);
      const s = await t.waitFor(id, ['ERROR']);
      expect(s['OS-EXT-STS:task_state']).toBeNull();
      expect(s.fault).toMatchObject({
        code: 400,
        message: `Instance ${id} cannot be rescued: Driver Error: the rescue image does not boot`,
      });
      expect(await events(id, 'rescue')).toEqual([['compute_rescue_instance', 'Error']]);
      await until('the job to end', async () => (await rescueJobs()).every((j) => j.state !== 'running'));
      expect(await rowsHolding('Doomed-Pass-1')).toEqual([]);
    } finally {
      driver.failRescues = false;
    }
    expect((await act(id, { 'os-resetState': { state: 'active' } }, t.admin)).status).toBe(202);

    // The server's image is gone from Glance: the host finds no rescue image, nothing changes.
    const missing = crypto.randomUUID();
    await t.db.updateTable('instances').set({ image_ref: missing }).where('uuid', '=', id).execute();
    const rescues = driver.calls.filter((c) => c === `rescue ${id}`).length;
    expect((await act(id, { rescue: null })).status).toBe(200);
    expect((await settled(id)).status).toBe('ACTIVE');
    await until('the event to fail', async () => (await events(id, 'rescue'))[0]?.[1] === 'Error');
    const fault = await t.db
      .selectFrom('instance_faults')
      .select(['code', 'message'])
      .where('instance_uuid', '=', id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(fault.code).toBe(404);
    expect(driver.calls.filter((c) => c === `rescue ${id}`)).toHaveLength(rescues);
    await t.db.updateTable('instances').set({ image_ref: t.imageId }).where('uuid', '=', id).execute();

    // Unrescue fails: ERROR, as Nova's _error_out_instance_on_exception leaves it.
    expect((await act(id, { rescue: null })).status).toBe(200);
    await t.waitFor(id, ['RESCUE']);
    driver.failRescues = true;
    try {
      expect((await act(id, { unrescue: null })).status).toBe(202);
      const s = await t.waitFor(id, ['ERROR']);
      expect([s['OS-EXT-STS:task_state'], s.fault.message]).toEqual([null, 'the guest disk does not boot']);
      expect(await events(id, 'unrescue')).toEqual([['compute_unrescue_instance', 'Error']]);
    } finally {
      driver.failRescues = false;
    }
    await t.remove(id);
  });

  it('does nothing twice when a rescue job runs again after its agent died', async () => {
    const id = await t.boot({ name: 'rescue-again' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { rescue: { adminPass: 'Twice-Pass-1' } })).status).toBe(200);
    await t.waitFor(id, ['RESCUE']);
    const calls = driver.calls.length;
    const handler = rescueHandlers(t.managerEnv('res1', driver))[RESCUE_INSTANCE]!;
    const [latest] = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const job = {
      payload: { uuid: id, action_request_id: latest.request_id, rescue_image_ref: null },
      secret: { admin_password: 'Twice-Pass-1' },
    } as Job;
    await handler(job);
    expect(driver.calls.length).toBe(calls);
    expect((await t.nova('GET', `/servers/${id}`)).body.server.status).toBe('RESCUE');
    await t.remove(id);
  });
});

describe('rescue with [api] enable_instance_password off', () => {
  let t: ServersCloud;
  const driver = new TestDriver([testNode('nopw1')]);
  beforeAll(async () => {
    t = await startServersCloud({ enableInstancePassword: false });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'nopw1' });
    t.manager('nopw1', driver);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers no adminPass to a create, a rebuild or a rescue; the host still gets the password', async () => {
    const created = await t.nova('POST', '/servers', {
      server: { name: 'quiet', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none', adminPass: 'Quiet-Pass-1' },
    });
    expect(created.status).toBe(202);
    expect(created.body.server.adminPass).toBeUndefined();
    const id = created.body.server.id as string;
    await t.waitFor(id, ['ACTIVE']);
    const rebuilt = await t.nova('POST', `/servers/${id}/action`, { rebuild: { imageRef: t.imageId } });
    expect([rebuilt.status, 'adminPass' in rebuilt.body.server]).toEqual([202, false]);
    await t.waitFor(id, ['ACTIVE']);
    const rescued = await t.nova('POST', `/servers/${id}/action`, { rescue: { adminPass: 'Quiet-Pass-2' } });
    expect([rescued.status, rescued.body]).toEqual([200, {}]);
    await t.waitFor(id, ['RESCUE']);
    expect(driver.passwords.get(id)).toBe('Quiet-Pass-2');
    await t.remove(id);
  });
});
