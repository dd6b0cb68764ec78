#!/usr/bin/env node
// The one client that drives both concord and upstream Nova in the compute benchmark, so that the
// two are measured the same way. It speaks only the Nova API (microversion 2.74, `networks: none`).
//
//   node bench/compute/client.mjs boot N CONCURRENCY TAG [POLL_S]   N boots, CONCURRENCY POSTs at once
//   node bench/compute/client.mjs single N [POLL_S]                 N boots one at a time, idle stack
//   node bench/compute/client.mjs detail R [CONCURRENCY]            GET /servers/detail latency
//   node bench/compute/client.mjs delete                            delete every server, wait until gone
//
// Environment: COMPUTE_URL (…/v2.1), AUTH_TOKEN, PROJECT_ID (sent as X-Auth-Project-Id, for Nova's
// noauth2), IMAGE_ID, FLAVOR (default vm-tiny). Prints one JSON line. POLL_CHANGES=1: a boot run's
// poller asks, after its first look, only for the servers changed since its previous look (Nova's
// `changes-since`, two seconds early for clock steps) instead of listing every server each time:
// at thousands of servers the full listing every second costs the stack (and the client) more
// than the boots do.
//
// time-to-ACTIVE is measured twice: as the poller first sees ACTIVE (`tta_poll_*`, what a user
// polling every POLL_S sees, as upstream's anchor figures were taken), and from the server's own
// `OS-SRV-USG:launched_at` minus the start of its POST (`tta_*`, independent of the poll interval;
// both servers run on this machine, one clock).
import { request } from 'node:http';

const API = process.env.COMPUTE_URL ?? 'http://127.0.0.1:18774/v2.1';
const HEADERS = {
  'x-auth-token': process.env.AUTH_TOKEN ?? 'admin:admin',
  'content-type': 'application/json',
  'x-openstack-nova-api-version': '2.74',
  ...(process.env.PROJECT_ID ? { 'x-auth-project-id': process.env.PROJECT_ID } : {}),
};
const IMAGE = process.env.IMAGE_ID ?? '11111111-2222-3333-4444-555555555555';
const FLAVOR = process.env.FLAVOR ?? 'vm-tiny';
/** Seconds a boot run may take before it is reported as it stands. */
const LIMIT_S = Number(process.env.LIMIT_S ?? 1800);

/** @returns {number} */
const now = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** @typedef {Record<string, string | null>} Server */

/**
 * One request on a connection of its own, as upstream's bench.py sends them (uWSGI's http-socket
 * closes kept-alive connections under the client, so neither side gets keep-alive).
 * @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any, bytes: number }>}
 */
function call(method, path, body) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(API + path, { method, headers: HEADERS, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, bytes: text.length });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** @param {number[]} xs @param {number} p @returns {number | null} */
function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const k = ((s.length - 1) * p) / 100;
  const f = Math.floor(k);
  const lo = s[f] ?? NaN;
  return lo + ((s[Math.min(f + 1, s.length - 1)] ?? NaN) - lo) * (k - f);
}
/** @param {number | null} x */
const r2 = (x) => (x == null ? null : Math.round(x * 100) / 100);
/** percentile in milliseconds @param {number[]} xs @param {number} p */
const ms = (xs, p) => r2(pct(xs, p));
/** percentile of milliseconds in seconds @param {number[]} xs @param {number} p */
const s = (xs, p) => {
  const v = pct(xs, p);
  return v == null ? null : r2(v / 1000);
};

/** Nova prints launched_at without a zone (UTC), with microseconds; concord with milliseconds. */
/** @param {Server} srv */
const launchedAt = (srv) => {
  const v = srv['OS-SRV-USG:launched_at'];
  return v ? Date.parse(v.endsWith('Z') ? v : `${v}Z`) : null;
};

