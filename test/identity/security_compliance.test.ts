// Keystone's [security_compliance] password and account rules (lockout has lockout.test.ts):
// history, minimum age, expiry, change upon first use, complexity and inactivity. History and
// expiry keep state in the database, so they run on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/common/config.js';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const NONE = { 'x-auth-token': '' };
const skipPg = postgresUnavailable();

/** A test identity with these [security_compliance] options, on SQLite or on PostgreSQL. */
function withRules(config: Partial<Config>, postgres = false) {
  const env: { t: TestIdentity; pg?: PgCluster } = {} as never;
  beforeAll(async () => {
    if (postgres) env.pg = await startPostgres();
    env.t = await startIdentity({
      config,
      ...(env.pg ? { databaseUrl: await env.pg.createDatabase('compliance') } : {}),
    });
  });
  afterAll(async () => {
    await env.t?.close();
    env.pg?.stop();
  });
  return env;
}

async function newUser(t: TestIdentity, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await t.call('POST', '/v3/users', { user: { name, password: `${name}-0`, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.user.id;
}

const change = (t: TestIdentity, id: string, original: string, password: string) =>
  t.call('POST', `/v3/users/${id}/password`, { user: { original_password: original, password } }, NONE);
const login = (t: TestIdentity, name: string, password: string) => t.login({ user: name, password, scope: 'unscoped' });

function history(postgres: boolean) {
  const env = withRules({ uniqueLastPasswordCount: 3 }, postgres);

  it('refuses a self-service password among the last unique_last_password_count, not an admin reset', async () => {
    const { t } = env;
    const id = await newUser(t, 'hist');
    expect((await change(t, id, 'hist-0', 'hist-1')).status).toBe(204);
    expect((await change(t, id, 'hist-1', 'hist-2')).status).toBe(204);
    for (const reused of ['hist-2', 'hist-1', 'hist-0']) {
      const r = await change(t, id, 'hist-2', reused);
      expect(r.status, reused).toBe(400);
      expect(r.body.error.message).toBe(
        'The new password cannot be identical to a previous password. ' +
          'The total number which includes the new password must be unique is 3.',
      );
      expect(JSON.stringify(r.body)).not.toContain(reused);
    }
    expect((await login(t, 'hist', 'hist-2')).status).toBe(201);
    expect((await change(t, id, 'hist-2', 'hist-3')).status).toBe(204);
    // hist-0 has left the history: current hist-3, earlier hist-2 and hist-1.
    expect((await change(t, id, 'hist-3', 'hist-1')).status).toBe(400);
    expect((await change(t, id, 'hist-3', 'hist-0')).status).toBe(204);
    // An administrator's reset is not checked against the history.
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { password: 'hist-0' } })).status).toBe(200);
    expect((await login(t, 'hist', 'hist-0')).status).toBe(201);
    const kept = await t.identity.db.selectFrom('password_history').select('id').where('user_id', '=', id).execute();
    expect(kept.length).toBe(2);
    expect((await t.call('DELETE', `/v3/users/${id}`)).status).toBe(204);
    expect(await t.identity.db.selectFrom('password_history').select('id').where('user_id', '=', id).execute()).toEqual(
      [],
    );
  });
}

function expiry(postgres: boolean) {
  const env = withRules({ passwordExpiresDays: 2 }, postgres);

  it('expires passwords after password_expires_days; only a self-service change gets past it', async () => {
    const { t } = env;
    const id = await newUser(t, 'ex');
    const shown = (await t.call('GET', `/v3/users/${id}`)).body.user.password_expires_at as string;
    expect(shown).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000$/);
    expect(Date.parse(`${shown}Z`) - Date.now()).toBeGreaterThan(2 * 86400_000 - 60_000);
    const tok = await login(t, 'ex', 'ex-0');
    expect(tok.body.token.user.password_expires_at).toBe(shown);

    await t.identity.db
      .updateTable('user')
      .set({ password_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    const refused = await login(t, 'ex', 'ex-0');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe(`The password is expired and needs to be changed for user: ${id}.`);
    expect((await change(t, id, 'wrong', 'ex-1')).status).toBe(401);
    expect((await change(t, id, 'ex-0', 'ex-1')).status).toBe(204);
    expect((await login(t, 'ex', 'ex-1')).status).toBe(201);
  });

  it('spares users with ignore_password_expiry', async () => {
    const { t } = env;
    const id = await newUser(t, 'exempt', { options: { ignore_password_expiry: true } });
    expect((await t.call('GET', `/v3/users/${id}`)).body.user.password_expires_at).toBeNull();
    await t.identity.db
      .updateTable('user')
      .set({ password_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    expect((await login(t, 'exempt', 'exempt-0')).status).toBe(201);
  });
}

describe('[security_compliance] unique_last_password_count, SQLite', () => history(false));
describe.skipIf(skipPg)(
  `[security_compliance] unique_last_password_count, PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`,
  () => history(true),
);
describe('[security_compliance] password_expires_days, SQLite', () => expiry(false));
describe.skipIf(skipPg)(
  `[security_compliance] password_expires_days, PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`,
  () => expiry(true),
);

describe('[security_compliance] minimum_password_age', () => {
  const env = withRules({ minimumPasswordAge: 2 });

  it("makes a user keep a password it set itself; an administrator's password may be changed at once", async () => {
    const { t } = env;
    const id = await newUser(t, 'age');
    expect((await change(t, id, 'age-0', 'age-1')).status).toBe(204);
    const early = await change(t, id, 'age-1', 'age-2');
    expect(early.status).toBe(400);
    expect(early.body.error.message).toBe(
      'You cannot change your password at this time due to the minimum password ' +
        'age. Once you change your password, it must be used for 2 day(s) before it can be changed. Please try again in ' +
        '1 day(s) or contact your administrator to reset your password.',
    );
    expect((await login(t, 'age', 'age-1')).status).toBe(201);
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { password: 'age-reset' } })).status).toBe(200);
    expect((await change(t, id, 'age-reset', 'age-2')).status).toBe(204);
  });
});

