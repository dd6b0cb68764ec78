// Keystone's [security_compliance] password rules: every new password must match password_regex;
// a password may expire (password_expires_days, or at once when an administrator set it and
// change_password_upon_first_use is on); a user changing its own password must wait
// minimum_password_age days since it last did so, and may not reuse one of its last
// unique_last_password_count passwords. An administrator's reset is subject to neither of the last two.
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import type { IdentityDB, UserTable } from '../db/schema.js';
import { invalid } from '../exceptions.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { parseJson } from './common.js';
import { now } from '../../common/time.js';

type DB = Kysely<IdentityDB>;

const DAY_MS = 86_400_000;

export type PasswordRules = Pick<
  Config,
  | 'passwordRegex'
  | 'passwordRegexDescription'
  | 'passwordExpiresDays'
  | 'uniqueLastPasswordCount'
  | 'minimumPasswordAge'
  | 'changePasswordUponFirstUse'
>;

/** The user options that exempt a user from password rules. */
export interface PasswordOptions {
  ignore_password_expiry?: boolean | null;
  ignore_change_password_upon_first_use?: boolean | null;
}

/** Keystone's PasswordValidationError family: a 400 worded as Keystone words it. */
function passwordError(detail: string) {
  return invalid(`Password validation error: ${detail}.`);
}

/** password_regex, matched from the password's start as Python's re.match does. */
export function checkPasswordRequirements(rules: PasswordRules, password: string | null | undefined): void {
  if (!rules.passwordRegex || password == null) return;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${rules.passwordRegex})`, 'u');
  } catch {
    throw passwordError('Unable to validate password due to invalid configuration');
  }
  if (!re.test(password)) {
    throw invalid(`The password does not match the requirements: ${rules.passwordRegexDescription}.`);
  }
}

/** The user columns a newly set password gives, hashed and stamped. */
export async function passwordColumns(
  rules: PasswordRules,
  options: PasswordOptions,
  password: string | null,
  selfService: boolean,
): Promise<Pick<UserTable, 'password_hash' | 'password_created_at' | 'password_expires_at' | 'password_self_service'>> {
  if (password === null) {
    return { password_hash: null, password_created_at: null, password_expires_at: null, password_self_service: 0 };
  }
  const created = now();
  let expires: string | null = null;
  if (!selfService && rules.changePasswordUponFirstUse && !options.ignore_change_password_upon_first_use) {
    expires = created;
  } else if (rules.passwordExpiresDays > 0 && !options.ignore_password_expiry) {
    // Keystone drops the microseconds of a computed expiry.
    expires = new Date(
      Math.floor((Date.parse(created) + rules.passwordExpiresDays * DAY_MS) / 1000) * 1000,
    ).toISOString();
  }
  return {
    password_hash: await hashPassword(password),
    password_created_at: created,
    password_expires_at: expires,
    password_self_service: selfService ? 1 : 0,
  };
}

export function isPasswordExpired(u: UserTable): boolean {
  if (!u.password_expires_at || parseJson<PasswordOptions>(u.options, {}).ignore_password_expiry) return false;
  return Date.now() >= Date.parse(u.password_expires_at);
}

/** Keeps the password being replaced, as far as unique_last_password_count needs it. */
export async function rememberPassword(db: DB, rules: PasswordRules, u: UserTable): Promise<void> {
  const keep = Math.max(rules.uniqueLastPasswordCount - 1, 0);
  if (u.password_hash && keep > 0) {
    await db
      .insertInto('password_history')
      .values({
        user_id: u.id,
        password_hash: u.password_hash,
        created_at: u.password_created_at ?? u.created_at,
      })
      .execute();
  }
  const kept = await db
    .selectFrom('password_history')
    .select('id')
    .where('user_id', '=', u.id)
    .orderBy('id', 'desc')
    .limit(keep)
    .execute();
  let stale = db.deleteFrom('password_history').where('user_id', '=', u.id);
  if (kept.length)
    stale = stale.where(
      'id',
      'not in',
      kept.map((k) => k.id),
    );
  await stale.execute();
}

/** What a user changing its own password must respect beyond the requirements: the minimum age of
 * a password it set itself, and the history. */
export async function checkSelfServiceChange(
  db: DB,
  rules: PasswordRules,
  u: UserTable,
  password: string,
): Promise<void> {
  if (u.password_self_service === 1 && rules.minimumPasswordAge > 0 && u.password_created_at) {
    const allowedAt = Date.parse(u.password_created_at) + rules.minimumPasswordAge * DAY_MS;
    if (Date.now() < allowedAt) {
      const daysLeft = Math.floor((allowedAt - Date.now()) / DAY_MS);
      throw invalid(
        'You cannot change your password at this time due to the minimum password age. Once you ' +
          `change your password, it must be used for ${rules.minimumPasswordAge} day(s) before it can be changed. ` +
          `Please try again in ${daysLeft} day(s) or contact your administrator to reset your password.`,
      );
    }
  }
  const count = rules.uniqueLastPasswordCount;
  if (count <= 0) return;
  const earlier = await db
    .selectFrom('password_history')
    .select('password_hash')
    .where('user_id', '=', u.id)
    .orderBy('id', 'desc')
    .limit(count - 1)
    .execute();
  for (const hash of [u.password_hash, ...earlier.map((e) => e.password_hash)]) {
    if (hash && (await verifyPassword(hash, password))) {
      throw invalid(
        'The new password cannot be identical to a previous password. The total number which ' +
          `includes the new password must be unique is ${count}.`,
      );
    }
  }
}
