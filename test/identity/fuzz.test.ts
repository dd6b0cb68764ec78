// Property: whatever the request (route, method, body, query, headers), identity answers with a
// non-5xx status, a Keystone error body on 4xx, and a 4xx changes nothing.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityDB } from '../../src/identity/db/schema.js';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

const TABLES: (keyof IdentityDB)[] = [
  'domain', 'project', 'user', 'group', 'user_group_membership', 'role', 'implied_role', 'assignment', 'region',
  'service', 'endpoint', 'application_credential', 'application_credential_role', 'revocation_event', 'credential',
];

async function fingerprint(t: TestIdentity): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.identity.db.selectFrom(table).selectAll().execute();
    h.update(`${table}:${rows.map((r) => JSON.stringify(r)).sort().join('\n')}`);
  }
  return h.digest('hex');
}

describe('fuzz: bad input never 5xx and never changes anything', () => {
  let t: TestIdentity;
  let ids: string[];
  beforeAll(async () => {
    t = await startIdentity();
    const domain = (await t.call('POST', '/v3/domains', { domain: { name: 'fuzz' } })).body.domain.id;
    const group = (await t.call('POST', '/v3/groups', { group: { name: 'fuzz' } })).body.group.id;
    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    const svc = (await t.call('POST', '/v3/services', { service: { type: 'fuzz' } })).body.service.id;
    const ac = (await t.call('POST', `/v3/users/${t.boot.adminUserId}/application_credentials`,
      { application_credential: { name: 'fuzz' } })).body.application_credential.id;
    ids = [domain, group, member, svc, ac, t.boot.demoUserId, t.boot.demoProjectId, 'RegionOne'];
  });
  afterAll(async () => { await t.close(); });

  const segment = () => fc.oneof(fc.constantFrom(...ids), fc.constantFrom('x', '', '%00', '..'),
    fc.string({ maxLength: 10 }).map(encodeURIComponent));
  const collection = fc.constantFrom('domains', 'projects', 'users', 'groups', 'roles', 'services', 'endpoints',
    'regions', 'role_assignments', 'role_inferences', 'auth/tokens', 'auth/catalog', 'auth/projects', 'auth/domains',
    'auth/system', 'credentials');
  const path = () => fc.oneof(
    collection.map((c) => `/v3/${c}`),
    fc.tuple(collection, segment()).map(([c, s]) => `/v3/${c}/${s}`),
    fc.tuple(fc.constantFrom('projects', 'domains', 'system'), segment(), fc.constantFrom('users', 'groups'), segment(), segment())
      .map(([a, b, c, d, e]) => (a === 'system' ? `/v3/system/${c}/${d}/roles/${e}` : `/v3/${a}/${b}/${c}/${d}/roles/${e}`)),
    fc.tuple(segment(), fc.constantFrom('password', 'groups', 'projects', 'application_credentials', 'credentials/OS-EC2'), segment())
      .map(([u, sub, x]) => `/v3/users/${u}/${sub}${sub === 'application_credentials' || sub === 'credentials/OS-EC2' ? `/${x}` : ''}`),
    fc.tuple(fc.constantFrom('projects', 'domains'), segment(), fc.constantFrom('users', 'groups'), segment(), segment())
      .map(([a, b, c, d, e]) => `/v3/OS-INHERIT/${a}/${b}/${c}/${d}/roles/${e}/inherited_to_projects`),
    fc.tuple(segment(), segment()).map(([p, tag]) => `/v3/projects/${p}/tags/${tag}`),
    fc.tuple(segment(), segment()).map(([a, b]) => `/v3/roles/${a}/implies/${b}`),
    fc.tuple(segment(), segment()).map(([g, u]) => `/v3/groups/${g}/users/${u}`),
  );
  const member = fc.constantFrom('domain', 'project', 'user', 'group', 'role', 'service', 'endpoint', 'region',
    'application_credential', 'auth', 'credential', 'tags', 'tenant_id');
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue(),
    fc.tuple(member, fc.jsonValue()).map(([k, v]) => ({ [k]: v })),
    fc.tuple(member, fc.dictionary(fc.constantFrom('name', 'id', 'domain_id', 'enabled', 'password', 'parent_id',
      'identity', 'scope', 'methods', 'url', 'interface', 'service_id', 'roles', 'expires_at', 'type', 'options',
      'blob', 'user_id', 'project_id'),
    fc.oneof(fc.jsonValue(), fc.constant('x'), fc.constant(''), fc.constant(null)))).map(([k, v]) => ({ [k]: v })),
  );
  const query = fc.dictionary(fc.constantFrom('name', 'enabled', 'domain_id', 'user.id', 'group.id', 'scope.project.id',
    'effective', 'include_names', 'scope.system', 'parent_id', 'nocatalog', 'interface', 'include_subtree',
    'scope.OS-INHERIT:inherited_to', 'tags', 'not-tags-any', 'type', 'user_id'),
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...['true', 'false', '0']))).map((q) => {
    const s = new URLSearchParams(q).toString();
    return s ? `?${s}` : '';
  });

  it('holds for random requests', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'), path(), query, body,
      fc.option(fc.constantFrom('garbage', 'a.b.c'), { nil: undefined }),
      async (method, p, q, b, subject) => {
        const before = await fingerprint(t);
        const r = await t.call(method, `${p}${q}`, b, subject ? { 'x-subject-token': subject } : {});
        expect(r.status, `${method} ${p}${q} ${JSON.stringify(b)}`).toBeLessThan(500);
        if (r.status >= 400) {
          if (method !== 'HEAD') {
            expect(r.body.error.code).toBe(r.status);
            expect(typeof r.body.error.message).toBe('string');
          }
          expect(await fingerprint(t), `${method} ${p}${q} ${JSON.stringify(b)}`).toBe(before);
        }
      },
    ), { numRuns: 400 });
  });
});
