// POST /v3/auth/tokens: who is authenticating (password, token or application credential) and
// which scope the new token gets (a project, a domain, the system, or none).
import type { Identity } from '../context.js';
import type { DomainTable, UserTable } from '../db/schema.js';
import { expecting, forbidden, forbiddenAction, notFound, Unauthorized, unauthorized } from '../exceptions.js';
import { consumeUse, findValidTrust, type Trust } from '../objects/trust.js';
import { findDomain, findDomainByName } from '../objects/domain.js';
import { findProject, findProjectByName } from '../objects/project.js';
import { checkPassword, findUser, findUserByName, isUserEnabled } from '../objects/user.js';
import { checkSecret, findApplicationCredential } from '../objects/application_credential.js';
import { issueToken, scopeRoles, trustGrant, validateToken, type Scope, type TokenClaims } from '../token/model.js';

interface Ref {
  id?: string;
  name?: string;
}
interface UserRef extends Ref {
  password?: string;
  domain?: Ref;
}

export interface TokenRequest {
  identity: {
    methods: string[];
    password?: { user?: UserRef };
    token?: { id: string };
    application_credential?: { id?: string; name?: string; secret: string; user?: UserRef };
    [method: string]: unknown;
  };
  scope?:
    | 'unscoped'
    | {
        project?: Ref & { domain?: Ref };
        domain?: Ref;
        system?: { all?: boolean };
        'OS-TRUST:trust'?: { id?: string };
      };
}

const METHODS = ['password', 'token', 'application_credential'];

interface Authenticated {
  userId: string;
  parent?: TokenClaims;
  appCred?: { id: string; projectId: string; expiresAt: string | null };
}

async function lookupDomain(identity: Identity, ref: Ref | undefined, of: string): Promise<DomainTable> {
  if (!ref) throw expecting('domain', of);
  let d: DomainTable | undefined;
  if (ref.id !== undefined) d = await findDomain(identity.db, ref.id);
  else if (ref.name !== undefined) d = await findDomainByName(identity.db, ref.name);
  else throw expecting('id or name', 'domain');
  if (!d) throw unauthorized(`the ${of}'s domain ${ref.id ?? ref.name} does not exist`);
  if (d.enabled !== 1) throw unauthorized(`the ${of}'s domain ${d.id} is disabled`);
  return d;
}

async function lookupUser(identity: Identity, ref: UserRef | undefined, of: string): Promise<UserTable | undefined> {
  if (!ref) throw expecting('user', of);
  if (ref.id !== undefined) return findUser(identity.db, ref.id);
  if (ref.name === undefined) throw expecting('id or name', 'user');
  const domain = await lookupDomain(identity, ref.domain, 'user');
  return findUserByName(identity.db, ref.name, domain.id);
}

async function requireActiveUser(identity: Identity, id: string): Promise<void> {
  const u = await findUser(identity.db, id);
  const d = u && (await findDomain(identity.db, u.domain_id));
  if (!u) throw unauthorized(`user ${id} does not exist`);
  if (!isUserEnabled(u, identity.config)) throw unauthorized(`user ${id} is disabled (or inactive too long)`);
  if (!d || d.enabled !== 1) throw unauthorized(`the domain of user ${id} is disabled`);
}

async function byPassword(
  identity: Identity,
  body: NonNullable<TokenRequest['identity']['password']>,
): Promise<Authenticated> {
  const user = await lookupUser(identity, body.user, 'password');
  const ref = body.user!;
  const asked = ref.id !== undefined ? `id ${ref.id}` : `name ${JSON.stringify(ref.name)}`;
  const u = await checkPassword(identity.db, identity.config, user, ref.password, { asked });
  await requireActiveUser(identity, u.id);
  return { userId: u.id };
}

async function byToken(identity: Identity, body: { id: string }): Promise<Authenticated> {
  const vt = await validateToken(identity, body.id);
  // Keystone validates the token as GET /v3/auth/tokens does: an invalid one is not found.
  if (!vt) throw notFound('token', body.id);
  if (vt.trust) {
    throw forbiddenAction('Using trust-scoped token to create another token. Create a new trust-scoped token instead');
  }
  // A token made with an application credential stays bound to its delegation: no new tokens from it.
  if (vt.appCred) throw unauthorized('a token made with an application credential cannot make new tokens');
  return { userId: vt.user.id, parent: vt.claims };
}

async function byApplicationCredential(
  identity: Identity,
  body: NonNullable<TokenRequest['identity']['application_credential']>,
): Promise<Authenticated> {
  let cred;
  if (body.id !== undefined) {
    cred = await findApplicationCredential(identity.db, body.id);
  } else if (body.name !== undefined) {
    const user = await lookupUser(identity, body.user, 'application_credential');
    cred =
      user &&
      (await identity.db
        .selectFrom('application_credential')
        .selectAll()
        .where('user_id', '=', user.id)
        .where('name', '=', body.name)
        .executeTakeFirst());
  } else {
    throw expecting('id or name', 'application_credential');
  }
  const c = await checkSecret(cred, body.secret);
  await requireActiveUser(identity, c.user_id);
  return { userId: c.user_id, appCred: { id: c.id, projectId: c.project_id, expiresAt: c.expires_at } };
}

/** The scope asked for, resolved (Keystone checks it before the credentials): a scope, 'unscoped',
 * or undefined when none was given. */
