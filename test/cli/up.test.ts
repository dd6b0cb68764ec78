// The pieces of `concord up` that decide what is written where and what the user is told.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCredentials } from '../../src/cli/credentials.js';
import { cloudsYaml, writeCloudsYaml } from '../../src/cli/clouds.js';
import { upBanner } from '../../src/cli/up.js';
import { publicBase } from '../../src/cli/runtime.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'concord-up-unit-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('loadCredentials', () => {
  it('generates the passwords once, privately, and keeps them', () => {
    const dir = tmp();
    const first = loadCredentials(dir, '');
    expect(first.adminPasswordGenerated).toBe(true);
    expect(new Set([first.adminPassword, first.demoPassword, first.servicePassword]).size).toBe(3);
    expect(first.adminPassword.length).toBeGreaterThanOrEqual(24);
    expect(statSync(join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
    const again = loadCredentials(dir, '');
    expect(again).toEqual({ ...first, adminPasswordGenerated: false });
  });

  it('takes a configured admin password without storing it', () => {
    const dir = tmp();
    const c = loadCredentials(dir, 'chosen');
    expect(c).toMatchObject({ adminPassword: 'chosen', adminPasswordGenerated: false });
    expect(readFileSync(join(dir, 'credentials.json'), 'utf8')).not.toContain('chosen');
  });

  it('refuses a credentials file it cannot read rather than replacing the passwords', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'credentials.json'), 'not json');
    expect(() => loadCredentials(dir, '')).toThrow(/credentials.json is not a JSON object/);
  });
});

describe('clouds.yaml', () => {
  const accounts = {
    admin: { username: 'admin', password: 'a: "quoted" #', project: 'admin' },
    demo: { username: 'demo', password: 'd', project: 'demo' },
  };

  it('describes the admin and demo clouds with password auth', () => {
    const doc = parse(cloudsYaml('http://h:1/identity', accounts));
    expect(doc.clouds.concord).toEqual({
      auth_type: 'password',
      auth: {
        auth_url: 'http://h:1/identity', username: 'admin', password: 'a: "quoted" #', project_name: 'admin',
        user_domain_name: 'Default', project_domain_name: 'Default',
      },
      region_name: 'RegionOne', interface: 'public', identity_api_version: 3,
    });
    expect(doc.clouds['concord-demo'].auth).toMatchObject({ username: 'demo', project_name: 'demo' });
  });

  it('is written to the data dir always, and to ~/.config/openstack only when absent', () => {
    const data = tmp();
    const home = tmp();
    const first = writeCloudsYaml(data, home, 'one');
    expect(first.userWritten).toBe(true);
    expect(statSync(first.userFile).mode & 0o777).toBe(0o600);
    const second = writeCloudsYaml(data, home, 'two');
    expect(second.userWritten).toBe(false);
    expect(readFileSync(second.dataFile, 'utf8')).toBe('two');
    expect(readFileSync(second.userFile, 'utf8')).toBe('one');
  });
});

describe('publicBase', () => {
  it('is where clients can reach the cloud', () => {
    expect(publicBase('', '127.0.0.1', 8080)).toBe('http://127.0.0.1:8080');
    expect(publicBase('', '::1', 8080)).toBe('http://[::1]:8080');
    expect(publicBase('', '0.0.0.0', 80)).toBe(`http://${hostname()}:80`);
    expect(publicBase('https://cloud.example.com/', '0.0.0.0', 80)).toBe('https://cloud.example.com');
  });
});

describe('upBanner', () => {
  const cloud = {
    catalog: [
      { name: 'keystone', type: 'identity', path: '/identity', url: 'http://h/identity' },
      { name: 'placement', type: 'placement', path: '/placement', url: 'http://h/placement' },
    ],
    credentials: { adminPassword: 'the-admin-secret', demoPassword: 'd', servicePassword: 's', adminPasswordGenerated: true },
  };
  const clouds = { dataFile: '/d/clouds.yaml', userFile: '/home/u/.config/openstack/clouds.yaml', userWritten: true };

  it('shows a generated admin password once, and only to a terminal', () => {
    const tty = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: true });
    expect(tty).toContain('admin password: the-admin-secret');
    const piped = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: false });
    expect(piped).not.toContain('the-admin-secret');
    expect(piped).toContain('passwords: in /d/credentials.json');
    const later = upBanner({ ...cloud, credentials: { ...cloud.credentials, adminPasswordGenerated: false } },
      { ms: 5, dataDir: '/d', clouds, tty: true });
    expect(later).not.toContain('the-admin-secret');
  });

  it('lists every endpoint and the clouds', () => {
    const text = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: false });
    expect(text).toMatch(/identity\s+http:\/\/h\/identity/);
    expect(text).toMatch(/placement\s+http:\/\/h\/placement/);
    expect(text).toContain('openstack --os-cloud concord token issue');
    const kept = upBanner(cloud, { ms: 5, dataDir: '/d', clouds: { ...clouds, userWritten: false }, tty: false });
    expect(kept).toContain('export OS_CLIENT_CONFIG_FILE=/d/clouds.yaml');
  });
});

describe('the user\'s clouds.yaml directory', () => {
  it('is created private when missing', () => {
    const home = tmp();
    mkdirSync(join(home, '.config'));
    const w = writeCloudsYaml(tmp(), home, 'x');
    expect(statSync(join(home, '.config', 'openstack')).mode & 0o777).toBe(0o700);
    expect(w.userWritten).toBe(true);
  });
});
