// The real `openstack` CLI (novaclient-free: openstacksdk underneath) against the compute API of a
// real `concord up` process: flavors with properties, key pairs, quotas, aggregates with a host
// and a zone, availability zones.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/common/db/index.js';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

// Each `openstack` run starts a Python interpreter (seconds on a busy machine): a test running
// several gets minutes.
describe.skipIf(skip)(`openstack CLI: compute${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud();
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c);

  it('creates a flavor, sets properties and shows them', () => {
    json(['flavor', 'create', '--vcpus', '64', '--ram', '131072', '--disk', '371', 'bare-metal-gold']);
    ok([
      'flavor',
      'set',
      '--property',
      'resources:CUSTOM_GOLD=1',
      '--property',
      'resources:VCPU=0',
      '--property',
      'resources:MEMORY_MB=0',
      '--property',
      'resources:DISK_GB=0',
      'bare-metal-gold',
    ]);
    const shown = json([
      'flavor',
      'show',
      'bare-metal-gold',
      '-c',
      'name',
      '-c',
      'vcpus',
      '-c',
      'ram',
      '-c',
      'disk',
      '-c',
      'properties',
    ]);
    expect(shown).toEqual({
      name: 'bare-metal-gold',
      vcpus: 64,
      ram: 131072,
      disk: 371,
      properties: {
        'resources:CUSTOM_GOLD': '1',
        'resources:VCPU': '0',
        'resources:MEMORY_MB': '0',
        'resources:DISK_GB': '0',
      },
    });
    // Validated from 2.86 (the CLI asks for less by default).
    const bad = c.osc([
      '--os-compute-api-version',
      '2.86',
      'flavor',
      'set',
      '--property',
      'hw:cpu_policy=sometimes',
      'bare-metal-gold',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/not one of: dedicated, shared, mixed/);
    json(['flavor', 'create', '--vcpus', '1', '--ram', '1024', '--disk', '1', 'vm-tiny']);
    const list = json(['flavor', 'list']);
    expect(list.map((f: { Name: string }) => f.Name).sort()).toEqual(['bare-metal-gold', 'vm-tiny']);
  }, 180000);

  it('creates a key pair and lists it', () => {
    // Without a public key the CLI prints the private key it was given.
    expect(ok(['keypair', 'create', 'mykey'], 'concord-demo').stdout).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const kp = json(['keypair', 'show', 'mykey'], 'concord-demo');
    expect(kp).toMatchObject({ name: 'mykey' });
    expect(kp.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const list = json(['keypair', 'list'], 'concord-demo');
    expect(list.map((k: { Name: string }) => k.Name)).toEqual(['mykey']);
    expect(json(['keypair', 'list'])).toEqual([]);
  }, 180000);

  it('shows and sets quotas', () => {
    ok(['quota', 'set', '--cores', '40', '--instances', '15', 'demo']);
    const shown = json(['quota', 'show', 'demo']);
    const byResource = Array.isArray(shown)
      ? Object.fromEntries(shown.map((r: { Resource: string; Limit: number }) => [r.Resource, r.Limit]))
      : shown;
    expect(byResource).toMatchObject({ cores: 40, instances: 15, ram: 51200 });
  }, 180000);

  it('creates an aggregate with a zone, adds a compute host, sets properties; lists the zones', async () => {
    // What a compute agent registers for its host.
    const db = openDatabase<ComputeDB>(join(c.dataDir, 'compute.sqlite'));
    const ts = new Date().toISOString();
    await db.db
      .insertInto('services')
      .values({
        uuid: randomUUID(),
        host: 'cmp1',
        binary: 'nova-compute',
        topic: 'compute',
        report_count: 1,
        disabled: 0,
        disabled_reason: null,
        last_seen_up: ts,
        forced_down: 0,
        version: 64,
        created_at: ts,
        updated_at: ts,
        deleted_at: null,
      })
      .execute();
    await db.close();
    const agg = json(['aggregate', 'create', '--zone', 'az1', 'rack-a']);
    expect(agg).toMatchObject({ name: 'rack-a', availability_zone: 'az1' });
    const added = json(['aggregate', 'add', 'host', 'rack-a', 'cmp1']);
    expect(added.hosts).toEqual(['cmp1']);
    ok(['aggregate', 'set', '--property', 'ssd=true', 'rack-a']);
    const shown = json(['aggregate', 'show', 'rack-a']);
    expect(shown.properties).toMatchObject({ ssd: 'true' });
    expect(c.osc(['aggregate', 'add', 'host', 'rack-a', 'nowhere']).stderr).toMatch(
      /Compute host nowhere could not be found/,
    );
    const zones = json(['availability', 'zone', 'list', '--compute']);
    // The admin's detailed list has the internal zone of the API process's conductor and scheduler, as Nova's.
    expect(zones).toEqual([
      { 'Zone Name': 'az1', 'Zone Status': 'available' },
      { 'Zone Name': 'internal', 'Zone Status': 'available' },
    ]);
  }, 180000);
});
