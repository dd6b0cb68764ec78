// Tokens: what a token says (its claims, signed), and what it means when validated now (the user,
// scope and roles it carries, looked up at validation so that disabled users, deleted projects and
// removed role assignments take effect at once, as in Keystone).
import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { RequestContext } from '../../common/http/context.js';
import type { Identity } from '../context.js';
import type {
  AccessRuleTable,
  ApplicationCredentialTable,
  DomainTable,
  ProjectTable,
  RoleTable,
  UserTable,
} from '../db/schema.js';
import { findDomain } from '../objects/domain.js';
import { findProject } from '../objects/project.js';
import { findUser, isUserEnabled } from '../objects/user.js';
import { effectiveRoleIds } from '../objects/assignment.js';
import { rolesByIds } from '../objects/role.js';
import { findApplicationCredential, isExpired, rolesOf } from '../objects/application_credential.js';
import { isRevoked } from '../objects/revocation.js';
import { findValidTrust, trustTokenRoleIds, type Trust } from '../objects/trust.js';
import { accessRulesOf } from '../objects/access_rule.js';
import { accessRuleView } from '../api/views.js';
import { buildCatalog } from '../objects/catalog.js';
import { isoMicro, naiveMicro } from '../objects/common.js';

export interface Scope {
  projectId?: string;
  domainId?: string;
  system?: boolean;
  /** OS-TRUST: the trust the token is scoped to (its project is the trust's). */
  trustId?: string;
}

export interface TokenClaims extends Scope {
  userId: string;
  methods: string[];
  /** This token's audit id, then (for a token made from another) that token's. */
  auditIds: string[];
  appCredId?: string;
  /** ISO timestamps; issuedAt to the millisecond so revocations order exactly. */
  issuedAt: string;
  expiresAt: string;
}

export interface ValidatedToken {
  id: string;
  claims: TokenClaims;
  user: UserTable;
  userDomain: DomainTable;
  project?: ProjectTable;
  projectDomain?: DomainTable;
  domain?: DomainTable;
  /** Effective roles (implied ones included), restricted to an application credential's. */
  roles: RoleTable[];
  appCred?: ApplicationCredentialTable;
  /** The application credential's access rules, when it has any: the only requests the token may make. */
  accessRules?: AccessRuleTable[];
  /** A trust-scoped token's trust, and its trustor (whom the token shows as its user when the trust
   * impersonates). `user` is the trustee that authenticated. */
  trust?: Trust;
  trustor?: UserTable;
  trustorDomain?: DomainTable;
}

/** Whom a token acts as: the trustor of an impersonating trust, else its own user. */
export function actingUser(vt: ValidatedToken): { user: UserTable; domain: DomainTable } {
  return vt.trust?.impersonation === 1
    ? { user: vt.trustor!, domain: vt.trustorDomain! }
    : { user: vt.user, domain: vt.userDomain };
}

function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}

export interface NewToken extends Scope {
  userId: string;
  methods: string[];
  appCredId?: string;
  /** When this token is made from another: its audit id and expiry are carried over. */
  parent?: TokenClaims;
  /** An upper bound on the expiry (an application credential's or a trust's). */
  notAfter?: string | null;
}

