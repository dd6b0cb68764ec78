// Placement's rules under the modes upstream's functional tests use (their legacy, secure and
// open policy fixtures).
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/common/http/context.js';
import { loadConfig } from '../../../src/common/config.js';
import { placementEnforcer, placementPolicyMode } from '../../../src/placement/policies.js';

const P = 'placement:';
const systemAdmin: RequestContext = {
  userId: 'u',
  projectId: null,
  systemScope: 'all',
  roles: ['admin', 'member', 'reader'],
};
const systemReader: RequestContext = { userId: 'u', projectId: null, systemScope: 'all', roles: ['reader'] };
const projectAdmin: RequestContext = {
  userId: 'u',
  projectId: 'p1',
  systemScope: null,
  roles: ['admin', 'member', 'reader'],
};
const projectMember: RequestContext = { userId: 'u', projectId: 'p1', systemScope: null, roles: ['member', 'reader'] };
const projectReader: RequestContext = { userId: 'u', projectId: 'p1', systemScope: null, roles: ['reader'] };
const nobody: RequestContext = { userId: 'user', projectId: 'user', systemScope: null, roles: [] };

function enforcer(mode: string) {
  const m = placementPolicyMode(mode);
  return placementEnforcer({ config: loadConfig(undefined, {}, m.config), configDir: '/nonexistent', open: m.open });
}

const READS = [
  'resource_providers:list',
  'resource_providers:show',
  'resource_classes:list',
  'traits:show',
  'allocations:list',
  'allocation_candidates:list',
  'resource_providers:usages',
];
const WRITES = [
  'resource_providers:create',
  'resource_providers:delete',
  'resource_providers:inventories:update',
  'allocations:manage',
  'traits:update',
  'reshaper:reshape',
];

describe('placement policy', () => {
  const legacy = enforcer('legacy');
  const secure = enforcer('secure');
  const open = enforcer('open');

  it('declares rules that all parse and resolve', () => {
    for (const e of [legacy, secure, open]) expect(e.problems).toEqual([]);
  });

  it.each([...READS, ...WRITES])('legacy: %s lets admins of any scope through, not members', (rule) => {
    expect(legacy.allowed(projectAdmin, P + rule)).toBe(true);
    expect(legacy.allowed(systemAdmin, P + rule)).toBe(true);
    expect(legacy.allowed(projectMember, P + rule)).toBe(false);
    expect(legacy.allowed(nobody, P + rule)).toBe(false);
  });

  it.each(READS)('secure: %s is for system readers only', (rule) => {
    expect(secure.allowed(systemReader, P + rule)).toBe(true);
    expect(secure.allowed(systemAdmin, P + rule)).toBe(true);
    expect(secure.allowed(projectAdmin, P + rule)).toBe(false);
    expect(secure.allowed(projectReader, P + rule)).toBe(false);
  });

  it.each(WRITES)('secure: %s is for system admins only', (rule) => {
    expect(secure.allowed(systemAdmin, P + rule)).toBe(true);
    expect(secure.allowed(systemReader, P + rule)).toBe(false);
    expect(secure.allowed(projectAdmin, P + rule)).toBe(false);
  });

  it('legacy: a system reader reads but does not write', () => {
    expect(legacy.allowed(systemReader, `${P}resource_providers:list`)).toBe(true);
    expect(legacy.allowed(systemReader, `${P}resource_providers:create`)).toBe(false);
  });

  it('usages: readers of the project asked about, and system readers', () => {
    const usages = `${P}usages`;
    expect(secure.allowed(projectReader, usages, { project_id: 'p1' })).toBe(true);
    expect(secure.allowed(projectAdmin, usages, { project_id: 'p2' })).toBe(false);
    expect(secure.allowed(systemReader, usages, { project_id: 'p2' })).toBe(true);
    expect(legacy.allowed(projectMember, usages, { project_id: 'p1' })).toBe(true);
    expect(legacy.allowed(projectMember, usages, { project_id: 'p2' })).toBe(false);
    expect(legacy.allowed(projectAdmin, usages, { project_id: 'p2' })).toBe(true);
    // Without a target a project reader reads their own project, as upstream's default target says.
    expect(secure.allowed(projectReader, usages)).toBe(true);
  });

  it("answers 403 with upstream's message", () => {
    expect(() => secure.enforce(projectAdmin, `${P}resource_providers:list`)).toThrow(
      'Policy does not allow placement:resource_providers:list to be performed.',
    );
  });

  it('open: any token passes every rule but admin_api', () => {
    for (const rule of [...READS, ...WRITES, 'usages']) expect(open.allowed(nobody, P + rule)).toBe(true);
    expect(open.allowed(nobody, 'admin_api')).toBe(false);
  });

  it('maps PLACEMENT_POLICY_MODE onto the [oslo_policy] options', () => {
    expect(placementPolicyMode(undefined)).toEqual({ config: {}, open: false });
    expect(placementPolicyMode('default')).toEqual({
      config: { enforceScope: false, enforceNewDefaults: false },
      open: false,
    });
    expect(placementPolicyMode('secure')).toEqual({
      config: { enforceScope: true, enforceNewDefaults: true },
      open: false,
    });
    expect(placementPolicyMode('open').open).toBe(true);
    expect(() => placementPolicyMode('strict')).toThrow(/PLACEMENT_POLICY_MODE=strict/);
  });
});

describe('placement service wiring', () => {
  it('enforces the mode it is started in', async () => {
    const { startPlacement } = await import('../../helpers/placement.js');
    const as = (roles: string, extra: Record<string, string> = {}) => ({
      'x-auth-token': 'user',
      'x-roles': roles,
      ...extra,
    });
    const secure = await startPlacement({ policyMode: 'secure' });
    try {
      expect((await secure.call('GET', '/resource_classes', undefined, as('admin,member,reader'))).status).toBe(403);
      expect(
        (await secure.call('GET', '/resource_classes', undefined, as('reader', { 'openstack-system-scope': 'all' })))
          .status,
      ).toBe(200);
    } finally {
      await secure.close();
    }
    const legacy = await startPlacement();
    try {
      expect((await legacy.call('GET', '/resource_classes')).status).toBe(200);
      const denied = await legacy.call('GET', '/resource_classes', undefined, as('member,reader'));
      expect(denied.status).toBe(403);
      expect(denied.body.errors[0].detail).toContain(
        'Policy does not allow placement:resource_classes:list to be performed.',
      );
    } finally {
      await legacy.close();
    }
  });
});