/** @param {string} name */
async function boot1(name) {
  const t0 = now();
  const r = await call('POST', '/servers', {
    server: { name, imageRef: IMAGE, flavorRef: FLAVOR, networks: 'none' },
  });
  const t1 = now();
  if (r.status !== 202) throw new Error(`POST /servers: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  return { id: r.body.server.id, t0, t1 };
}

/** Every server whose name starts with TAG- (changed since SINCE, when given), following pages
 * (both servers cap a page at 1000).
 * @param {string} tag @param {string} [since] @returns {Promise<Server[]>} */
async function listTagged(tag, since = '') {
  /** @type {Server[]} */
  const out = [];
  let marker;
  for (;;) {
    const changed = since ? `&changes-since=${encodeURIComponent(since)}` : '';
    const q = `/servers/detail?name=^${tag}-&limit=1000${changed}${marker ? `&marker=${marker}` : ''}`;
    const r = await call('GET', q);
    if (r.status !== 200) throw new Error(`GET ${q}: ${r.status}`);
    /** @type {Server[]} */
    const page = r.body.servers;
    out.push(...page);
    if (page.length < 1000) return out;
    marker = page.at(-1)?.id;
  }
}

/** @param {number} n @param {number} conc @param {string} tag @param {number} pollS */
async function boot(n, conc, tag, pollS) {
  /** @type {Map<string, {t0: number, t1: number}>} */
  const sent = new Map();
  /** @type {string[]} */
  const errors = [];
  /** @type {Map<string, number>} */
  const activeSeen = new Map();
  /** @type {Map<string, string | null>} */
  const status = new Map();
  const T0 = now();
  let next = 0;
  const poster = async () => {
    while (next < n) {
      const i = next++;
      try {
        const b = await boot1(`${tag}-${String(i).padStart(5, '0')}`);
        sent.set(b.id, b);
      } catch (e) {
        errors.push(String(e));
      }
    }
  };
  /** The latest look at each server. @type {Map<string, Server>} */
  const latest = new Map();
  const changesOnly = Boolean(process.env.POLL_CHANGES);
  let since = '';
  const poller = async () => {
    for (;;) {
      const t = now();
      const changed = await listTagged(tag, since);
      if (changesOnly) since = new Date(t - 2000).toISOString();
      const seen = now();
      for (const srv of changed) latest.set(String(srv.id), srv);
      for (const srv of changed) {
        const id = String(srv.id);
        status.set(id, srv.status ?? null);
        if (srv.status === 'ACTIVE' && !activeSeen.has(id)) activeSeen.set(id, seen);
      }
      const settled = [...sent.keys()].every((id) => ['ACTIVE', 'ERROR'].includes(status.get(id) ?? ''));
      if (sent.size + errors.length === n && settled) return;
      // A stack that cannot finish is reported as far as it got (`active` < n).
      if (seen - T0 > LIMIT_S * 1000) return;
      await sleep(pollS * 1000 - (seen - t));
    }
  };
  const polling = poller();
  await Promise.all(Array.from({ length: conc }, poster));
  const tPosted = now();
  await polling;
  const tEnd = now();
  const post = [...sent.values()].map((b) => b.t1 - b.t0);
  const launched = new Map([...latest.values()].map((srv) => [srv.id, launchedAt(srv)]));
  /** @type {number[]} */
  const tta = [];
  /** @type {number[]} */
  const ttaPoll = [];
  let lastLaunch = 0;
  for (const [id, b] of sent) {
    const l = launched.get(id);
    if (status.get(id) === 'ACTIVE' && l) {
      tta.push(l - b.t0);
      lastLaunch = Math.max(lastLaunch, l);
    }
    const seen = activeSeen.get(id);
    if (seen) ttaPoll.push(seen - b.t0);
  }
  const hosts = new Set([...latest.values()].map((srv) => srv['OS-EXT-SRV-ATTR:host']).filter(Boolean));
  return {
    tag,
    n,
    concurrency: conc,
    poll_s: pollS,
    poll_changes_only: changesOnly,
    post_errors: errors.length,
    first_post_error: errors[0],
    server_errors: [...sent.keys()].filter((id) => status.get(id) === 'ERROR').length,
    still_building: [...sent.keys()].filter((id) => status.get(id) === 'BUILD').length,
    active: tta.length,
    hosts_used: hosts.size,
    all_posted_s: r2((tPosted - T0) / 1000),
    last_active_s: r2((lastLaunch - T0) / 1000),
    all_active_seen_s: r2((tEnd - T0) / 1000),
    boots_per_s: r2((tta.length * 1000) / (lastLaunch - T0)),
    post_p50_ms: ms(post, 50),
    post_p95_ms: ms(post, 95),
    tta_p50_s: s(tta, 50),
    tta_p95_s: s(tta, 95),
    tta_max_s: s(tta, 100),
    tta_poll_p50_s: s(ttaPoll, 50),
    tta_poll_p95_s: s(ttaPoll, 95),
  };
}

/** @param {number} n @param {number} pollS */
async function single(n, pollS) {
  /** @type {number[]} */
  const post = [];
  /** @type {number[]} */
  const tta = [];
  /** @type {number[]} */
  const ttaPoll = [];
  for (let i = 0; i < n; i++) {
    const b = await boot1(`single-${String(i).padStart(3, '0')}`);
    post.push(b.t1 - b.t0);
    for (;;) {
      const r = await call('GET', `/servers/${b.id}`);
      /** @type {Server} */
      const srv = r.body.server;
      const st = srv.status;
      if (st === 'ERROR') throw new Error(`server ${b.id} ERROR`);
      if (st === 'ACTIVE') {
        ttaPoll.push(now() - b.t0);
        tta.push((launchedAt(srv) ?? NaN) - b.t0);
        break;
      }
      await sleep(pollS * 1000);
    }
    await sleep(1000);
  }
  return {
    single: n,
    poll_s: pollS,
    post_p50_ms: ms(post, 50),
    post_max_ms: ms(post, 100),
    tta_p50_ms: ms(tta, 50),
    tta_min_ms: ms(tta, 0),
    tta_max_ms: ms(tta, 100),
    tta_poll_p50_ms: ms(ttaPoll, 50),
  };
}

/** @param {number} reps @param {number} conc */
async function detail(reps, conc) {
  const first = await call('GET', '/servers/detail');
  /** @type {number[]} */
  const lat = [];
  let next = 0;
  const t0 = now();
  const worker = async () => {
    while (next++ < reps) {
      const t = now();
      const r = await call('GET', '/servers/detail');
      if (r.status !== 200) throw new Error(`GET /servers/detail: ${r.status}`);
      lat.push(now() - t);
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const el = (now() - t0) / 1000;
  return {
    detail_servers: first.body.servers.length,
    bytes: first.bytes,
    requests: reps,
    concurrency: conc,
    p50_ms: ms(lat, 50),
    p95_ms: ms(lat, 95),
    max_ms: ms(lat, 100),
    req_per_s: r2(reps / el),
  };
}

/** Every server's id, following pages. @returns {Promise<string[]>} */
async function listIds() {
  /** @type {string[]} */
  const out = [];
  for (let marker; ;) {
    const r = await call('GET', `/servers?limit=1000${marker ? `&marker=${marker}` : ''}`);
    out.push(.../** @type {Server[]} */ (r.body.servers).map((x) => String(x.id)));
    if (r.body.servers.length < 1000) return out;
    marker = out.at(-1);
  }
}

async function deleteAll() {
  const t0 = now();
  const ids = await listIds();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) await call('DELETE', `/servers/${ids[next++] ?? ''}`);
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  while ((await listIds()).length) await sleep(500);
  return { deleted: ids.length, seconds: r2((now() - t0) / 1000) };
}

const [mode, a, b, c, d] = process.argv.slice(2);
/** @type {Record<string, () => Promise<object>>} */
const modes = {
  boot: () => boot(Number(a), Number(b), c ?? 'bench', Number(d ?? 0.5)),
  single: () => single(Number(a ?? 10), Number(b ?? 0.01)),
  detail: () => detail(Number(a ?? 20), Number(b ?? 1)),
  delete: () => deleteAll(),
};
const run = modes[mode ?? ''];
if (!run) {
  console.error('usage: client.mjs boot N C TAG [POLL_S] | single N [POLL_S] | detail R [C] | delete');
  process.exit(2);
}
console.log(JSON.stringify(await run()));