export async function issueToken(identity: Identity, t: NewToken): Promise<{ id: string; claims: TokenClaims }> {
  const issued = new Date();
  let expires = t.parent
    ? new Date(t.parent.expiresAt)
    : new Date(issued.getTime() + identity.config.tokenExpiration * 1000);
  if (t.notAfter && Date.parse(t.notAfter) < expires.getTime()) expires = new Date(t.notAfter);
  expires = new Date(Math.floor(expires.getTime() / 1000) * 1000);
  const claims: TokenClaims = {
    userId: t.userId,
    methods: t.methods,
    auditIds: [newAuditId(), ...(t.parent ? [t.parent.auditIds[0]!] : [])],
    ...(t.projectId ? { projectId: t.projectId } : {}),
    ...(t.domainId ? { domainId: t.domainId } : {}),
    ...(t.system ? { system: true } : {}),
    ...(t.appCredId ? { appCredId: t.appCredId } : {}),
    ...(t.trustId ? { trustId: t.trustId } : {}),
    issuedAt: issued.toISOString(),
    expiresAt: expires.toISOString(),
  };
  const payload: JWTPayload = {
    sub: claims.userId,
    methods: claims.methods,
    audit_ids: claims.auditIds,
    issued_at: issued.getTime(),
    ...(claims.projectId ? { project_id: claims.projectId } : {}),
    ...(claims.domainId ? { domain_id: claims.domainId } : {}),
    ...(claims.system ? { system: 'all' } : {}),
    ...(claims.appCredId ? { app_cred_id: claims.appCredId } : {}),
    ...(claims.trustId ? { trust_id: claims.trustId } : {}),
  };
  return { id: await identity.signer.sign(payload, expires, issued), claims };
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(str);

/** The claims of a signed, unexpired token of ours, else null (no database read). */
export async function readClaims(identity: Identity, token: string): Promise<TokenClaims | null> {
  const p = await identity.signer.verify(token);
  if (
    !p ||
    !str(p.sub) ||
    !strs(p.methods) ||
    !strs(p.audit_ids) ||
    typeof p.issued_at !== 'number' ||
    typeof p.exp !== 'number'
  )
    return null;
  return {
    userId: p.sub,
    methods: p.methods,
    auditIds: p.audit_ids,
    ...(str(p.project_id) ? { projectId: p.project_id } : {}),
    ...(str(p.domain_id) ? { domainId: p.domain_id } : {}),
    ...(p.system === 'all' ? { system: true } : {}),
    ...(str(p.app_cred_id) ? { appCredId: p.app_cred_id } : {}),
    ...(str(p.trust_id) ? { trustId: p.trust_id } : {}),
    issuedAt: new Date(p.issued_at).toISOString(),
    expiresAt: new Date(p.exp * 1000).toISOString(),
  };
}

/** The roles a user holds in a scope, restricted to an application credential's when there is one. */
export async function scopeRoles(
  identity: Identity,
  userId: string,
  scope: Scope,
  appCredId?: string,
): Promise<RoleTable[]> {
  const target = scope.projectId
    ? { kind: 'project' as const, id: scope.projectId }
    : scope.domainId
      ? { kind: 'domain' as const, id: scope.domainId }
      : scope.system
        ? { kind: 'system' as const, id: '' }
        : null;
  if (!target) return [];
  let ids = await effectiveRoleIds(identity.db, userId, target.kind, target.id);
  if (appCredId) {
    const delegated = new Set(((await rolesOf(identity.db, [appCredId])).get(appCredId) ?? []).map((r) => r.id));
    ids = ids.filter((id) => delegated.has(id));
  }
  const byId = await rolesByIds(identity.db, ids);
  return ids
    .map((id) => byId.get(id)!)
    .filter(Boolean)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What a trust gives its trustee now: the trust (in force), its trustor (enabled, in an enabled
 * domain) and the roles its tokens carry; null when any of that fails. */
export async function trustGrant(
  identity: Identity,
  trustId: string,
): Promise<{ trust: Trust; trustor: UserTable; trustorDomain: DomainTable; roles: RoleTable[] } | null> {
  const db = identity.db;
  const trust = await findValidTrust(db, identity.config, trustId);
  if (!trust) return null;
  const trustor = await findUser(db, trust.trustor_user_id);
  if (!trustor || !isUserEnabled(trustor, identity.config)) return null;
  const trustorDomain = await findDomain(db, trustor.domain_id);
  if (!trustorDomain || trustorDomain.enabled !== 1) return null;
  const ids = await trustTokenRoleIds(db, trust);
  if (!ids) return null;
  const byId = await rolesByIds(db, ids);
  const roles = ids
    .map((id) => byId.get(id)!)
    .filter(Boolean)
    .sort((a, b) => a.name.localeCompare(b.name));
  return { trust, trustor, trustorDomain, roles };
}

/** A token as valid now: signature, expiry, revocation, and the user, scope, roles and application
 * credential it refers to all still in order. Null when any of it is not. */
export async function validateToken(identity: Identity, id: string): Promise<ValidatedToken | null> {
  const claims = await readClaims(identity, id);
  if (!claims) return null;
  const db = identity.db;
  const user = await findUser(db, claims.userId);
  if (!user || !isUserEnabled(user, identity.config)) return null;
  const userDomain = await findDomain(db, user.domain_id);
  if (!userDomain || userDomain.enabled !== 1) return null;
  const vt: ValidatedToken = { id, claims, user, userDomain, roles: [] };
  if (claims.projectId) {
    vt.project = await findProject(db, claims.projectId);
    if (!vt.project || vt.project.enabled !== 1) return null;
    vt.projectDomain = await findDomain(db, vt.project.domain_id);
    if (!vt.projectDomain || vt.projectDomain.enabled !== 1) return null;
  }
  if (claims.domainId) {
    vt.domain = await findDomain(db, claims.domainId);
    if (!vt.domain || vt.domain.enabled !== 1) return null;
  }
  if (claims.trustId) {
    const grant = await trustGrant(identity, claims.trustId);
    if (!grant || grant.trust.trustee_user_id !== user.id || grant.trust.project_id !== claims.projectId) return null;
    Object.assign(vt, { trust: grant.trust, trustor: grant.trustor, trustorDomain: grant.trustorDomain });
    vt.roles = grant.roles;
  }
  const revoked = await isRevoked(db, {
    auditId: claims.auditIds[0]!,
    userIds: [user.id, ...(vt.trustor ? [vt.trustor.id] : [])],
    issuedAt: claims.issuedAt,
    projectId: claims.projectId ?? null,
    domainIds: [user.domain_id, vt.project?.domain_id, vt.domain?.id, vt.trustor?.domain_id].filter(
      (d): d is string => !!d,
    ),
  });
  if (revoked) return null;
  if (claims.appCredId) {
    vt.appCred = await findApplicationCredential(db, claims.appCredId);
    if (!vt.appCred || isExpired(vt.appCred) || vt.appCred.project_id !== claims.projectId) return null;
    const rules = (await accessRulesOf(db, [vt.appCred.id])).get(vt.appCred.id)!;
    if (rules.length) vt.accessRules = rules;
  }
  if (!vt.trust) vt.roles = await scopeRoles(identity, user.id, claims, claims.appCredId);
  const scoped = claims.projectId || claims.domainId || claims.system;
  if (scoped && vt.roles.length === 0) return null;
  return vt;
}

function ref(id: string, name: string) {
  return { id, name };
}

/** The token as Keystone renders it, but for its catalog. */
function tokenBody(vt: ValidatedToken): Record<string, unknown> {
  const c = vt.claims;
  const { user, domain: userDomain } = actingUser(vt);
  const token: Record<string, unknown> = {
    methods: c.methods,
    user: {
      domain: ref(userDomain.id, userDomain.name),
      id: user.id,
      name: user.name,
      password_expires_at: user.password_expires_at ? naiveMicro(user.password_expires_at) : null,
    },
    audit_ids: c.auditIds,
    expires_at: isoMicro(c.expiresAt),
    issued_at: isoMicro(c.issuedAt),
  };
  if (vt.project) {
    token.project = {
      domain: ref(vt.projectDomain!.id, vt.projectDomain!.name),
      id: vt.project.id,
      name: vt.project.name,
    };
    token.is_domain = false;
  }
  if (vt.trust) {
    token['OS-TRUST:trust'] = {
      id: vt.trust.id,
      trustor_user: { id: vt.trust.trustor_user_id },
      trustee_user: { id: vt.trust.trustee_user_id },
      impersonation: vt.trust.impersonation === 1,
    };
  }
  if (vt.domain) token.domain = ref(vt.domain.id, vt.domain.name);
  if (c.system) token.system = { all: true };
  if (vt.project || vt.domain || c.system) token.roles = vt.roles.map((r) => ref(r.id, r.name));
  if (vt.appCred) {
    token.application_credential = {
      id: vt.appCred.id,
      name: vt.appCred.name,
      restricted: vt.appCred.unrestricted !== 1,
      ...(vt.accessRules ? { access_rules: vt.accessRules.map(accessRuleView) } : {}),
    };
  }
  return token;
}

/** The token as Keystone renders it (POST and GET /v3/auth/tokens). */
export async function renderToken(
  identity: Identity,
  vt: ValidatedToken,
  opts: { catalog: boolean },
): Promise<{ token: Record<string, unknown> }> {
  const token = tokenBody(vt);
  if (opts.catalog && token.roles) {
    // A trust-scoped token's catalog is the trustor's, as in Keystone.
    const userId = vt.trustor?.id ?? vt.user.id;
    token.catalog = await buildCatalog(identity.db, { projectId: vt.project?.id ?? null, userId });
  }
  return { token };
}

/** The request context (keystonemiddleware's view of the caller) a validated token gives. */
export function contextOf(vt: ValidatedToken): RequestContext {
  return {
    userId: actingUser(vt).user.id,
    projectId: vt.project?.id ?? null,
    domainId: vt.domain?.id ?? null,
    systemScope: vt.claims.system ? 'all' : null,
    roles: vt.roles.map((r) => r.name.toLowerCase()),
    authToken: vt.id,
    // Keystone's rules match the caller's token itself (token.project.domain.id:...).
    policyValues: { token: tokenBody(vt) },
  };
}
