// The pieces of `concord up` that decide what is written where and what the user is told.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCredentials } from '../../src/cli/credentials.js';
import { concordClouds, writeCloudsYaml } from '../../src/cli/clouds.js';
import { upBanner } from '../../src/cli/up.js';
import { publicBase } from '../../src/cli/runtime.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'concord-up-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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
  const clouds = (url: string, admin = 'a') =>
    concordClouds(url, '/data', { ...accounts, admin: { ...accounts.admin, password: admin } });

  it("describes the admin and demo clouds with password auth, marked as concord's", () => {
    const doc = parse(stringify({ clouds: clouds('http://h:1/identity', 'a: "quoted" #') }));
    expect(doc.clouds.concord).toEqual({
      auth_type: 'password',
      auth: {
        auth_url: 'http://h:1/identity',
        username: 'admin',
        password: 'a: "quoted" #',
        project_name: 'admin',
        user_domain_name: 'Default',
        project_domain_name: 'Default',
      },
      region_name: 'RegionOne',
      interface: 'public',
      identity_api_version: 3,
      concord_data_dir: '/data',
    });
    expect(doc.clouds['concord-demo'].auth).toMatchObject({ username: 'demo', project_name: 'demo' });
  });

  it('is written to the data dir and ~/.config/openstack, and kept current in both', () => {
    const data = tmp();
    const home = tmp();
    const first = writeCloudsYaml(data, home, clouds('http://h:1/identity'));
    expect(first.userWritten).toBe(true);
    expect(statSync(first.userFile).mode & 0o777).toBe(0o600);
    // A reset (new passwords) and another port.
    const second = writeCloudsYaml(data, home, clouds('http://h:2/identity', 'new'));
    expect(second.userWritten).toBe(true);
    for (const file of [second.dataFile, second.userFile]) {
      const doc = parse(readFileSync(file, 'utf8'));
      expect(doc.clouds.concord.auth).toMatchObject({ auth_url: 'http://h:2/identity', password: 'new' });
      expect(doc.clouds['concord-demo'].auth.auth_url).toBe('http://h:2/identity');
    }
  });

  it("changes only concord's clouds in the user's own file, keeping the rest and its comments", () => {
    const data = tmp();
    const home = tmp();
    const dir = join(home, '.config', 'openstack');
    mkdirSync(dir, { recursive: true });
    const mine = '# my clouds\nclouds:\n  prod:   # the real one\n    auth: {auth_url: "https://prod"}\n';
    writeFileSync(join(dir, 'clouds.yaml'), mine);
    const w = writeCloudsYaml(data, home, clouds('http://h:1/identity'));
    expect(w.userWritten).toBe(true);
    const text = readFileSync(w.userFile, 'utf8');
    expect(text).toMatch(/^# my clouds\n/);
    expect(text).toContain('# the real one');
    const doc = parse(text);
    expect(doc.clouds.prod).toEqual({ auth: { auth_url: 'https://prod' } });
    expect(doc.clouds.concord.auth.auth_url).toBe('http://h:1/identity');
    writeCloudsYaml(data, home, clouds('http://h:2/identity'));
    const again = parse(readFileSync(w.userFile, 'utf8'));
    expect(Object.keys(again.clouds)).toEqual(['prod', 'concord', 'concord-demo']);
    expect(again.clouds.concord.auth.auth_url).toBe('http://h:2/identity');
  });

  it("leaves the user's file alone when it has its own cloud named concord, or cannot be read", () => {
    for (const [content, reason] of [
      [
        'clouds:\n  concord:\n    auth: {auth_url: "https://mine"}\n',
        'it has a cloud named concord that concord did not write',
      ],
      ['clouds: [unclosed\n', 'it is not valid YAML'],
      ['- a list\n', 'it is not a mapping of clouds'],
    ]) {
      const home = tmp();
      const dir = join(home, '.config', 'openstack');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'clouds.yaml'), content!);
      const w = writeCloudsYaml(tmp(), home, clouds('http://h:1/identity'));
      expect(w).toMatchObject({ userWritten: false, reason });
      expect(readFileSync(w.userFile, 'utf8')).toBe(content);
      expect(parse(readFileSync(w.dataFile, 'utf8')).clouds.concord.auth.auth_url).toBe('http://h:1/identity');
    }
  });

  it('follows a linked clouds.yaml rather than replacing the link', () => {
    const home = tmp();
    const elsewhere = join(tmp(), 'clouds.yaml');
    writeFileSync(elsewhere, 'clouds: {}\n');
    mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
    symlinkSync(elsewhere, join(home, '.config', 'openstack', 'clouds.yaml'));
    const w = writeCloudsYaml(tmp(), home, clouds('http://h:1/identity'));
    expect(lstatSync(w.userFile).isSymbolicLink()).toBe(true);
    expect(parse(readFileSync(elsewhere, 'utf8')).clouds.concord.auth.auth_url).toBe('http://h:1/identity');
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
    credentials: {
      adminPassword: 'the-admin-secret',
      demoPassword: 'd',
      servicePassword: 's',
      adminPasswordGenerated: true,
    },
  };
  const clouds = { dataFile: '/d/clouds.yaml', userFile: '/home/u/.config/openstack/clouds.yaml', userWritten: true };
  const leftAlone = {
    ...clouds,
    userWritten: false,
    reason: 'it has a cloud named concord that concord did not write',
  };

  it('shows a generated admin password once, and only to a terminal', () => {
    const tty = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: true });
    expect(tty).toContain('admin password: the-admin-secret');
    const piped = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: false });
    expect(piped).not.toContain('the-admin-secret');
    expect(piped).toContain('passwords: in /d/credentials.json');
    const later = upBanner(
      { ...cloud, credentials: { ...cloud.credentials, adminPasswordGenerated: false } },
      { ms: 5, dataDir: '/d', clouds, tty: true },
    );
    expect(later).not.toContain('the-admin-secret');
  });

  it('lists every endpoint and the clouds', () => {
    const text = upBanner(cloud, { ms: 5, dataDir: '/d', clouds, tty: false });
    expect(text).toMatch(/identity\s+http:\/\/h\/identity/);
    expect(text).toMatch(/placement\s+http:\/\/h\/placement/);
    expect(text).toContain('openstack --os-cloud concord token issue');
    const kept = upBanner(cloud, { ms: 5, dataDir: '/d', clouds: leftAlone, tty: false });
    expect(kept).toContain(
      '/home/u/.config/openstack/clouds.yaml was left alone: it has a cloud named concord that ' +
        'concord did not write (export OS_CLIENT_CONFIG_FILE=/d/clouds.yaml)',
    );
  });
});

describe("the user's clouds.yaml directory", () => {
  it('is created private when missing', () => {
    const home = tmp();
    mkdirSync(join(home, '.config'));
    const w = writeCloudsYaml(tmp(), home, {});
    expect(statSync(join(home, '.config', 'openstack')).mode & 0o777).toBe(0o700);
    expect(w.userWritten).toBe(true);
  });
});
