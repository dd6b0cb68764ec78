import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

describe('[security_compliance] lockout_failure_attempts', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity({ config: { lockoutFailureAttempts: 3, lockoutDuration: 2 } });
  });
  afterAll(async () => {
    await t.close();
  });

  async function user(name: string, extra: Record<string, unknown> = {}) {
    const r = await t.call('POST', '/v3/users', { user: { name, password: `${name}-pw`, ...extra } });
    expect(r.status).toBe(201);
    return r.body.user.id as string;
  }
  const login = (name: string, password: string) => t.login({ user: name, password, scope: 'unscoped' });

  it('locks a user out after N wrong passwords, even for the right one, until the duration passes', async () => {
    const id = await user('erin');
    for (let i = 0; i < 3; i++) expect((await login('erin', 'wrong')).status).toBe(401);
    const locked = await login('erin', 'erin-pw');
    expect(locked.status).toBe(401);
    expect(locked.body.error.message).toBe(`The account is locked for user: ${id}.`);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await login('erin', 'erin-pw')).status).toBe(201);
  });

  it('resets the count on a successful login', async () => {
    await user('frank');
    for (let i = 0; i < 2; i++) expect((await login('frank', 'wrong')).status).toBe(401);
    expect((await login('frank', 'frank-pw')).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await login('frank', 'wrong')).status).toBe(401);
    expect((await login('frank', 'frank-pw')).status).toBe(201);
  });

  it('lifts a lockout when an administrator enables the user', async () => {
    const id = await user('grace');
    for (let i = 0; i < 3; i++) await login('grace', 'wrong');
    expect((await login('grace', 'grace-pw')).status).toBe(401);
    expect((await t.call('PATCH', `/v3/users/${id}`, { user: { enabled: true } })).status).toBe(200);
    expect((await login('grace', 'grace-pw')).status).toBe(201);
  });

  it('spares users with the ignore_lockout_failure_attempts option', async () => {
    const id = await user('heidi', { options: { ignore_lockout_failure_attempts: true } });
    for (let i = 0; i < 5; i++) await login('heidi', 'wrong');
    expect((await login('heidi', 'heidi-pw')).status).toBe(201);
    const shown = await t.call('GET', `/v3/users/${id}`);
    expect(shown.body.user.options).toEqual({ ignore_lockout_failure_attempts: true });
  });

  it('counts a wrong original password on a self-service password change', async () => {
    const id = await user('ivan');
    for (let i = 0; i < 3; i++) {
      const r = await t.call(
        'POST',
        `/v3/users/${id}/password`,
        { user: { original_password: 'bad', password: 'new-pw' } },
        { 'x-auth-token': '' },
      );
      expect(r.status).toBe(401);
    }
    expect((await login('ivan', 'ivan-pw')).status).toBe(401);
  });
});

describe('no lockout by default', () => {
  it('keeps letting a user in after many failures when the option is unset', async () => {
    const t = await startIdentity();
    try {
      await t.call('POST', '/v3/users', { user: { name: 'judy', password: 'judy-pw' } });
      for (let i = 0; i < 6; i++) await t.login({ user: 'judy', password: 'wrong', scope: 'unscoped' });
      expect((await t.login({ user: 'judy', password: 'judy-pw', scope: 'unscoped' })).status).toBe(201);
    } finally {
      await t.close();
    }
  });
});
