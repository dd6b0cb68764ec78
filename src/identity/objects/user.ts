// Users: who authenticates; passwords hashed, never stored or shown in clear. Keystone's
// [security_compliance] rules apply: lockout after repeated failures (lockout_failure_attempts),
// users inactive too long count as disabled (disable_user_account_days_inactive), and the password
// rules of ./password.ts.
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { IdentityDB, UserTable } from '../db/schema.js';
import { conflict, invalid, notFound, Unauthorized, unauthorized } from '../exceptions.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { flag, newId, parseJson, splitExtra } from './common.js';
import { now } from '../../common/time.js';
import {
  checkPasswordRequirements,
  checkSelfServiceChange,
  isPasswordExpired,
  passwordColumns,
  rememberPassword,
  type PasswordOptions,
  type PasswordRules,
} from './password.js';
import { getDomain } from './domain.js';
import { getProject } from './project.js';
import { revoke } from './revocation.js';
import { deleteTrusts, trustsOf } from './trust_deletion.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = [
  'id',
  'name',
  'domain_id',
  'enabled',
  'default_project_id',
  'password',
  'options',
  'password_expires_at',
  'links',
] as const;

export interface UserOptions extends PasswordOptions {
  ignore_lockout_failure_attempts?: boolean | null;
  ignore_user_inactivity?: boolean | null;
  lock_password?: boolean | null;
}

/** The [security_compliance] options the user rules read. */
export type UserRules = PasswordRules &
  Pick<Config, 'lockoutFailureAttempts' | 'lockoutDuration' | 'disableUserAccountDaysInactive'>;

const DAY_MS = 86_400_000;
const today = () => now().slice(0, 10);

/** A user that has not authenticated for disable_user_account_days_inactive days counts as
 * disabled (Keystone computes `enabled` so) until an administrator enables it again. */
function isInactive(u: UserTable, rules: UserRules): boolean {
  const days = rules.disableUserAccountDaysInactive;
  if (!days || parseJson<UserOptions>(u.options, {}).ignore_user_inactivity) return false;
  const lastActive = u.last_active_at ?? u.created_at.slice(0, 10);
  return Date.parse(today()) - Date.parse(lastActive) >= days * DAY_MS;
}

/** Whether a user may authenticate and its tokens live: enabled, and not inactive too long. */
export function isUserEnabled(u: UserTable, rules: UserRules): boolean {
  return u.enabled === 1 && !isInactive(u, rules);
}

export interface UserInput {
  name?: string;
  domain_id?: string;
  enabled?: boolean;
  default_project_id?: string | null;
  password?: string | null;
  options?: UserOptions;
  [extra: string]: unknown;
}

export async function findUser(db: DB, id: string): Promise<UserTable | undefined> {
  return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getUser(db: DB, id: string): Promise<UserTable> {
  const u = await findUser(db, id);
  if (!u) throw notFound('user', id);
  return u;
}

export async function findUserByName(db: DB, name: string, domainId: string): Promise<UserTable | undefined> {
  return db
    .selectFrom('user')
    .selectAll()
    .where('name', '=', name)
    .where('domain_id', '=', domainId)
    .executeTakeFirst();
}

export async function listUsers(
  db: DB,
  f: { domain_id?: string; name?: string; enabled?: boolean; ids?: string[] },
): Promise<UserTable[]> {
  let q = db.selectFrom('user').selectAll().orderBy('name');
  if (f.domain_id !== undefined) q = q.where('domain_id', '=', f.domain_id);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.ids !== undefined) {
    if (!f.ids.length) return [];
    q = q.where('id', 'in', f.ids);
  }
  return q.execute();
}

function cleanOptions(o: UserOptions | undefined, base: UserOptions = {}): string {
  const out: Record<string, boolean> = { ...base } as Record<string, boolean>;
  for (const [k, v] of Object.entries(o ?? {})) {
    // Keystone removes an option set to null.
    if (v === null) delete out[k];
    else out[k] = v as boolean;
  }
  return JSON.stringify(out);
}