describe('[security_compliance] change_password_upon_first_use', () => {
  const env = withRules({ changePasswordUponFirstUse: true });

  it('makes a user change a password an administrator set before using it', async () => {
    const { t } = env;
    const id = await newUser(t, 'first');
    expect((await t.call('GET', `/v3/users/${id}`)).body.user.password_expires_at).not.toBeNull();
    expect((await login(t, 'first', 'first-0')).body.error.message).toMatch(/password is expired/);
    expect((await change(t, id, 'first-0', 'first-1')).status).toBe(204);
    expect((await t.call('GET', `/v3/users/${id}`)).body.user.password_expires_at).toBeNull();
    expect((await login(t, 'first', 'first-1')).status).toBe(201);
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { password: 'first-reset' } })).status).toBe(200);
    expect((await login(t, 'first', 'first-reset')).status).toBe(401);
    // The administrator and the service users bootstrap made are exempt.
    expect((await t.login({ user: 'admin', password: 'admin-secret', project: 'admin' })).status).toBe(201);
  });

  it('spares users with ignore_change_password_upon_first_use', async () => {
    const { t } = env;
    await newUser(t, 'trusted', { options: { ignore_change_password_upon_first_use: true } });
    expect((await login(t, 'trusted', 'trusted-0')).status).toBe(201);
  });
});

describe('[security_compliance] password_regex', () => {
  const env = withRules({
    passwordRegex: '(?=.*\\d)(?=.*[a-zA-Z]).{7,}$',
    passwordRegexDescription: 'at least 7 characters, a letter and a digit',
  });

  it('refuses a password that does not match, wherever it is set, changing nothing', async () => {
    const { t } = env;
    const weak = await t.call('POST', '/v3/users', { user: { name: 'weak', password: 'short1' } });
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toBe(
      'The password does not match the requirements: at least 7 characters, a letter and a digit.',
    );
    expect((await t.call('GET', '/v3/users?name=weak')).body.users).toEqual([]);
    const id = await newUser(t, 'strong', { password: 'strong-pass-1' });
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { password: 'nodigits' } })).status).toBe(400);
    expect((await change(t, id, 'strong-pass-1', 'nodigits')).status).toBe(400);
    expect((await login(t, 'strong', 'strong-pass-1')).status).toBe(201);
  });
});

describe('[security_compliance] disable_user_account_days_inactive', () => {
  const env = withRules({ disableUserAccountDaysInactive: 3 });
  const daysAgo = (n: number) => new Date(Date.now() - n * 86400_000).toISOString().slice(0, 10);

  it('counts a user disabled after that many days without authenticating, until enabled again', async () => {
    const { t } = env;
    const id = await newUser(t, 'idle');
    const tok = await login(t, 'idle', 'idle-0');
    expect(tok.status).toBe(201);
    await t.identity.db
      .updateTable('user')
      .set({ last_active_at: daysAgo(3) })
      .where('id', '=', id)
      .execute();
    expect((await t.call('GET', `/v3/users/${id}`)).body.user.enabled).toBe(false);
    const refused = await login(t, 'idle', 'idle-0');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe(`The account is disabled for user: ${id}.`);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token })).status).toBe(404);
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { enabled: true } })).body.user.enabled).toBe(true);
    expect((await login(t, 'idle', 'idle-0')).status).toBe(201);
  });

  it('keeps an active user active, and spares users with ignore_user_inactivity', async () => {
    const { t } = env;
    const id = await newUser(t, 'busy');
    await t.identity.db
      .updateTable('user')
      .set({ last_active_at: daysAgo(2) })
      .where('id', '=', id)
      .execute();
    expect((await login(t, 'busy', 'busy-0')).status).toBe(201);
    const row = await t.identity.db.selectFrom('user').select('last_active_at').where('id', '=', id).executeTakeFirst();
    expect(row?.last_active_at).toBe(daysAgo(0));
    const lazy = await newUser(t, 'lazy', { options: { ignore_user_inactivity: true } });
    await t.identity.db
      .updateTable('user')
      .set({ last_active_at: daysAgo(30) })
      .where('id', '=', lazy)
      .execute();
    expect((await login(t, 'lazy', 'lazy-0')).status).toBe(201);
  });
});
