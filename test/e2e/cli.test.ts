// The `concord` command as a user runs it: up (restart on the same data dir, Ctrl-C, the user's
// own clouds in ~/.config/openstack kept and concord's kept current, --config, --database-url, a
// private data dir), serve placement with either auth strategy (failing closed), serve identity
// and image as separate processes (scale-out), --help.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parse } from 'yaml';
import { BIN, freePort, startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `concord-cli-${name}-`));
const skipPg = postgresUnavailable();
const noOsc = toolUnavailable('openstack', 'python3-openstackclient');

/** What under `dir` others could read or enter ("path mode"); empty when it is all private. */
function privacyOf(dir: string): string[] {
  const open: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.mode & 0o077) open.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
  };
  visit(dir);
  return open;
}

async function login(base: string, user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${base}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  expect(res.status).toBe(201);
  return res.headers.get('x-subject-token')!;
}

/** `concord serve SERVICE` as the conformance harness starts it; resolves once it answers. */
async function serveService(service: string, args: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const dataDir = tmp('serve');
  let out = '';
  const proc = spawn(
    process.execPath,
    ['--no-deprecation', BIN, 'serve', service, '--port', String(port), '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20000; ;) {
    if (proc.exitCode !== null) break;
    if (
      await fetch(base).then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`serve ${service} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    dataDir,
    log: () => out,
    exited,
    get: (path: string, token?: string) =>
      fetch(`${base}${path}`, {
        headers: { 'openstack-api-version': 'placement latest', ...(token ? { 'x-auth-token': token } : {}) },
      }),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

const servePlacement = (args: string[]) => serveService('placement', args);

describe('concord up', () => {
  it('starts again on the same data dir with the same accounts and keys, and stops on Ctrl-C', async () => {
    const dataDir = tmp('data');
    const home = tmp('home');
    // The user's own clouds.yaml: concord adds its clouds, and keeps the user's.
    mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
    const userFile = join(home, '.config', 'openstack', 'clouds.yaml');
    writeFileSync(userFile, 'clouds:\n  elsewhere:\n    auth: {}\n');
    try {
      const first = await startCloud({ dataDir, home });
      expect(first.log()).toContain(`and ${userFile}`);
      expect(parse(readFileSync(userFile, 'utf8')).clouds.concord.auth.auth_url).toBe(`${first.base}/identity`);
      const password = first.credentials.admin_password;
      const token = await login(first.base, 'admin', password, 'admin');
      expect(await first.stop()).toBe(0);
      // Everything the cloud keeps is its owner's alone; a data dir from before that rule is
      // closed at the next start.
      expect(privacyOf(dataDir)).toEqual([]);
      expect(readdirSync(join(dataDir, 'images'))).toHaveLength(1);
      for (const f of ['identity.sqlite', 'placement.sqlite', 'image.sqlite', 'images']) {
        chmodSync(join(dataDir, f), 0o644 | (f === 'images' ? 0o111 : 0));
      }
      for (const f of readdirSync(join(dataDir, 'images'))) chmodSync(join(dataDir, 'images', f), 0o644);
      chmodSync(dataDir, 0o755);

      const second = await startCloud({ dataDir, home });
      expect(privacyOf(dataDir)).toEqual([]);
      expect(second.log()).toMatch(/"level":40.*the data directory was readable by other users/);
      expect(second.credentials.admin_password).toBe(password);
      const res = await fetch(`${second.base}/placement/resource_providers`, { headers: { 'x-auth-token': token } });
      expect(res.status).toBe(200);
      expect(readFileSync(join(second.dataDir, 'clouds.yaml'), 'utf8')).toContain(second.base);
      expect(statSync(join(second.dataDir, 'clouds.yaml')).mode & 0o777).toBe(0o600);
      // Another port this time: the user's clouds.yaml follows.
      const userClouds = parse(readFileSync(userFile, 'utf8')).clouds;
      expect(userClouds.elsewhere).toEqual({ auth: {} });
      expect(userClouds.concord.auth.auth_url).toBe(`${second.base}/identity`);
      // Ctrl-C in a terminal sends SIGINT.
      process.kill(second.pid, 'SIGINT');
      expect(await second.exited).toBe(0);
      expect(second.log()).toMatch(/"signal":"SIGINT","msg":"stopping"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  }, 60000);

  it.skipIf(noOsc)(
    'keeps the clouds.yaml it wrote in ~/.config/openstack current after a reset',
    async () => {
      const home = tmp('home');
      const openstack = (args: string[]) =>
        spawnSync('openstack', ['--os-cloud', 'concord', ...args], {
          encoding: 'utf8',
          env: { ...process.env, HOME: home, OS_CLIENT_CONFIG_FILE: '' },
        });
      try {
        const first = await startCloud({ home });
        expect(openstack(['token', 'issue', '-f', 'value', '-c', 'id']).status).toBe(0);
        await first.stop();
        first.cleanup();
        // A fresh data dir (new passwords) on another port, as after `rm -rf data`.
        const second = await startCloud({ home });
        try {
          const issued = openstack(['token', 'issue', '-f', 'value', '-c', 'id']);
          expect(issued.stderr).toBe('');
          expect(issued.status).toBe(0);
        } finally {
          await second.stop();
          second.cleanup();
        }
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
    60000,
  );

  it('takes its admin password and policy from --config', async () => {
    const dir = tmp('conf');
    const conf = join(dir, 'my.conf');
    writeFileSync(conf, '[DEFAULT]\nadmin_password = from-the-config-file\n');
    // Readers may list providers: the policy file sits next to the configuration file.
    writeFileSync(join(dir, 'policy.yaml'), '"placement:resource_providers:list": "role:reader"\n');
    const c: Cloud = await startCloud({ extraArgs: ['--config', conf] });
    try {
      expect(c.credentials.admin_password).toBeUndefined();
      const admin = await login(c.base, 'admin', 'from-the-config-file', 'admin');
      expect(admin).toBeTruthy();
      const demo = await login(c.base, 'demo', c.credentials.demo_password, 'demo');
      const res = await fetch(`${c.base}/placement/resource_providers`, { headers: { 'x-auth-token': demo } });
      expect(res.status).toBe(200);
      expect(c.log()).not.toContain('from-the-config-file');
    } finally {
      await c.stop();
      c.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it.skipIf(skipPg)(
    'keeps every service in the one database of --database-url',
    async () => {
      const cluster = await startPostgres();
      try {
        const url = await cluster.createDatabase('cloud');
        const c = await startCloud({ extraArgs: ['--database-url', url] });
        try {
          const admin = await login(c.base, 'admin', c.credentials.admin_password, 'admin');
          const created = await fetch(`${c.base}/placement/resource_providers`, {
            method: 'POST',
            headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'hv1' }),
          });
          expect(created.status).toBe(201);
          const images = await (
            await fetch(`${c.base}/image/v2/images`, { headers: { 'x-auth-token': admin } })
          ).json();
          expect(images.images.map((i: { name: string }) => i.name)).toEqual(['cirros-0.6.2-x86_64-disk']);
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            const tables = (
              await client.query(`SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'public'`)
            ).rows.map((r: { table_name: string }) => r.table_name);
            expect(tables).toEqual(
              expect.arrayContaining([
                'identity_migrations',
                'user',
                'placement_migrations',
                'resource_providers',
                'image_migrations',
                'images',
              ]),
            );
            const rps = await client.query('SELECT name FROM resource_providers');
            expect(rps.rows).toEqual([{ name: 'hv1' }]);
          } finally {
            await client.end();
          }
          expect(readdirSync(c.dataDir).filter((f) => f.includes('.sqlite'))).toEqual([]);
        } finally {
          await c.stop();
          c.cleanup();
        }
      } finally {
        cluster.stop();
      }
    },
    90000,
  );

  it('refuses a bad port or a missing configuration file with a one-line error', () => {
    for (const [args, message] of [
      [['--port', 'eighty'], 'concord: --port: not a TCP port: eighty'],
      [['--config', '/nonexistent/concord.conf'], 'concord: configuration file not found: /nonexistent/concord.conf'],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, 'up', '--data-dir', join(tmpdir(), 'concord-cli-unused'), ...args], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(message);
    }
  });
});

describe('concord serve placement', () => {
  let c: Cloud;
  let conf: string;
  beforeAll(async () => {
    c = await startCloud();
    conf = join(c.dataDir, 'placement.conf');
    writeFileSync(
      conf,
      `[keystone_authtoken]\nauth_url = ${c.base}/identity/v3\nusername = placement\n` +
        `password = ${c.credentials.service_password}\n`,
    );
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  it('validates tokens against the identity of [keystone_authtoken] auth_url by default', async () => {
    const p = await servePlacement(['--config', conf]);
    try {
      const anonymous = await p.get('/resource_providers');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe(`Keystone uri="${c.base}/identity"`);
      expect((await anonymous.json()).errors[0].title).toBe('Unauthorized');
      expect((await p.get('/resource_providers', 'admin')).status).toBe(401);
      const admin = await login(c.base, 'admin', c.credentials.admin_password, 'admin');
      expect((await p.get('/resource_providers', admin)).status).toBe(200);
      const demo = await login(c.base, 'demo', c.credentials.demo_password, 'demo');
      expect((await p.get('/resource_providers', demo)).status).toBe(403);
      expect(p.log()).not.toContain('noauth2');
    } finally {
      expect(await p.stop()).toBe(0);
    }
    expect(c.log()).not.toContain(c.credentials.service_password);
  });

  it('refuses to start without a way to validate tokens, and serves noauth2 when asked, on loopback', async () => {
    for (const service of ['placement', 'image']) {
      const bare = await serveService(service, []);
      expect(await bare.stop()).toBe(1);
      expect(bare.log()).toContain('concord: nothing to validate tokens with: set [keystone_authtoken] auth_url');
      expect(bare.log()).toContain('pass --auth-strategy noauth2');
    }
    const forced = await servePlacement(['--config', conf, '--auth-strategy', 'noauth2']);
    try {
      expect((await forced.get('/resource_providers', 'admin')).status).toBe(200);
      expect((await forced.get('/resource_providers')).status).toBe(401);
      // Asked for on loopback: nothing to warn about but the 401 above, with its reason (the
      // server's output reaches us on its own schedule).
      const refused = /"level":40.*authentication failed: no X-Auth-Token/;
      for (const deadline = Date.now() + 5000; !refused.test(forced.log()) && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(forced.log()).toMatch(refused);
      expect(forced.log()).not.toMatch(/"level":40.*noauth2/);
    } finally {
      await forced.stop();
    }
  });

  it('serves noauth2 on an address others can reach only when forced to', async () => {
    const exposed = await servePlacement(['--auth-strategy', 'noauth2', '--host', '0.0.0.0']);
    expect(await exposed.stop()).toBe(1);
    expect(exposed.log()).toContain(
      'auth strategy noauth2 trusts any token, so it serves only on a loopback ' +
        'address (--host 127.0.0.1 or ::1), not on 0.0.0.0',
    );
    expect(exposed.log()).toContain('pass --insecure-noauth-any-host');
    const insisted = await servePlacement([
      '--auth-strategy',
      'noauth2',
      '--host',
      '0.0.0.0',
      '--insecure-noauth-any-host',
    ]);
    try {
      expect((await insisted.get('/resource_providers', 'admin')).status).toBe(200);
      expect(insisted.log()).toMatch(/"level":40.*auth strategy noauth2 on 0\.0\.0\.0 \(--insecure-noauth-any-host\)/);
    } finally {
      await insisted.stop();
    }
  });

  it('refuses an unknown auth strategy, or keystone without auth_url', async () => {
    const bogus = await servePlacement(['--auth-strategy', 'bogus']);
    expect(await bogus.exited).toBe(1);
    expect(bogus.log()).toContain('concord: auth strategy bogus is unknown (use one of: keystone, noauth2)');
    const keystone = await servePlacement(['--auth-strategy', 'keystone']);
    expect(await keystone.exited).toBe(1);
    expect(keystone.log()).toContain('auth strategy keystone needs [keystone_authtoken] auth_url');
  });
});

describe('concord serve identity and image (scale-out)', () => {
  it('runs identity alone, and image validating its tokens over HTTP as glance', async () => {
    const identity = await serveService('identity', []);
    try {
      const stored = JSON.parse(readFileSync(join(identity.dataDir, 'credentials.json'), 'utf8'));
      const versions = await fetch(`${identity.base}/v3`);
      expect((await versions.json()).version.links[0].href).toBe(`${identity.base}/v3/`);
      const token = await fetch(`${identity.base}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: stored.admin_password } },
            },
            scope: { project: { name: 'admin', domain: { id: 'default' } } },
          },
        }),
      });
      expect(token.status).toBe(201);
      const adminToken = token.headers.get('x-subject-token')!;
      // Only identity is catalogued; the service users exist for the other services to log in.
      const body = await token.json();
      expect(body.token.catalog.map((e: { type: string }) => e.type)).toEqual(['identity']);

      const image = await serveService('image', [], {
        CONCORD_KEYSTONE_AUTHTOKEN__AUTH_URL: `${identity.base}/v3`,
        CONCORD_KEYSTONE_AUTHTOKEN__USERNAME: 'glance',
        CONCORD_KEYSTONE_AUTHTOKEN__PASSWORD: stored.service_password,
      });
      try {
        expect((await fetch(`${image.base}/v2/images`)).status).toBe(401);
        const created = await fetch(`${image.base}/v2/images`, {
          method: 'POST',
          headers: { 'x-auth-token': adminToken, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'scaled', disk_format: 'raw', container_format: 'bare' }),
        });
        expect(created.status).toBe(201);
        const list = await (await fetch(`${image.base}/v2/images`, { headers: { 'x-auth-token': adminToken } })).json();
        expect(list.images.map((i: { name: string }) => i.name)).toEqual(['scaled']);
        expect(image.log()).not.toContain(stored.service_password);
      } finally {
        expect(await image.stop()).toBe(0);
      }
    } finally {
      expect(await identity.stop()).toBe(0);
    }
  });

  it('refuses --auth-strategy for identity, and unknown services', async () => {
    const identity = await serveService('identity', ['--auth-strategy', 'noauth2']);
    expect(await identity.exited).toBe(1);
    expect(identity.log()).toContain('identity validates its own tokens');
    const bogus = spawnSync(process.execPath, [BIN, 'serve', 'baremetal'], { encoding: 'utf8' });
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toContain('unknown service: baremetal (available: identity, placement, image, compute)');
  });
});

describe('concord --help', () => {
  const help = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }).stdout;

  it('describes every command and every option', () => {
    const top = help('--help');
    expect(top).toMatch(/up \[options\]/);
    expect(top).toMatch(/serve \[options\] <service>/);
    expect(top).toMatch(/CONCORD_<SECTION>__<NAME>/);
    const up = help('help', 'up');
    for (const o of [
      '--port',
      '--host',
      '--data-dir',
      '--config',
      '--database-url',
      'clouds.yaml',
      'admin_password',
      'Ctrl-C',
    ])
      expect(up).toContain(o);
    const serve = help('help', 'serve');
    for (const o of [
      '--port',
      '--host',
      '--data-dir',
      '--config',
      '--database-url',
      '--auth-strategy',
      'noauth2',
      '--insecure-noauth-any-host',
      'PLACEMENT_POLICY_MODE',
    ])
      expect(serve).toContain(o);
  });
});