export async function createUser(
  db: DB,
  rules: UserRules,
  input: UserInput,
  defaultDomainId: string,
): Promise<UserTable> {
  const domain = await getDomain(db, input.domain_id ?? defaultDomainId);
  if (input.default_project_id) await getProject(db, input.default_project_id);
  checkPasswordRequirements(rules, input.password);
  const options = cleanOptions(input.options);
  const row: UserTable = {
    id: newId(),
    name: input.name!,
    domain_id: domain.id,
    enabled: flag(input.enabled),
    default_project_id: input.default_project_id ?? null,
    ...(await passwordColumns(rules, JSON.parse(options) as UserOptions, input.password || null, false)),
    last_active_at: rules.disableUserAccountDaysInactive ? today() : null,
    failed_auth_count: 0,
    failed_auth_at: null,
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
    options,
    created_at: now(),
  };
  try {
    await db.insertInto('user').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict('user', `Duplicate entry found with name ${row.name} at domain ID ${row.domain_id}`);
    }
    throw e;
  }
  return row;
}

/** An administrator's update. A password set this way skips the history and age rules, as in
 * Keystone, but may have to be changed at first use. */
export async function updateUser(db: DB, rules: UserRules, id: string, input: UserInput): Promise<UserTable> {
  const u = await getUser(db, id);
  if (input.domain_id !== undefined && input.domain_id !== u.domain_id) throw invalid('Cannot change Domain ID');
  if (input.default_project_id) await getProject(db, input.default_project_id);
  checkPasswordRequirements(rules, input.password);
  const extra = { ...parseJson<Record<string, unknown>>(u.extra, {}), ...splitExtra(input, COLUMNS) };
  const changes: Partial<UserTable> = { extra: JSON.stringify(extra) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.default_project_id !== undefined) changes.default_project_id = input.default_project_id;
  if (input.options !== undefined) changes.options = cleanOptions(input.options, parseJson(u.options, {}));
  if (input.password !== undefined) {
    const options = parseJson<UserOptions>(changes.options ?? u.options, {});
    Object.assign(changes, await passwordColumns(rules, options, input.password || null, false));
  }
  if (input.enabled !== undefined) {
    changes.enabled = flag(input.enabled);
    // Enabling a user is how an administrator lifts a lockout or an inactivity.
    if (input.enabled) {
      Object.assign(changes, { failed_auth_count: 0, failed_auth_at: null });
      if (rules.disableUserAccountDaysInactive) changes.last_active_at = today();
    }
  }
  try {
    await withTransaction(db, async (trx) => {
      if (input.password !== undefined) await rememberPassword(trx, rules, u);
      await trx.updateTable('user').set(changes).where('id', '=', id).execute();
    });
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict('user', `Duplicate entry found with name ${input.name} at domain ID ${u.domain_id}`);
    }
    throw e;
  }
  if (input.password !== undefined || (input.enabled === false && u.enabled === 1)) {
    await revoke(db, { user_id: id });
  }
  return { ...u, ...changes };
}

export async function deleteUserRows(db: DB, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.deleteFrom('user_group_membership').where('user_id', 'in', ids).execute();
  await db
    .deleteFrom('assignment')
    .where('actor_id', 'in', ids)
    .where('type', 'in', ['UserProject', 'UserDomain', 'UserSystem'])
    .execute();
  await db.deleteFrom('application_credential').where('user_id', 'in', ids).execute();
  await db.deleteFrom('access_rule').where('user_id', 'in', ids).execute();
  await deleteTrusts(db, await trustsOf(db, { userIds: ids }));
  await db.deleteFrom('credential').where('user_id', 'in', ids).execute();
  await db.deleteFrom('password_history').where('user_id', 'in', ids).execute();
  await db.deleteFrom('user').where('id', 'in', ids).execute();
  for (const id of ids) await revoke(db, { user_id: id });
}

export async function deleteUser(db: DB, id: string): Promise<void> {
  await getUser(db, id);
  await withTransaction(db, (trx) => deleteUserRows(trx, [id]));
}

