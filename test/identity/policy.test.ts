// Identity asks the policy engine with Keystone's rule names and targets, so that the oslo.policy
// defaults (reader/self rules) can decide; here a recording enforcer stands in for the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Enforcer } from '../../src/common/policy/index.js';
import type { RequestContext } from '../../src/common/http/context.js';
import { IDENTITY_RULES } from '../../src/identity/index.js';
import { DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

class Recorder implements Enforcer {
  calls: { rule: string; ctx: RequestContext; target: Record<string, unknown> }[] = [];
  allowed(ctx: RequestContext, rule: string, target: Record<string, unknown> = {}): boolean {
    this.calls.push({ rule, ctx, target });
    return true;
  }
  enforce(ctx: RequestContext, rule: string, target?: Record<string, unknown>): void {
    this.allowed(ctx, rule, target);
  }
}

describe('policy checks', () => {
  let t: TestIdentity;
  const rec = new Recorder();
  beforeAll(async () => {
    t = await startIdentity({ policy: rec });
  });
  afterAll(async () => {
    await t.close();
  });

  it('declares a default for every rule identity enforces', async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    rec.calls = [];
    await t.call('GET', `/v3/users/${t.boot.demoUserId}`, undefined, as);
    await t.call('GET', '/v3/auth/tokens', undefined, { ...as, 'x-subject-token': demo.token });
    await t.call('GET', `/v3/projects/${t.boot.demoProjectId}`, undefined, as);
    await t.call('GET', `/v3/users/${t.boot.demoUserId}/application_credentials`, undefined, as);
    await t.call('GET', '/v3/role_assignments?scope.domain.id=default', undefined, as);
    await t.call('GET', `/v3/system/users/${t.boot.demoUserId}/roles`, undefined, as);
    const declared = new Set(IDENTITY_RULES.map((r) => r.name));
    for (const c of rec.calls) expect(declared.has(c.rule), c.rule).toBe(true);
    const byRule = Object.fromEntries(rec.calls.map((c) => [c.rule, c]));
    expect(byRule['identity:get_user']!.target['target.user.id']).toBe(t.boot.demoUserId);
    expect(byRule['identity:get_user']!.target['target.user.domain_id']).toBe('default');
    expect(byRule['identity:validate_token']!.target['target.token.user_id']).toBe(t.boot.demoUserId);
    expect(byRule['identity:get_project']!.target['target.project.id']).toBe(t.boot.demoProjectId);
    expect(byRule['identity:list_application_credentials']!.target.user_id).toBe(t.boot.demoUserId);
    expect(byRule['identity:list_role_assignments']!.target['target.domain_id']).toBe('default');
    expect(byRule['identity:list_system_grants_for_user']).toBeDefined();
    expect(byRule['identity:get_user']!.ctx).toMatchObject({
      userId: t.boot.demoUserId,
      projectId: t.boot.demoProjectId,
      systemScope: null,
    });
    expect(byRule['identity:get_user']!.ctx.roles.sort()).toEqual(['member', 'reader']);
  });

  it('writes need admin and reads allow readers, by the declared defaults', () => {
    const rule = (n: string) => IDENTITY_RULES.find((r) => r.name === `identity:${n}`)!.checkStr;
    for (const w of ['create_user', 'update_project', 'delete_domain', 'create_grant', 'create_endpoint']) {
      expect(rule(w)).toBe('rule:admin_required');
    }
    expect(rule('list_users')).toContain('role:reader and system_scope:all');
    expect(rule('get_user')).toContain('user_id:%(target.user.id)s');
    expect(rule('create_application_credential')).toBe('user_id:%(user_id)s');
  });
});

describe("Keystone's default rules, enforced", () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('declares rules that all parse and refer to defined rules', async () => {
    const { identityEnforcer } = await import('../../src/identity/index.js');
    const { loadConfig } = await import('../../src/common/config.js');
    expect(identityEnforcer({ config: loadConfig(undefined, {}), configDir: '/nonexistent' }).problems).toEqual([]);
  });

  it('lets a project member see their own user and domain, not others', async () => {
    const other = await t.call('POST', '/v3/domains', { domain: { name: 'elsewhere' } });
    expect(other.status).toBe(201);
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    expect((await t.call('GET', `/v3/users/${t.boot.demoUserId}`, undefined, as)).status).toBe(200);
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}`, undefined, as)).status).toBe(403);
    // Through the token's own project domain (token.project.domain.id).
    expect((await t.call('GET', '/v3/domains/default', undefined, as)).status).toBe(200);
    expect((await t.call('GET', `/v3/domains/${other.body.domain.id}`, undefined, as)).status).toBe(403);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { ...as, 'x-subject-token': demo.token })).status).toBe(
      200,
    );
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { ...as, 'x-subject-token': t.adminToken })).status).toBe(
      403,
    );
  });

  it("does not take a project token's missing domain for an unfiltered list's", async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    for (const path of ['/v3/users', '/v3/groups', '/v3/projects', '/v3/role_assignments']) {
      expect((await t.call('GET', path, undefined, as)).status, path).toBe(403);
    }
    expect((await t.call('GET', '/v3/users')).status).toBe(200);
  });
});
