import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import {
  createIdentity,
  bootstrapIdentity,
  identityEnforcer,
  type BootstrapOptions,
} from '../../src/identity/index.js';
import { authenticate } from '../../src/identity/auth/authenticate.js';
import { Unauthorized } from '../../src/identity/exceptions.js';
import { validateToken } from '../../src/identity/token/model.js';
import { revoke } from '../../src/identity/objects/revocation.js';

const log = createLogger({ name: 'test' });
log.level = 'silent';
const policy = identityEnforcer({ config: loadConfig(undefined, {}), configDir: '/nonexistent' });

const options: BootstrapOptions = {
  adminPassword: 'first',
  servicePassword: 'svc',
  publicUrl: 'http://h/identity',
  services: [
    { name: 'nova', type: 'compute', url: 'http://h/compute/v2.1' },
    { name: 'placement', type: 'placement', url: 'http://h/placement', password: 'own' },
  ],
};

const login = (name: string, password: string, project: string) => ({
  identity: { methods: ['password'], password: { user: { name, password, domain: { id: 'default' } } } },
  scope: { project: { name: project, domain: { name: 'Default' } } },
});

describe('bootstrapIdentity', () => {
  it('creates the accounts, roles and catalog, and re-running it changes only what differs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-identity-boot-'));
    try {
      const config = loadConfig(undefined, {});
      const identity = await createIdentity({ config, dataDir: dir, log, policy });
      const first = await bootstrapIdentity(identity, options);
      const second = await bootstrapIdentity(identity, {
        ...options,
        adminPassword: 'second',
        services: [{ ...options.services[0]!, url: 'http://h2/compute/v2.1' }, options.services[1]!],
      });
      expect(second).toEqual(first);

      const roleNames = (await identity.db.selectFrom('role').select('name').execute()).map((r) => r.name).sort();
      expect(roleNames).toEqual(['admin', 'member', 'reader', 'service']);
      expect(await identity.db.selectFrom('implied_role').selectAll().execute()).toHaveLength(2);
      const services = await identity.db.selectFrom('service').selectAll().orderBy('type').execute();
      expect(services.map((s) => `${s.type}:${s.name}`)).toEqual([
        'compute:nova',
        'identity:keystone',
        'placement:placement',
      ]);
      const endpoints = await identity.db.selectFrom('endpoint').selectAll().execute();
      expect(endpoints).toHaveLength(9);
      expect(endpoints.filter((e) => e.url === 'http://h2/compute/v2.1')).toHaveLength(3);
      expect(new Set(endpoints.map((e) => e.region_id))).toEqual(new Set(['RegionOne']));

      await expect(authenticate(identity, login('admin', 'first', 'admin'))).rejects.toBeInstanceOf(Unauthorized);
      const admin = await authenticate(identity, login('admin', 'second', 'admin'));
      const vt = (await validateToken(identity, admin.id))!;
      expect(vt.roles.map((r) => r.name)).toEqual(['admin', 'member', 'reader']);
      const nova = (await validateToken(identity, (await authenticate(identity, login('nova', 'svc', 'service'))).id))!;
      expect(nova.roles.map((r) => r.name)).toEqual(['admin', 'member', 'reader', 'service']);
      await expect(authenticate(identity, login('placement', 'own', 'service'))).resolves.toBeTruthy();
      const demo = (await validateToken(identity, (await authenticate(identity, login('demo', 'second', 'demo'))).id))!;
      expect(demo.roles.map((r) => r.name)).toEqual(['member', 'reader']);
      await identity.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps signing keys and revocations across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-identity-restart-'));
    try {
      const config = loadConfig(undefined, {});
      const one = await createIdentity({ config, dataDir: dir, log, policy });
      await bootstrapIdentity(one, { ...options, services: [] });
      const kept = await authenticate(one, login('admin', 'first', 'admin'));
      const killed = await authenticate(one, login('admin', 'first', 'admin'));
      await revoke(one.db, { audit_id: killed.claims.auditIds[0]! });
      await one.close();
      expect(statSync(join(dir, 'jws-keys', 'private', 'private.pem')).mode & 0o777).toBe(0o600);

      const two = await createIdentity({ config, dataDir: dir, log, policy });
      expect(await validateToken(two, kept.id)).not.toBeNull();
      expect(await validateToken(two, killed.id)).toBeNull();
      await two.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a service without any password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-identity-boot-'));
    try {
      const identity = await createIdentity({ config: loadConfig(undefined, {}), dataDir: dir, log, policy });
      await expect(bootstrapIdentity(identity, { ...options, servicePassword: undefined })).rejects.toThrow(
        /no password for service user nova/,
      );
      await identity.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
