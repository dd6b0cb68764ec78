// Property: whatever the request (route, method, body, query, headers, caller; any Unicode text,
// NUL and unpaired surrogates included), identity answers with a non-5xx status, a Keystone error
// body on 4xx, a 400 for text it cannot store, and a 4xx changes nothing. Also with many requests
// at once creating, renaming and deleting the same things.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityDB } from '../../src/identity/db/schema.js';
import { encodeSegment, mustRefuse, notUtf8, queryString, sendAll, text } from '../helpers/fuzz.js';
import { DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

const TABLES: (keyof IdentityDB)[] = [
  'domain',
  'project',
  'user',
  'group',
  'user_group_membership',
  'role',
  'implied_role',
  'assignment',
  'region',
  'service',
  'endpoint',
  'application_credential',
  'application_credential_role',
  'revocation_event',
  'credential',
];

async function fingerprint(t: TestIdentity): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.identity.db.selectFrom(table).selectAll().execute();
    h.update(
      `${table}:${rows
        .map((r) => JSON.stringify(r))
        .sort()
        .join('\n')}`,
    );
  }
  return h.digest('hex');
}

describe('fuzz: bad input never 5xx and never changes anything', () => {
  let t: TestIdentity;
  let ids: string[];
  let member: string;
  let demoToken: string;
  beforeAll(async () => {
    t = await startIdentity();
    const domain = (await t.call('POST', '/v3/domains', { domain: { name: 'fuzz' } })).body.domain.id;
    const group = (await t.call('POST', '/v3/groups', { group: { name: 'fuzz' } })).body.group.id;
    member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    const svc = (await t.call('POST', '/v3/services', { service: { type: 'fuzz' } })).body.service.id;
    const ac = (
      await t.call('POST', `/v3/users/${t.boot.adminUserId}/application_credentials`, {
        application_credential: { name: 'fuzz' },
      })
    ).body.application_credential.id;
    ids = [domain, group, member, svc, ac, t.boot.demoUserId, t.boot.demoProjectId, 'RegionOne'];
    demoToken = (await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' })).token;
  });
  afterAll(async () => {
    await t.close();
  });

  const segment = () =>
    fc.oneof(fc.constantFrom(...ids), fc.constantFrom('x', '', '%00', '..'), text(10).map(encodeSegment));
  const collection = fc.constantFrom(
    'domains',
    'projects',
    'users',
    'groups',
    'roles',
    'services',
    'endpoints',
    'regions',
    'role_assignments',
    'role_inferences',
    'auth/tokens',
    'auth/catalog',
    'auth/projects',
    'auth/domains',
    'auth/system',
    'credentials',
  );
  const path = () =>
    fc.oneof(
      collection.map((c) => `/v3/${c}`),
      fc.tuple(collection, segment()).map(([c, s]) => `/v3/${c}/${s}`),
      fc
        .tuple(
          fc.constantFrom('projects', 'domains', 'system'),
          segment(),
          fc.constantFrom('users', 'groups'),
          segment(),
          segment(),
        )
        .map(([a, b, c, d, e]) =>
          a === 'system' ? `/v3/system/${c}/${d}/roles/${e}` : `/v3/${a}/${b}/${c}/${d}/roles/${e}`,
        ),
      fc
        .tuple(
          segment(),
          fc.constantFrom('password', 'groups', 'projects', 'application_credentials', 'credentials/OS-EC2'),
          segment(),
        )
        .map(
          ([u, sub, x]) =>
            `/v3/users/${u}/${sub}${sub === 'application_credentials' || sub === 'credentials/OS-EC2' ? `/${x}` : ''}`,
        ),
      fc
        .tuple(
          fc.constantFrom('projects', 'domains'),
          segment(),
          fc.constantFrom('users', 'groups'),
          segment(),
          segment(),
        )
        .map(([a, b, c, d, e]) => `/v3/OS-INHERIT/${a}/${b}/${c}/${d}/roles/${e}/inherited_to_projects`),
      fc.tuple(segment(), segment()).map(([p, tag]) => `/v3/projects/${p}/tags/${tag}`),
      fc.tuple(segment(), segment()).map(([a, b]) => `/v3/roles/${a}/implies/${b}`),
      fc.tuple(segment(), segment()).map(([g, u]) => `/v3/groups/${g}/users/${u}`),
    );
  const entity = fc.constantFrom(
    'domain',
    'project',
    'user',
    'group',
    'role',
    'service',
    'endpoint',
    'region',
    'application_credential',
    'auth',
    'credential',
    'tags',
    'tenant_id',
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue(),
    fc.tuple(entity, fc.jsonValue()).map(([k, v]) => ({ [k]: v })),
    fc
      .tuple(
        entity,
        fc.dictionary(
          fc.constantFrom(
            'name',
            'id',
            'domain_id',
            'enabled',
            'password',
            'parent_id',
            'identity',
            'scope',
            'methods',
            'url',
            'interface',
            'service_id',
            'roles',
            'expires_at',
            'type',
            'options',
            'blob',
            'user_id',
            'project_id',
          ),
          fc.oneof(fc.jsonValue(), text(), fc.constant('x'), fc.constant(''), fc.constant(null)),
        ),
      )
      .map(([k, v]) => ({ [k]: v })),
    notUtf8,
  );
  const query = fc
    .dictionary(
      fc.constantFrom(
        'name',
        'enabled',
        'domain_id',
        'user.id',
        'group.id',
        'scope.project.id',
        'effective',
        'include_names',
        'scope.system',
        'parent_id',
        'nocatalog',
        'interface',
        'include_subtree',
        'scope.OS-INHERIT:inherited_to',
        'tags',
        'not-tags-any',
        'type',
        'user_id',
      ),
      fc.oneof(text(8), fc.constantFrom(...['true', 'false', '0'])),
    )
    .map((q) => {
      const s = queryString(q);
      return s ? `?${s}` : '';
    });
  // The admin, or the demo user (a member of project demo), whom most of the API refuses.
  const caller = fc.constantFrom('admin', 'demo');

  type Request = [string, string, string, unknown, string | undefined, string];
  /** Sends one request; checks what holds of any single answer: below 500, Keystone's error
   * body on a 4xx, and a 400 for text no service accepts. */
  const send = async ([method, p, q, b, subject, who]: Request) => {
    const headers: Record<string, string> = subject ? { 'x-subject-token': subject } : {};
    if (who === 'demo') headers['x-auth-token'] = demoToken;
    const r = await t.call(method, `${p}${q}`, b, headers);
    const what = `${method} ${p}${q} ${JSON.stringify(b)} as ${who} -> ${r.status} ${JSON.stringify(r.body)}`;
    expect(r.status, what).toBeLessThan(500);
    if (r.status >= 400 && method !== 'HEAD') {
      expect(r.body.error.code, what).toBe(r.status);
      expect(typeof r.body.error.message, what).toBe('string');
    }
    // Refused before anything else but authentication (a revoked demo token is a 401).
    if (mustRefuse(method, `${p}${q}`, b)) expect([400, 401], what).toContain(r.status);
    return r.status;
  };
  // Built once the ids exist (inside the tests).
  const request = () =>
    fc.tuple(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'),
      path(),
      query,
      body,
      fc.option(fc.constantFrom('garbage', 'a.b.c'), { nil: undefined }),
      caller,
    );

  it('holds for random requests', async () => {
    await fc.assert(
      fc.asyncProperty(request(), async (r) => {
        const before = await fingerprint(t);
        if ((await send(r)) >= 400) expect(await fingerprint(t), JSON.stringify(r)).toBe(before);
      }),
      { numRuns: 300 },
    );
  }, 60000);

  // Well-formed writes of the same few names, ids and assignments, so that concurrent ones race
  // (two creations of one name, a rename onto a name being created, a grant and its revocation).
  const name = fc.constantFrom('race-a', 'race-b');
  const write = fc
    .oneof(
      fc
        .tuple(fc.constantFrom('project', 'domain', 'group', 'role'), name)
        .map(([kind, n]) => ['POST', `/v3/${kind}s`, { [kind]: { name: n } }]),
      name.map((n) => ['POST', '/v3/users', { user: { name: n, password: 'pw' } }]),
      name.map((n) => ['PATCH', `/v3/projects/${t.boot.demoProjectId}`, { project: { name: n } }]),
      name.map((n) => ['POST', '/v3/regions', { region: { id: n } }]),
      name.map((n) => ['DELETE', `/v3/regions/${n}`, undefined]),
      fc
        .constantFrom('PUT', 'DELETE')
        .map((m) => [m, `/v3/projects/${t.boot.demoProjectId}/users/${t.boot.demoUserId}/roles/${member}`, undefined]),
      fc
        .tuple(fc.constantFrom('PUT', 'DELETE'), name)
        .map(([m, n]) => [m, `/v3/projects/${t.boot.demoProjectId}/tags/${n}`, undefined]),
    )
    .map(([m, p, b]) => [m, p, '', b, undefined, 'admin'] as Request);

  it('holds for concurrent requests on the same names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 3, arbitrary: write }, { weight: 1, arbitrary: request() }), {
          minLength: 4,
          maxLength: 16,
        }),
        async (batch) => {
          const before = await fingerprint(t);
          const statuses = await sendAll(batch, send);
          // When every request of the batch was refused, none changed anything. (A race does not
          // replay, so a failing batch is reported as it is, unshrunk: endOnFailure.)
          if (statuses.every((s) => s >= 400)) expect(await fingerprint(t)).toBe(before);
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
  }, 60000);
});
