// The HTTP layer every service shares, through the all-in-one cloud in-process (inject()): request
// ids in the answer and on every log line, a caller's global request id, why a request was
// refused 401 (never the secret), OpenStack error bodies for what no route handles, and JSON
// nested too deeply refused before anything recurses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloud, type AllInOne } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';
import { REDACT_PATHS } from '../../src/common/log.js';
import { callerRequestId } from '../../src/common/http/request_id.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/common/http/json_depth.js';
import { startIdentity } from '../helpers/identity.js';
import { startPlacement } from '../helpers/placement.js';

type Line = Record<string, unknown> & { level: number; msg: string };
const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GLOBAL = 'req-0123abcd-4567-89ab-cdef-0123456789ab';

describe('the shared HTTP layer of every service', () => {
  let cloud: AllInOne;
  let dataDir: string;
  const lines: Line[] = [];
  let admin: string;

  const call = async (
    method: string,
    url: string,
    o: { token?: string; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await cloud.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(o.token ? { 'x-auth-token': o.token } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.body !== undefined ? { payload: o.body } : {}),
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      text: res.body,
      id: String(res.headers['x-openstack-request-id']),
    };
  };
  const loginBody = (user: string, password: string) =>
    JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    });
  const logOf = (id: string) => lines.filter((l) => l.request_id === id);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'concord-transport-'));
    const log = pino(
      { level: 'info', redact: { paths: REDACT_PATHS, censor: '******' } },
      {
        write: (s: string) => {
          lines.push(JSON.parse(s) as Line);
        },
      },
    );
    cloud = await buildCloud({
      runtime: resolveRuntime({ dataDir }, { adminPassword: 'the-admin-secret' }, {}),
      log,
      publicBase: 'http://cloud.test',
    });
    const r = await call('POST', '/identity/v3/auth/tokens', { body: loginBody('admin', 'the-admin-secret') });
    admin = String(r.headers['x-subject-token']);
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('request ids', () => {
    it('answers each request with its own OpenStack request id, the one its log lines carry', async () => {
      const a = await call('GET', '/placement/resource_providers', { token: 'forged' });
      const b = await call('GET', '/placement/resource_providers', { token: 'forged' });
      expect(a.id).toMatch(REQ_ID);
      expect(b.id).toMatch(REQ_ID);
      expect(a.id).not.toBe(b.id);
      // Why it was refused, then the answer's own line; both under the id, none under Fastify's.
      expect(logOf(a.id).map((l) => l.level)).toEqual([40, 30]);
      for (const line of logOf(a.id)) expect(line).not.toHaveProperty('reqId');
    });

    it("logs a caller's valid X-OpenStack-Request-ID as the global request id, beside its own", async () => {
      const r = await call('GET', '/image/v2/images', {
        token: 'forged',
        headers: { 'x-openstack-request-id': GLOBAL },
      });
      expect(r.id).toMatch(REQ_ID);
      expect(r.id).not.toBe(GLOBAL);
      expect(logOf(r.id)[0]).toMatchObject({ global_request_id: GLOBAL });
    });

    it("ignores a caller's request id that is not one", () => {
      for (const bad of [
        'req-1',
        'nonsense',
        GLOBAL.toUpperCase(),
        `${GLOBAL}\nx`,
        ` ${GLOBAL}`,
        'req-0123abcd456789abcdef0123456789ab',
      ]) {
        expect(callerRequestId({ 'x-openstack-request-id': bad })).toBeUndefined();
      }
      expect(callerRequestId({ 'x-openstack-request-id': GLOBAL })).toBe(GLOBAL);
    });
  });

  describe('why a request was refused 401', () => {
    it('is logged, with the request id and the client address, never the password', async () => {
      const wrong = await call('POST', '/identity/v3/auth/tokens', { body: loginBody('admin', 'not-the-secret-42') });
      expect(wrong.status).toBe(401);
      const [line] = logOf(wrong.id);
      expect(line).toMatchObject({ level: 40, remote_addr: '127.0.0.1' });
      expect(line!.msg).toMatch(/^authentication failed: wrong password for user [0-9a-f]{32}$/);
      const nobody = await call('POST', '/identity/v3/auth/tokens', { body: loginBody('nobody', 'x') });
      expect(logOf(nobody.id)[0]!.msg).toBe('authentication failed: no such user: name "nobody"');
      const anonymous = await call('GET', '/placement/resource_providers');
      expect(logOf(anonymous.id)[0]!.msg).toBe('authentication failed: no X-Auth-Token');
      const forged = await call('GET', '/identity/v3/users', { token: 'forged-token-99' });
      expect(logOf(forged.id)[0]!.msg).toMatch(/^authentication failed: X-Auth-Token is not a valid token/);
      const all = JSON.stringify(lines);
      for (const secret of ['not-the-secret-42', 'the-admin-secret', 'forged-token-99', admin])
        expect(all).not.toContain(secret);
    });
  });

  describe('what no route handles', () => {
    it("is a 404 in the generic OpenStack format at the root, and in each service's under its prefix", async () => {
      const root = await call('POST', '/nowhere', { body: '{"a": 1}' });
      expect(root.status).toBe(404);
      expect(JSON.parse(root.text)).toEqual({
        errors: [
          {
            status: 404,
            title: 'Not Found',
            detail: 'The resource could not be found.',
            request_id: root.id,
          },
        ],
      });
      const identity = await call('GET', '/identity/nowhere', { token: admin });
      expect(JSON.parse(identity.text)).toEqual({
        error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' },
      });
      const placement = await call('GET', '/placement/nowhere', { token: admin });
      expect(JSON.parse(placement.text).errors[0]).toMatchObject({ status: 404, request_id: placement.id });
      const image = await call('GET', '/image/nowhere', { token: admin, headers: { accept: 'application/json' } });
      expect(JSON.parse(image.text)).toMatchObject({ code: '404 Not Found', title: 'Not Found' });
    });

    it('answers a malformed %-escape or an over-long path segment in the format of the service it is under', async () => {
      const long = 'a'.repeat(1200);
      const cases = [
        ['/nowhere/%zz', 400, (t: any) => t.errors[0].detail],
        ['/identity/v3/users/%zz', 400, (t: any) => t.error.message],
        ['/placement/resource_providers/%zz', 400, (t: any) => t.errors[0].detail],
        [`/placement/resource_providers/${long}`, 414, (t: any) => t.errors[0].detail],
        [`/identity/v3/users/${long}`, 414, (t: any) => t.error.message],
      ] as const;
      for (const [url, status, message] of cases) {
        const r = await call('GET', url, { token: admin });
        expect([url, r.status, r.id]).toEqual([url, status, expect.stringMatching(REQ_ID)]);
        expect(message(JSON.parse(r.text))).toMatch(
          status === 400 ? /malformed %-escape/ : /longer than 1000 characters/,
        );
      }
      const image = await call('GET', '/image/v2/images/%zz', {
        token: admin,
        headers: { accept: 'application/json' },
      });
      expect(JSON.parse(image.text)).toMatchObject({ code: '400 Bad Request' });
    });
  });

  describe('JSON nested too deeply', () => {
    // Nested where the service validates, so that its message would render the value.
    const deep = (n: number, key = 'name') => `{"${key}": ${'['.repeat(n)}${']'.repeat(n)}}`;

    it('is refused with a 400 in every service, before authentication matters or anything recurses', async () => {
      const before = lines.filter((l) => l.level >= 50).length;
      const cases = [
        ['POST', '/identity/v3/auth/tokens', 'auth', undefined, (t: any) => t.error.message],
        ['POST', '/identity/v3/users', 'user', admin, (t: any) => t.error.message],
        ['POST', '/placement/resource_providers', 'name', admin, (t: any) => t.errors[0].detail],
        [
          'PUT',
          '/placement/allocations/5f1c8d4e-0000-4000-8000-000000000001',
          'allocations',
          admin,
          (t: any) => t.errors[0].detail,
        ],
        ['POST', '/image/v2/images', 'name', admin, (t: any) => t.message],
      ] as const;
      for (const [method, url, key, token, message] of cases) {
        const r = await call(method, url, {
          ...(token ? { token } : {}),
          body: deep(4000, key),
          headers: { accept: 'application/json' },
        });
        expect([url, r.status]).toEqual([url, 400]);
        expect(message(JSON.parse(r.text))).toContain(
          `The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
      expect(lines.filter((l) => l.level >= 50).length).toBe(before);
    });

    it('is told apart from brackets in strings, and a body just within the limit is read as usual', async () => {
      expect(nestsDeeperThan(`["${'['.repeat(500)}", "\\"[[["]`, 2)).toBe(false);
      expect(nestsDeeperThan(deep(MAX_JSON_DEPTH - 1), MAX_JSON_DEPTH)).toBe(false);
      expect(nestsDeeperThan(deep(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(true);
      const r = await call('POST', '/placement/resource_providers', { token: admin, body: deep(MAX_JSON_DEPTH - 1) });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).errors[0].detail).toContain('JSON does not validate');
    });
  });
});

describe('a service served alone at the root (concord serve SERVICE)', () => {
  it('answers unknown paths, malformed %-escapes and over-long segments in its own format', async () => {
    const placement = await startPlacement();
    const identity = await startIdentity();
    try {
      const long = 'a'.repeat(1200);
      for (const [url, status] of [
        ['/nowhere', 404],
        ['/%zz', 400],
        [`/resource_providers/${long}`, 414],
      ] as const) {
        const r = await placement.call('GET', url);
        expect([url, r.status]).toEqual([url, status]);
        expect(r.body.errors[0]).toMatchObject({ status, request_id: r.headers['x-openstack-request-id'] });
      }
      // Identity authenticates first, as Keystone does: an unknown path is a 401 to a stranger.
      for (const [url, status] of [
        ['/nowhere', 401],
        ['/%zz', 400],
        [`/v3/users/${long}`, 414],
      ] as const) {
        const r = await identity.app.inject({ method: 'GET', url, headers: { 'x-auth-token': 'x' } });
        expect([url, r.statusCode]).toEqual([url, status]);
        expect(JSON.parse(r.body).error).toMatchObject({ code: status });
      }
    } finally {
      await placement.close();
      await identity.close();
    }
  });
});
