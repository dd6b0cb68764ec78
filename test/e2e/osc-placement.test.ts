// The real `openstack` CLI with osc-placement against `concord up`, through the written clouds.yaml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient python3-osc-placement');
const V = ['--os-placement-api-version', '1.39'];

describe.skipIf(skip)(`openstack CLI: placement${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  let hv: string;
  beforeAll(async () => {
    c = await startCloud();
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const ok = (args: string[]) => {
    const r = c.osc([...V, ...args]);
    expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.json;
  };

  it('creates, lists and shows resource providers', () => {
    hv = ok(['resource', 'provider', 'create', 'hv1', '-f', 'json']).uuid;
    const child = ok(['resource', 'provider', 'create', 'hv1-numa0', '--parent-provider', hv, '-f', 'json']);
    expect(child.root_provider_uuid).toBe(hv);
    const list = ok(['resource', 'provider', 'list', '-f', 'json']);
    expect(list.map((p: { name: string }) => p.name).sort()).toEqual(['hv1', 'hv1-numa0']);
    expect(ok(['resource', 'provider', 'show', hv, '-f', 'json']).name).toBe('hv1');
  });

  it('sets and lists inventory', () => {
    ok([
      'resource',
      'provider',
      'inventory',
      'set',
      hv,
      '--resource',
      'VCPU=16',
      '--resource',
      'VCPU:allocation_ratio=4.0',
      '--resource',
      'MEMORY_MB=65536',
      '--resource',
      'DISK_GB=1000',
      '-f',
      'json',
    ]);
    const inv = ok(['resource', 'provider', 'inventory', 'list', hv, '-f', 'json']);
    const vcpu = inv.find((i: { resource_class: string }) => i.resource_class === 'VCPU');
    expect(vcpu.total).toBe(16);
    expect(vcpu.allocation_ratio).toBe(4);
  });

  it('sets traits and aggregates', () => {
    ok(['trait', 'create', 'CUSTOM_RACK_A']);
    ok([
      'resource',
      'provider',
      'trait',
      'set',
      hv,
      '--trait',
      'CUSTOM_RACK_A',
      '--trait',
      'HW_CPU_X86_AVX2',
      '-f',
      'json',
    ]);
    const traits = ok(['resource', 'provider', 'trait', 'list', hv, '-f', 'json']).map((t: { name: string }) => t.name);
    expect(traits.sort()).toEqual(['CUSTOM_RACK_A', 'HW_CPU_X86_AVX2']);
    const agg = '6b5c0e3a-1d1f-4a0e-9a4e-2f0c9d1b7a11';
    ok(['resource', 'provider', 'aggregate', 'set', hv, '--aggregate', agg, '--generation', '2', '-f', 'json']);
    const aggs = ok(['resource', 'provider', 'aggregate', 'list', hv, '-f', 'json']);
    expect(aggs.map((a: { uuid: string }) => a.uuid)).toEqual([agg]);
  });

  it('lists allocation candidates and reports usage', () => {
    const cands = ok([
      'allocation',
      'candidate',
      'list',
      '--resource',
      'VCPU=2',
      '--resource',
      'MEMORY_MB=2048',
      '--required',
      'HW_CPU_X86_AVX2',
      '-f',
      'json',
    ]);
    expect(cands.length).toBe(1);
    expect(cands[0].resource_provider ?? cands[0]['resource provider']).toBe(hv);
    expect(ok(['allocation', 'candidate', 'list', '--resource', 'VCPU=200', '-f', 'json'])).toEqual([]);
    const consumer = '0b6a7e1c-0c6e-4f6e-9d7a-3f6a4b5c2d10';
    ok([
      'resource',
      'provider',
      'allocation',
      'set',
      consumer,
      '--allocation',
      `rp=${hv},VCPU=2,MEMORY_MB=2048`,
      '--project-id',
      'p1',
      '--user-id',
      'u1',
      '--consumer-type',
      'INSTANCE',
      '-f',
      'json',
    ]);
    const held = ok(['resource', 'provider', 'allocation', 'show', consumer, '-f', 'json']);
    expect(held).toEqual([expect.objectContaining({ resource_provider: hv, resources: { VCPU: 2, MEMORY_MB: 2048 } })]);
    const usage = ok(['resource', 'provider', 'usage', 'show', hv, '-f', 'json']);
    const vcpu = usage.find((u: { resource_class: string }) => u.resource_class === 'VCPU');
    expect(vcpu.usage).toBe(2);
  });
});
