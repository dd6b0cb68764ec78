// Identity and the image service in this test process, on one real port (as `concord up` mounts
// them: /identity, /image), with a clouds.yaml for the real `openstack` CLI: password logins,
// Keystone tokens validated by the image service through identity's REST API.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { createServer } from '../../src/common/http/app.js';
import {
  bootstrapIdentity,
  createIdentity,
  identityEnforcer,
  identityPlugin,
  keystoneAuthenticator,
  type IdentityInstance,
} from '../../src/identity/index.js';
import { injectTransport, Session } from '../../src/common/clients/index.js';
import { createImage, imageEnforcer, imagePlugin, type ImageInstance } from '../../src/image/index.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, SERVICE_PASSWORD } from './identity.js';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = netServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface ClientResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

export interface ImageCloud {
  base: string;
  dir: string;
  app: FastifyInstance;
  identity: IdentityInstance;
  image: ImageInstance;
  /** Runs `openstack --os-cloud CLOUD ARGS` (clouds: concord = admin, concord-demo = demo). The
   * CLI runs asynchronously: this process is the server it talks to. */
  osc(args: string[], cloud?: string): Promise<ClientResult>;
  /** Runs python-glanceclient's `glance ARGS` as admin or demo (password auth from the environment). */
  glance(args: string[], user?: 'admin' | 'demo'): Promise<ClientResult>;
  stop(): Promise<void>;
}

function cloud(base: string, user: string, password: string, project: string): string {
  return [
    '    auth:',
    `      auth_url: ${base}/identity/v3`,
    `      username: ${user}`,
    `      password: ${password}`,
    `      project_name: ${project}`,
    '      user_domain_id: default',
    '      project_domain_id: default',
    '    identity_api_version: 3',
    '    region_name: RegionOne',
  ].join('\n');
}

/** Runs a client asynchronously (this process is the server it talks to) and parses JSON output. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (status) => {
      let json: unknown = null;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : null;
      } catch {
        /* not JSON output */
      }
      resolve({ status: status ?? -1, stdout, stderr, json });
    });
  });
}

export async function startImageCloud(opts: { config?: Partial<Config> } = {}): Promise<ImageCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'concord-image-cloud-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadConfig(undefined, {}, opts.config ?? {});
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const identity = await createIdentity({
    config,
    dataDir: dir,
    log,
    policy: identityEnforcer({ config, configDir: dir, log }),
  });
  await bootstrapIdentity(identity, {
    adminPassword: ADMIN_PASSWORD,
    demoPassword: DEMO_PASSWORD,
    servicePassword: SERVICE_PASSWORD,
    publicUrl: `${base}/identity`,
    services: [{ name: 'glance', type: 'image', url: `${base}/image` }],
  });
  const image = await createImage({
    config,
    dataDir: dir,
    log,
    policy: imageEnforcer({ config, configDir: dir, log }),
  });
  const app = createServer({ logger: log });
  await app.register(identityPlugin(identity), { prefix: '/identity' });
  const authenticate = keystoneAuthenticator({
    session: new Session({
      transport: injectTransport(app, base),
      authUrl: `${base}/identity`,
      credentials: {
        username: 'glance',
        password: SERVICE_PASSWORD,
        projectName: 'service',
        userDomainName: 'Default',
        projectDomainName: 'Default',
      },
    }),
  });
  await app.register(imagePlugin(image, authenticate), { prefix: '/image' });
  await app.listen({ port, host: '127.0.0.1' });
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(
    clouds,
    `clouds:\n  concord:\n${cloud(base, 'admin', ADMIN_PASSWORD, 'admin')}\n` +
      `  concord-demo:\n${cloud(base, 'demo', DEMO_PASSWORD, 'demo')}\n`,
    { mode: 0o600 },
  );
  return {
    base,
    dir,
    app,
    identity,
    image,
    osc: (args, name = 'concord') => run('openstack', ['--os-cloud', name, ...args], { OS_CLIENT_CONFIG_FILE: clouds }),
    glance: (args, user = 'admin') =>
      run('glance', args, {
        OS_AUTH_URL: `${base}/identity/v3`,
        OS_USERNAME: user,
        OS_PASSWORD: user === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD,
        OS_PROJECT_NAME: user,
        OS_USER_DOMAIN_ID: 'default',
        OS_PROJECT_DOMAIN_ID: 'default',
        OS_IMAGE_API_VERSION: '2',
        OS_REGION_NAME: 'RegionOne',
      }),
    async stop() {
      await app.close();
      await image.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