async function requestedScope(
  identity: Identity,
  scope: TokenRequest['scope'],
): Promise<Scope | 'unscoped' | undefined> {
  if (scope === undefined || scope === 'unscoped') return scope;
  const given = (['project', 'domain', 'system', 'OS-TRUST:trust'] as const).filter((k) => scope[k] !== undefined);
  if (given.length > 1) throw expecting('system, project, domain, OS-TRUST:trust or unscoped', 'scope');
  if (scope.project) {
    const ref = scope.project;
    let p;
    if (ref.id !== undefined) {
      p = await findProject(identity.db, ref.id);
    } else if (ref.name !== undefined) {
      const d = await lookupDomain(identity, ref.domain, 'project');
      p = await findProjectByName(identity.db, ref.name, d.id);
    } else {
      throw expecting('id or name', 'project');
    }
    if (!p) throw unauthorized(`the project to scope to (${ref.id ?? ref.name}) does not exist`);
    if (p.enabled !== 1) throw unauthorized(`the project to scope to (${p.id}) is disabled`);
    const d = await findDomain(identity.db, p.domain_id);
    if (!d || d.enabled !== 1) throw unauthorized(`the domain of the project to scope to (${p.id}) is disabled`);
    return { projectId: p.id };
  }
  if (scope.domain) return { domainId: (await lookupDomain(identity, scope.domain, 'scope')).id };
  if (scope['OS-TRUST:trust']) {
    const id = scope['OS-TRUST:trust'].id;
    if (id === undefined) throw expecting('trust_id', 'trust');
    return { trustId: id };
  }
  if (scope.system) {
    if (scope.system.all !== true) throw expecting('all', 'system');
    return { system: true };
  }
  return 'unscoped';
}

/** Without a scope Keystone scopes to the user's default project when the user may use it. */
async function defaultScope(identity: Identity, userId: string): Promise<Scope> {
  const u = await findUser(identity.db, userId);
  const p = u?.default_project_id ? await findProject(identity.db, u.default_project_id) : undefined;
  if (!p || p.enabled !== 1) return {};
  const d = await findDomain(identity.db, p.domain_id);
  if (!d || d.enabled !== 1) return {};
  return (await scopeRoles(identity, userId, { projectId: p.id })).length ? { projectId: p.id } : {};
}

/** Authenticates a token request and issues the token. */
export async function authenticate(
  identity: Identity,
  req: TokenRequest,
): Promise<{ id: string; claims: TokenClaims }> {
  const methods = [...new Set(req.identity.methods)];
  if (methods.some((m) => !METHODS.includes(m))) {
    throw new Unauthorized('Attempted to authenticate with an unsupported method.');
  }
  for (const m of methods) if (req.identity[m] === undefined) throw expecting(m, 'identity');
  const asked = await requestedScope(identity, req.scope);
  const results: Authenticated[] = [];
  for (const m of methods) {
    if (m === 'password') results.push(await byPassword(identity, req.identity.password!));
    else if (m === 'token') results.push(await byToken(identity, req.identity.token!));
    else results.push(await byApplicationCredential(identity, req.identity.application_credential!));
  }
  // Several methods must all prove the same user (multi-factor).
  const userId = results[0]!.userId;
  if (results.some((r) => r.userId !== userId)) throw unauthorized('the methods given authenticate different users');
  const parent = results.find((r) => r.parent)?.parent;
  const appCred = results.find((r) => r.appCred)?.appCred;
  let scope: Scope;
  if (appCred) {
    if (asked !== undefined) {
      throw new Unauthorized(
        'Error authenticating with application credential: ' + 'Application credentials cannot request a scope.',
      );
    }
    scope = { projectId: appCred.projectId };
  } else {
    scope = asked === undefined ? await defaultScope(identity, userId) : asked === 'unscoped' ? {} : asked;
  }
  const trust = scope.trustId ? await trustScope(identity, userId, scope.trustId) : undefined;
  if (trust) {
    scope.projectId = trust.project_id!;
  } else if (scope.projectId || scope.domainId || scope.system) {
    const roles = await scopeRoles(identity, userId, scope, appCred?.id);
    if (!roles.length) throw unauthorized(`user ${userId} has no role on the scope asked for`);
  }
  const notAfter = appCred?.expiresAt ?? trust?.expires_at;
  const issued = await issueToken(identity, {
    userId,
    methods: [...new Set([...methods, ...(parent?.methods ?? [])])],
    ...scope,
    ...(appCred ? { appCredId: appCred.id } : {}),
    ...(notAfter ? { notAfter } : {}),
    ...(parent ? { parent } : {}),
  });
  // A use of a trust is a token issued with it; the last one may have gone meanwhile.
  if (trust && !(await consumeUse(identity.db, trust))) throw trustNotFound(trust.id);
  return issued;
}

const trustNotFound = (id: string) => new Unauthorized(`Could not find trust: ${id}.`);

/** The trust a token is asked to be scoped to, checked as Keystone checks it: in force with uses
 * left (401 otherwise), asked for by its trustee, with a project in order and roles to delegate. */
async function trustScope(identity: Identity, userId: string, trustId: string): Promise<Trust> {
  const t = await findValidTrust(identity.db, identity.config, trustId);
  if (!t || (t.remaining_uses !== null && t.remaining_uses <= 0)) throw trustNotFound(trustId);
  if (t.trustee_user_id !== userId) throw forbidden('User is not a trustee.');
  const p = t.project_id ? await findProject(identity.db, t.project_id) : undefined;
  const d = p && (await findDomain(identity.db, p.domain_id));
  if (!p || p.enabled !== 1 || !d || d.enabled !== 1)
    throw unauthorized(`the project of trust ${trustId} is gone or disabled`);
  const grant = await trustGrant(identity, trustId);
  if (!grant?.roles.length) throw forbidden('Trustee has no delegated roles.');
  return t;
}
