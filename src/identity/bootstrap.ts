// `keystone-manage bootstrap` plus DevStack's accounts, idempotently (it runs at every start): the
// Default domain, the admin user and project, the admin ⇒ member ⇒ reader roles, a service user per
// service in project "service", the catalog, and a demo project with a demo member.
import type { Kysely } from 'kysely';
import type { Identity } from './context.js';
import { DEFAULT_DOMAIN_ID } from './context.js';
import type { IdentityDB } from './db/schema.js';
import { withTransaction, type Exclusive } from '../common/db/index.js';
import { createDomain, findDomain } from './objects/domain.js';
import { createProject, findProjectByName } from './objects/project.js';
import { createUser, ensurePassword, findUserByName, type UserRules } from './objects/user.js';
import { createImplication, createRole, findRoleByName } from './objects/role.js';
import { createGrant, type Grant } from './objects/assignment.js';
import { createEndpoint, createRegion, createService } from './objects/catalog.js';

type DB = Kysely<IdentityDB>;

export interface ServiceSpec {
  /** Service name, also the name of its service user (nova, placement, ...). */
  name: string;
  type: string;
  /** Public URL; internal and admin default to it (one port serves all in concord). Without one
   * only the service user is made: the operator catalogs the service where it runs. */
  url?: string;
  internalUrl?: string;
  adminUrl?: string;
  description?: string;
  /** The service user's password; defaults to BootstrapOptions.servicePassword. */
  password?: string;
}

export interface BootstrapOptions {
  adminPassword: string;
  /** Identity's own public URL (http://host:port/identity), catalogued as service "keystone". */
  publicUrl: string;
  services: ServiceSpec[];
  /** Password of the service users (DevStack's SERVICE_PASSWORD); required when services are given
   * without their own. */
  servicePassword?: string;
  /** The demo user's password; defaults to the admin password, as in DevStack. */
  demoPassword?: string;
  region?: string;
}

export interface BootstrapResult {
  adminUserId: string;
  adminProjectId: string;
  serviceProjectId: string;
  demoUserId: string;
  demoProjectId: string;
}

async function ensureProject(db: DB, name: string, description: string): Promise<string> {
  const p =
    (await findProjectByName(db, name, DEFAULT_DOMAIN_ID)) ??
    (await createProject(db, { name, description, domain_id: DEFAULT_DOMAIN_ID }, DEFAULT_DOMAIN_ID));
  return p.id;
}

/** The bootstrap users' passwords belong to the operator's configuration (or are generated), which
 * sets them again at every start: they neither expire, nor wait for a first change, nor answer to
 * password_regex (a generated password could miss it and keep concord from starting). */
async function ensureUser(db: DB, rules: UserRules, name: string, password: string): Promise<string> {
  const existing = await findUserByName(db, name, DEFAULT_DOMAIN_ID);
  if (existing) {
    await ensurePassword(db, existing, password);
    return existing.id;
  }
  const options = { ignore_change_password_upon_first_use: true, ignore_password_expiry: true };
  return (await createUser(db, rules, { name, password, domain_id: DEFAULT_DOMAIN_ID, options }, DEFAULT_DOMAIN_ID)).id;
}

async function ensureRole(db: DB, name: string): Promise<string> {
  const r = (await findRoleByName(db, name)) ?? (await createRole(db, { name, options: { immutable: true } }));
  return r.id;
}

async function ensureCatalogEntry(
  db: DB,
  s: { name: string; type: string; description?: string },
  urls: Record<'public' | 'internal' | 'admin', string>,
  region: string,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const svc =
      (await trx
        .selectFrom('service')
        .selectAll()
        .where('type', '=', s.type)
        .where('name', '=', s.name)
        .executeTakeFirst()) ??
      (await createService(trx, { type: s.type, name: s.name, description: s.description ?? null }));
    for (const [iface, url] of Object.entries(urls)) {
      const ep = await trx
        .selectFrom('endpoint')
        .selectAll()
        .where('service_id', '=', svc.id)
        .where('interface', '=', iface)
        .where('region_id', '=', region)
        .executeTakeFirst();
      if (!ep) await createEndpoint(trx, { service_id: svc.id, interface: iface, url, region_id: region });
      else if (ep.url !== url) await trx.updateTable('endpoint').set({ url }).where('id', '=', ep.id).execute();
    }
  });
}

/** Bootstraps under the database's lock, so that identity processes starting together on a fresh
 * database do not both create the same domain, roles and users. */
export async function bootstrapIdentity(
  identity: Identity & { exclusive: Exclusive },
  opts: BootstrapOptions,
): Promise<BootstrapResult> {
  return identity.exclusive('identity_bootstrap', () => bootstrap(identity, opts));
}

async function bootstrap(identity: Identity, opts: BootstrapOptions): Promise<BootstrapResult> {
  const db = identity.db;
  const rules = { ...identity.config, passwordRegex: '' };
  const region = opts.region ?? 'RegionOne';
  if (!(await findDomain(db, DEFAULT_DOMAIN_ID))) {
    await createDomain(db, {
      name: 'Default',
      explicit_domain_id: DEFAULT_DOMAIN_ID,
      description: 'The default domain',
    });
  }
  const admin = await ensureRole(db, 'admin');
  const member = await ensureRole(db, 'member');
  const reader = await ensureRole(db, 'reader');
  const serviceRole = await ensureRole(db, 'service');
  await createImplication(db, admin, member);
  await createImplication(db, member, reader);

  const grant = (g: Grant) => createGrant(db, g);
  const onProject = (userId: string, projectId: string, roleId: string): Grant => ({
    actor: 'user',
    actorId: userId,
    target: 'project',
    targetId: projectId,
    roleId,
  });

  const adminProjectId = await ensureProject(db, 'admin', 'Bootstrap project for initializing the cloud.');
  const adminUserId = await ensureUser(db, rules, 'admin', opts.adminPassword);
  await grant(onProject(adminUserId, adminProjectId, admin));
  await grant({ actor: 'user', actorId: adminUserId, target: 'system', targetId: '', roleId: admin });

  const serviceProjectId = await ensureProject(db, 'service', "Project of the services' own users.");
  for (const s of opts.services) {
    const password = s.password ?? opts.servicePassword;
    if (!password) throw new Error(`bootstrap: no password for service user ${s.name}`);
    const userId = await ensureUser(db, rules, s.name, password);
    await grant(onProject(userId, serviceProjectId, admin));
    await grant(onProject(userId, serviceProjectId, serviceRole));
  }

  const demoProjectId = await ensureProject(db, 'demo', 'Demo project.');
  const demoUserId = await ensureUser(db, rules, 'demo', opts.demoPassword ?? opts.adminPassword);
  await grant(onProject(demoUserId, demoProjectId, member));

  if (!(await db.selectFrom('region').select('id').where('id', '=', region).executeTakeFirst())) {
    await createRegion(db, { id: region });
  }
  const catalogued = [
    { name: 'keystone', type: 'identity', description: 'Identity', url: opts.publicUrl } as ServiceSpec,
    ...opts.services,
  ];
  for (const s of catalogued) {
    if (!s.url) continue;
    await ensureCatalogEntry(
      db,
      s,
      {
        public: s.url,
        internal: s.internalUrl ?? s.url,
        admin: s.adminUrl ?? s.url,
      },
      region,
    );
  }
  return { adminUserId, adminProjectId, serviceProjectId, demoUserId, demoProjectId };
}