function isLocked(u: UserTable, config: UserRules): boolean {
  const attempts = config.lockoutFailureAttempts;
  if (!attempts || parseJson<UserOptions>(u.options, {}).ignore_lockout_failure_attempts) return false;
  if (u.failed_auth_count < attempts) return false;
  if (!config.lockoutDuration || !u.failed_auth_at) return true;
  return Date.now() < Date.parse(u.failed_auth_at) + config.lockoutDuration * 1000;
}

async function recordFailure(db: DB, u: UserTable, config: UserRules): Promise<void> {
  if (!config.lockoutFailureAttempts) return;
  const expired =
    config.lockoutDuration > 0 &&
    u.failed_auth_at !== null &&
    Date.now() >= Date.parse(u.failed_auth_at) + config.lockoutDuration * 1000;
  // A failure after an earlier lockout ran out starts a new count.
  if (expired) {
    await db.updateTable('user').set({ failed_auth_count: 1, failed_auth_at: now() }).where('id', '=', u.id).execute();
  } else {
    await db
      .updateTable('user')
      .set((eb) => ({ failed_auth_count: eb('failed_auth_count', '+', 1), failed_auth_at: now() }))
      .where('id', '=', u.id)
      .execute();
  }
}

/** Checks a user's password: the user when it matches, else a 401 that says nothing more (except,
 * as in Keystone, that an account is locked or disabled or its password expired, which only its
 * owner can reach). An expired password still proves who is changing it (`allowExpired`); `asked`
 * names the user asked for, for the log. */
export async function checkPassword(
  db: DB,
  config: UserRules,
  u: UserTable | undefined,
  password: string | undefined,
  opts: { allowExpired?: boolean; asked?: string } = {},
): Promise<UserTable> {
  if (!u) {
    await verifyPassword(null, password ?? '');
    throw unauthorized(`no such user: ${opts.asked ?? 'the user'}`);
  }
  if (isLocked(u, config)) throw new Unauthorized(`The account is locked for user: ${u.id}.`);
  if (password === undefined || !(await verifyPassword(u.password_hash, password))) {
    await recordFailure(db, u, config);
    throw unauthorized(`wrong password for user ${u.id}`);
  }
  if (u.failed_auth_count > 0) {
    await db.updateTable('user').set({ failed_auth_count: 0, failed_auth_at: null }).where('id', '=', u.id).execute();
  }
  if (!isUserEnabled(u, config)) throw new Unauthorized(`The account is disabled for user: ${u.id}.`);
  if (!opts.allowExpired && isPasswordExpired(u)) {
    throw new Unauthorized(`The password is expired and needs to be changed for user: ${u.id}.`);
  }
  if (config.disableUserAccountDaysInactive && u.last_active_at !== today()) {
    await db.updateTable('user').set({ last_active_at: today() }).where('id', '=', u.id).execute();
  }
  return u;
}

/** Self-service password change (POST /v3/users/{id}/password): the one way past an expired
 * password, bound by every password rule. */
export async function changePassword(
  db: DB,
  config: UserRules,
  id: string,
  original: string,
  password: string,
): Promise<void> {
  const u = await checkPassword(db, config, await findUser(db, id), original, { allowExpired: true });
  const options = parseJson<UserOptions>(u.options, {});
  if (options.lock_password) {
    throw invalid(
      'You cannot change your password at this time due to password policy disallowing ' +
        'password changes. Please contact your administrator to reset your password.',
    );
  }
  checkPasswordRequirements(config, password);
  await checkSelfServiceChange(db, config, u, password);
  const columns = await passwordColumns(config, options, password, true);
  await withTransaction(db, async (trx) => {
    await rememberPassword(trx, config, u);
    await trx.updateTable('user').set(columns).where('id', '=', id).execute();
    await revoke(trx, { user_id: id });
  });
}

/** Sets a user's password if it differs (bootstrap runs on every start), exempt from expiry: the
 * operator's configuration owns it. */
export async function ensurePassword(db: DB, u: UserTable, password: string): Promise<void> {
  if (await verifyPassword(u.password_hash, password)) return;
  await db
    .updateTable('user')
    .set({
      password_hash: await hashPassword(password),
      password_created_at: now(),
      password_expires_at: null,
      password_self_service: 0,
    })
    .where('id', '=', u.id)
    .execute();
}
