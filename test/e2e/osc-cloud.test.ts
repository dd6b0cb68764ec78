// The real clients against a real `concord up` process, through the clouds.yaml it wrote: the
// python-openstackclient flow of the issue (identity, placement, image), the same with
// openstacksdk, bad credentials, and at
// the end a search of everything the server printed for every secret the run handled.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonWith, startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient python3-osc-placement');
const sdk = pythonWith('openstack', 'python3-openstacksdk');
const SDK_FLOW = resolve(import.meta.dirname, 'sdk_flow.py');

// Each test runs the CLI (a Python process of a second or more) many times over, on a CI machine
// that runs other suites beside it: minutes, not the default 30 s.
describe.skipIf(skip)(
  `openstack CLI and openstacksdk against concord up${skip ? ` (skipped: ${skip})` : ''}`,
  { timeout: 240000 },
  () => {
    let c: Cloud;
    /** Every password, token and secret the run handles: none may appear in the server's output. */
    const secrets: string[] = [];
    beforeAll(async () => {
      // As verbose as the server gets, so that the search below covers as many log lines as possible.
      c = await startCloud({ env: { CONCORD_LOG_LEVEL: 'debug' } });
      secrets.push(c.credentials.admin_password, c.credentials.demo_password, c.credentials.service_password);
    }, 60000);
    afterAll(async () => {
      await c?.stop();
      c?.cleanup();
    });

    const ok = (args: string[], cloud = 'concord') => {
      const r = c.osc([...args, '-f', 'json'], cloud);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r.json;
    };
    /** openstack without a cloud: the auth comes from OS_* variables alone. */
    const oscEnv = (env: Record<string, string>, args: string[]) =>
      c.run('openstack', [...args, '-f', 'json'], {
        OS_AUTH_URL: `${c.base}/identity`,
        OS_IDENTITY_API_VERSION: '3',
        OS_REGION_NAME: 'RegionOne',
        OS_CLIENT_CONFIG_FILE: '/nonexistent',
        ...env,
      });

    it('issues tokens and lists the catalog for both clouds of clouds.yaml', () => {
      const token = ok(['token', 'issue']);
      secrets.push(token.id);
      expect(token.project_id).toMatch(/^[0-9a-f]{32}$/);
      const catalog = ok(['catalog', 'list']);
      expect(catalog.map((s: { Type: string }) => s.Type).sort()).toEqual([
        'compute',
        'identity',
        'image',
        'placement',
      ]);
      const demo = ok(['token', 'issue'], 'concord-demo');
      secrets.push(demo.id);
      expect(demo.project_id).not.toBe(token.project_id);
    });

    it('writes ~/.config/openstack/clouds.yaml, which the CLI finds by itself', () => {
      expect(existsSync(join(c.home, '.config', 'openstack', 'clouds.yaml'))).toBe(true);
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: c.home };
      delete env.OS_CLIENT_CONFIG_FILE;
      const r = spawnSync('openstack', ['--os-cloud', 'concord', 'project', 'list', '-f', 'json'], {
        env,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(
        JSON.parse(r.stdout)
          .map((p: { Name: string }) => p.Name)
          .sort(),
      ).toEqual(['admin', 'demo', 'service']);
    });

    it('creates a project, a user and a role, grants it and lists the assignments with names', () => {
      const project = ok(['project', 'create', 'e2e-project', '--description', 'end to end']);
      expect(project.name).toBe('e2e-project');
      const password = 'e2e-user-password-4b1d';
      secrets.push(password);
      const user = ok(['user', 'create', 'e2e-user', '--password', password, '--project', 'e2e-project']);
      expect(user.default_project_id).toBe(project.id);
      expect(JSON.stringify(user)).not.toContain(password);
      expect(ok(['role', 'create', 'e2e-role']).name).toBe('e2e-role');
      for (const role of ['member', 'e2e-role']) {
        const r = c.osc(['role', 'add', '--project', 'e2e-project', '--user', 'e2e-user', role]);
        expect(r.status, r.stderr).toBe(0);
      }
      const assignments = ok(['role', 'assignment', 'list', '--names', '--project', 'e2e-project']);
      expect(
        assignments
          .map((a: { Role: string; User: string; Project: string }) => `${a.Role} ${a.User} ${a.Project}`)
          .sort(),
      ).toEqual(['e2e-role e2e-user@Default e2e-project@Default', 'member e2e-user@Default e2e-project@Default']);
      const token = oscEnv(
        {
          OS_USERNAME: 'e2e-user',
          OS_PASSWORD: password,
          OS_PROJECT_NAME: 'e2e-project',
          OS_USER_DOMAIN_NAME: 'Default',
          OS_PROJECT_DOMAIN_NAME: 'Default',
        },
        ['token', 'issue'],
      );
      expect(token.status, token.stderr).toBe(0);
      secrets.push(token.json.id);
      expect(token.json.project_id).toBe(project.id);
    });

    it('creates an application credential and authenticates with it, placement included', () => {
      const cred = ok(['application', 'credential', 'create', 'e2e-cred']);
      secrets.push(cred.secret);
      const env = {
        OS_AUTH_TYPE: 'v3applicationcredential',
        OS_APPLICATION_CREDENTIAL_ID: cred.id,
        OS_APPLICATION_CREDENTIAL_SECRET: cred.secret,
      };
      const token = oscEnv(env, ['token', 'issue']);
      expect(token.status, token.stderr).toBe(0);
      secrets.push(token.json.id);
      expect(token.json.project_id).toBe(cred.project_id);
      const providers = oscEnv(env, ['resource', 'provider', 'list']);
      expect(providers.status, providers.stderr).toBe(0);
      const wrong = oscEnv({ ...env, OS_APPLICATION_CREDENTIAL_SECRET: 'not-the-secret' }, ['token', 'issue']);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/HTTP 401/);
    });

    it("reaches placement through the catalog, as far as each cloud's roles allow", () => {
      const created = ok(['resource', 'provider', 'create', 'e2e-hv']);
      const list = ok(['resource', 'provider', 'list']);
      expect(list.map((p: { uuid: string }) => p.uuid)).toContain(created.uuid);
      const demo = c.osc(['resource', 'provider', 'list'], 'concord-demo');
      expect(demo.status).not.toBe(0);
      expect(demo.stderr).toMatch(/HTTP 403/);
    });

    it('creates, lists, shows, saves and deletes an image, which other projects do not see', () => {
      const data = randomBytes(200_000);
      const file = join(c.dataDir, 'upload.bin');
      writeFileSync(file, data);
      ok(['image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'e2e-image']);
      const names = () =>
        ok(['image', 'list'])
          .map((i: { Name: string }) => i.Name)
          .sort();
      expect(names()).toEqual(['cirros-0.6.2-x86_64-disk', 'e2e-image']);
      const shown = ok(['image', 'show', 'e2e-image']);
      expect(shown).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: createHash('md5').update(data).digest('hex'),
      });
      const saved = join(c.dataDir, 'download.bin');
      const save = c.osc(['image', 'save', '--file', saved, 'e2e-image']);
      expect(save.status, save.stderr).toBe(0);
      expect(readFileSync(saved).equals(data)).toBe(true);
      const demo = ok(['image', 'list'], 'concord-demo').map((i: { Name: string }) => i.Name);
      expect(demo).toEqual(['cirros-0.6.2-x86_64-disk']);
      const del = c.osc(['image', 'delete', 'e2e-image']);
      expect(del.status, del.stderr).toBe(0);
      expect(names()).toEqual(['cirros-0.6.2-x86_64-disk']);
    });

    it('refuses wrong credentials with a 401 that does not say which part was wrong', () => {
      const base = { OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_PROJECT_NAME: 'admin' };
      const messages = [
        oscEnv({ ...base, OS_USERNAME: 'admin', OS_PASSWORD: 'wrong-password' }, ['token', 'issue']),
        oscEnv({ ...base, OS_USERNAME: 'nobody', OS_PASSWORD: c.credentials.admin_password }, ['token', 'issue']),
        oscEnv({ ...base, OS_USERNAME: 'demo', OS_PASSWORD: c.credentials.demo_password }, ['token', 'issue']),
      ].map((r) => {
        expect(r.status).not.toBe(0);
        return r.stderr.replace(/\(Request-ID: [^)]*\)/, '').trim();
      });
      expect(messages[0]).toMatch(/The request you have made requires authentication. \(HTTP 401\)/);
      expect(new Set(messages).size).toBe(1);
    });

    it.skipIf('skip' in sdk)(
      `runs the same flow with openstacksdk${'skip' in sdk ? ` (skipped: ${sdk.skip})` : ''}`,
      () => {
        const r = c.run((sdk as { python: string }).python, [SDK_FLOW]);
        expect(r.status, r.stderr).toBe(0);
        secrets.push(...r.json.secrets);
        expect(r.json).toMatchObject({
          catalog: ['compute', 'identity', 'image', 'placement'],
          assignments: ['member sdk-user'],
          app_cred_project: true,
          cleaned: true,
          image_status: 'active',
          image_roundtrip: true,
          images_seen_by_user: ['cirros-0.6.2-x86_64-disk', 'sdk-image'],
          images_seen_by_demo: ['cirros-0.6.2-x86_64-disk'],
        });
        expect(r.json.providers).toContain('sdk-hv');
      },
    );

    it('stops cleanly on SIGTERM, and never printed a password, token or secret', async () => {
      expect(await c.stop()).toBe(0);
      const log = c.log();
      expect(log).toMatch(/"msg":"stopping"/);
      expect(log).not.toMatch(/"level":50/);
      expect(secrets.length).toBeGreaterThanOrEqual(12);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(8);
        expect(log.includes(secret), `a secret (${secret.slice(0, 4)}...) is in the server's output`).toBe(false);
        // A token's signature alone would do as much harm as the whole token.
        const signature = secret.split('.')[2];
        if (signature) expect(log.includes(signature)).toBe(false);
      }
      // The log did record the run (the search above looked at something).
      expect(log).toMatch(/\/identity\/v3\/auth\/tokens/);
      expect(readFileSync(join(c.dataDir, 'clouds.yaml'), 'utf8')).toContain(c.credentials.admin_password);
    });
  },
);
