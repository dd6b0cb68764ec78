import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/common/http/context.js';
import { PolicyEnforcer } from '../../../src/common/policy/index.js';

const ctx = (over: Partial<RequestContext> = {}): RequestContext => ({
  userId: 'u1',
  projectId: 'p1',
  systemScope: null,
  roles: ['member'],
  ...over,
});

/** Whether a one-rule policy with `checkStr` lets `c` act on `target`. */
function allows(checkStr: string, c: RequestContext, target?: Record<string, unknown>): boolean {
  const e = new PolicyEnforcer({ rules: [{ name: 'r', checkStr, description: '' }] });
  expect(e.problems).toEqual([]);
  return e.allowed(c, 'r', target);
}

describe('checks', () => {
  it('matches roles case-insensitively, also with a substituted role name', () => {
    expect(allows('role:Member', ctx())).toBe(true);
    expect(allows('role:member', ctx({ roles: ['MEMBER'] }))).toBe(true);
    expect(allows('role:admin', ctx())).toBe(false);
    expect(allows('role:%(needed)s', ctx(), { needed: 'member' })).toBe(true);
    expect(allows('role:%(needed)s', ctx(), {})).toBe(false);
  });

  it('matches credentials against substituted target values', () => {
    expect(allows('project_id:%(project_id)s', ctx(), { project_id: 'p1' })).toBe(true);
    expect(allows('project_id:%(project_id)s', ctx(), { project_id: 'p2' })).toBe(false);
    // A key missing from the target fails the check (Python's KeyError), whoever asks.
    expect(allows('project_id:%(project_id)s', ctx(), { user_id: 'u1' })).toBe(false);
    expect(allows('project_id:%(project_id)s', ctx(), { project_id: undefined })).toBe(false);
    expect(allows('user_id:prefix-%(id)s', ctx({ userId: 'prefix-7' }), { id: 7 })).toBe(true);
  });

  it('compares as Python renders values: None, True, numbers', () => {
    // A system-scoped caller has no project; upstream compares str(None) with str(None).
    expect(
      allows('project_id:%(project_id)s', ctx({ projectId: null, systemScope: 'all' }), { project_id: null }),
    ).toBe(true);
    expect(allows('project_id:None', ctx({ projectId: null }))).toBe(true);
    expect(allows('is_admin:True', ctx())).toBe(false);
    expect(allows('is_admin:True', ctx({ policyValues: { is_admin: true } }))).toBe(true);
    // oslo compares '1' with str(True): Keystone's is_admin:1 never matches a boolean.
    expect(allows('is_admin:1', ctx({ policyValues: { is_admin: true } }))).toBe(false);
    expect(allows('count:%(n)s', ctx({ policyValues: { count: 3 } }), { n: 3 })).toBe(true);
  });

  it("reads the scope and the caller's ids from the request context", () => {
    expect(allows('system_scope:all', ctx({ projectId: null, systemScope: 'all' }))).toBe(true);
    expect(allows('system_scope:all', ctx())).toBe(false);
    expect(allows('user_id:u1', ctx())).toBe(true);
    expect(allows('domain_id:d1', ctx({ projectId: null, domainId: 'd1' }))).toBe(true);
    expect(allows('roles:member', ctx())).toBe(true);
  });

  it('takes a literal on the left as the value to compare with the target', () => {
    expect(allows('True:%(enabled)s', ctx(), { enabled: true })).toBe(true);
    expect(allows('True:%(enabled)s', ctx(), { enabled: false })).toBe(false);
    expect(allows("'gold':%(class)s", ctx(), { class: 'gold' })).toBe(true);
    expect(allows('"gold":%(class)s', ctx(), { class: 'silver' })).toBe(false);
    expect(allows('1:%(n)s', ctx(), { n: 1 })).toBe(true);
  });

  it('walks dotted credential paths, through lists', () => {
    const token = { project: { id: 'p1', domain: { id: 'd1' } }, roles: [{ name: 'reader' }, { name: 'member' }] };
    const c = ctx({ policyValues: { token } });
    expect(allows('token.project.domain.id:%(target.domain.id)s', c, { target: { domain: { id: 'd1' } } })).toBe(true);
    expect(allows('token.project.domain.id:%(target.domain.id)s', c, { target: { domain: { id: 'd2' } } })).toBe(false);
    expect(allows('token.roles.name:reader', c)).toBe(true);
    expect(allows('token.roles.name:admin', c)).toBe(false);
    expect(allows('token.domain.id:d1', c)).toBe(false);
    expect(allows('token.project.id.deeper:p1', c)).toBe(false);
  });

  it('flattens nested targets with dots, keeping already flat keys', () => {
    expect(allows('user_id:%(target.token.user_id)s', ctx(), { target: { token: { user_id: 'u1' } } })).toBe(true);
    expect(allows('user_id:%(target.token.user_id)s', ctx(), { 'target.token.user_id': 'u1' })).toBe(true);
    expect(allows('user_id:%(target.token.user_id)s', ctx(), { target: { token: { user_id: 'u2' } } })).toBe(false);
  });

  it('evaluates not, and, or over checks', () => {
    const admin = ctx({ roles: ['admin'] });
    expect(allows('not role:admin', admin)).toBe(false);
    expect(allows('not role:admin', ctx())).toBe(true);
    expect(allows('role:member and project_id:%(project_id)s', ctx(), { project_id: 'p1' })).toBe(true);
    expect(allows('role:member and project_id:%(project_id)s', ctx(), { project_id: 'p2' })).toBe(false);
    expect(allows('role:admin or role:member and project_id:%(project_id)s', ctx(), { project_id: 'p2' })).toBe(false);
    expect(allows('(role:admin or role:member) and not project_id:%(project_id)s', ctx(), { project_id: 'p2' })).toBe(
      true,
    );
    expect(allows('@', ctx({ roles: [] }))).toBe(true);
    expect(allows('', ctx({ roles: [] }))).toBe(true);
    expect(allows('!', admin)).toBe(false);
  });
});
