// concord's HTTP server as clients meet it over real sockets (`concord up` and `concord serve
// placement` as processes, with short [wsgi] timeouts and a small connection cap): requests that
// stall are answered 408 and closed, one client address cannot hold every connection, what the
// parser or the router refuses is answered in an OpenStack format, and the request id a client
// sees leads to the server's log line saying why it was refused.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from '../helpers/cloud.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connecting to the server closing the connection. */
  ms: number;
}

const port = (base: string) => Number(new URL(base).port);

function parse(raw: string): Omit<Answer, 'ms'> {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
}

/** Sends `data` (in pieces, with `pause` ms between) and reads until the server closes. */
function exchange(
  p: number,
  data: string | string[],
  o: { from?: string; pause?: number; giveUpMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let raw = '';
    const send = async () => {
      for (const piece of Array.isArray(data) ? data : [data]) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (o.pause) await new Promise((r) => setTimeout(r, o.pause));
      }
    };
    const socket = connect({ port: p, host: '127.0.0.1', ...(o.from ? { localAddress: o.from } : {}) }, () => {
      send().catch(reject);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${o.giveUpMs ?? 10000} ms: ${raw}`));
    }, o.giveUpMs ?? 10000);
    socket.on('data', (d) => {
      raw += d.toString();
    });
    socket.on('error', () => {
      /* a reset after the answer: what was read is the answer */
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ ...parse(raw), ms: Date.now() - started });
    });
  });
}

const json = (a: Answer) => JSON.parse(a.body);

async function login(base: string, password: string, extra: Record<string, string> = {}) {
  return fetch(`${base}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
}

describe('concord up over real sockets', () => {
  let c: Cloud;
  let p: number;
  let admin: string;
  beforeAll(async () => {
    c = await startCloud({
      env: {
        CONCORD_WSGI__CLIENT_HEADER_TIMEOUT: '1',
        CONCORD_WSGI__CLIENT_SOCKET_TIMEOUT: '1',
        CONCORD_WSGI__MAX_CONNECTIONS_PER_CLIENT: '20',
      },
    });
    p = port(c.base);
    admin = (await login(c.base, c.credentials.admin_password)).headers.get('x-subject-token')!;
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  it('answers 408 and closes when a request head does not arrive in time', async () => {
    for (const data of ['', 'GET /identity/v3 HTTP/1.1\r\nHost: x\r\n']) {
      const a = await exchange(p, data);
      expect(a.status).toBe(408);
      expect(a.ms).toBeLessThan(4000);
      expect(json(a)).toEqual({
        errors: [
          {
            status: 408,
            title: 'Request Timeout',
            detail: 'The request line and headers did not arrive in time.',
            request_id: a.headers['x-openstack-request-id'],
          },
        ],
      });
    }
  });

  it("answers 408 in the service's format and closes when a body stops arriving", async () => {
    const head = (method: string, path: string, type: string, length: number) =>
      `${method} ${path} HTTP/1.1\r\n` +
      `Host: x\r\nX-Auth-Token: ${admin}\r\nAccept: application/json\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;
    const placement = await exchange(p, `${head('POST', '/placement/resource_providers', 'application/json', 100)}{`);
    expect(placement.status).toBe(408);
    expect(json(placement).errors[0]).toMatchObject({ status: 408, title: 'Request Timeout' });
    const identity = await exchange(p, `${head('POST', '/identity/v3/auth/tokens', 'application/json', 100)}{`);
    expect(identity.status).toBe(408);
    expect(json(identity).error).toMatchObject({ code: 408, title: 'Request Timeout' });
    // An image upload takes as long as it needs while data keeps coming, and gives up when it stops.
    const created = await (
      await fetch(`${c.base}/image/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'slow', disk_format: 'raw', container_format: 'bare' }),
      })
    ).json();
    const upload = head('PUT', `/image/v2/images/${created.id}/file`, 'application/octet-stream', 12).replace(
      '\r\n\r\n',
      '\r\nConnection: close\r\n\r\n',
    );
    const slow = await exchange(p, [upload, 'ab', 'cd', 'ef', 'gh', 'ij', 'kl'], { pause: 600 });
    expect(slow.status).toBe(204);
    const other = await (
      await fetch(`${c.base}/image/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'stalled', disk_format: 'raw', container_format: 'bare' }),
      })
    ).json();
    const stalled = await exchange(p, [
      head('PUT', `/image/v2/images/${other.id}/file`, 'application/octet-stream', 12),
      'ab',
    ]);
    expect(stalled.status).toBe(408);
    expect(json(stalled)).toMatchObject({ code: '408 Request Timeout', title: 'Request Timeout' });
    const after = await (
      await fetch(`${c.base}/image/v2/images/${other.id}`, { headers: { 'x-auth-token': admin } })
    ).json();
    expect(after.status).toBe('queued');
  });

  it('answers headers larger than it takes with 431, in the format of the service addressed', async () => {
    const a = await exchange(p, `GET /identity/v3 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    expect(a.status).toBe(431);
    expect(json(a).error).toMatchObject({ code: 431, title: 'Request Header Fields Too Large' });
  });

  it('answers OPTIONS * and an unreadable path at the root in the generic OpenStack format', async () => {
    const star = await exchange(p, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(star.status).toBe(404);
    expect(json(star).errors[0]).toMatchObject({ status: 404, title: 'Not Found' });
    const escape = await exchange(p, 'GET /nowhere/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(escape.status).toBe(400);
    expect(json(escape).errors[0]).toMatchObject({
      status: 400,
      detail: expect.stringContaining('malformed %-escape'),
    });
  });

  it('lets one client address hold only so many connections, and keeps serving everyone else', async () => {
    // What took the server down: connections that send their headers and one byte of body.
    const stall =
      'POST /placement/resource_providers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 10\r\n\r\n{';
    const held: Socket[] = [];
    const closedHeld: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const s = connect({ port: p, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => s.write(stall));
      s.on('error', () => {
        /* closed by the server */
      });
      s.resume();
      held.push(s);
      closedHeld.push(new Promise((r) => s.once('close', () => r())));
    }
    await new Promise((r) => setTimeout(r, 200));
    const refused = await Promise.all(
      Array.from({ length: 50 }, () => exchange(p, '', { from: '127.0.0.2', giveUpMs: 3000 })),
    );
    expect(new Set(refused.map((a) => a.status))).toEqual(new Set([429]));
    expect(json(refused[0]!).errors[0]).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Everybody else is served meanwhile.
    expect((await fetch(`${c.base}/`)).status).toBe(200);
    // The stalled ones are answered and closed by the body timeout, after which the client may connect again.
    await Promise.all(closedHeld);
    const again = await exchange(p, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { from: '127.0.0.2' });
    expect(again.status).toBe(200);
    expect(c.log().match(/client 127\.0\.0\.2 holds 20 connections/g)).toHaveLength(1);
  });

  it('logs the request id a client was given, with why its login was refused, and not the password', async () => {
    const global = 'req-0123abcd-4567-89ab-cdef-0123456789ab';
    const r = await login(c.base, 'wrong-password-77', { 'x-openstack-request-id': global });
    expect(r.status).toBe(401);
    const id = r.headers.get('x-openstack-request-id')!;
    const line = await logLine((l) => l.includes(id) && l.includes('"level":40'));
    expect(JSON.parse(line)).toMatchObject({
      level: 40,
      request_id: id,
      global_request_id: global,
      msg: expect.stringMatching(/^authentication failed: wrong password for user [0-9a-f]{32}$/),
    });
    expect(c.log()).not.toContain('wrong-password-77');
  });

  it('logs one line per answered request under the id the client was given', async () => {
    const r = await fetch(`${c.base}/placement/`, { headers: { 'x-auth-token': admin } });
    expect(r.status).toBe(200);
    const id = r.headers.get('x-openstack-request-id')!;
    const line = await logLine((l) => l.includes(id));
    expect(JSON.parse(line)).toMatchObject({
      level: 30,
      request_id: id,
      method: 'GET',
      path: '/placement/',
      status: 200,
      msg: expect.stringMatching(/^127\.0\.0\.1 "GET \/placement\/" status: 200 len: \d+ time: \d+\.\d{4}$/),
    });
    expect(c.log()).not.toContain(admin);
  });

  /** The first line of the server's log that `match`es; its output reaches us on its own schedule. */
  async function logLine(match: (line: string) => boolean): Promise<string> {
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      const line = c.log().split('\n').find(match);
      if (line) return line;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error("no such line in the server's log");
  }
});
