// The service user's token is reused until shortly before it expires, then renewed before any
// callee could refuse it.
import { expect, it } from 'vitest';
import { Adapter, asService, Session, type Transport } from '../../../src/common/clients/index.js';

it('renews its token before it expires, not before', async () => {
  const logins: number[] = [];
  const transport: Transport = async (r) => {
    if (r.url.endsWith('/v3/auth/tokens')) {
      logins.push(Date.now());
      // Short-lived: renewed halfway through.
      const expires = new Date(Date.now() + 1000).toISOString();
      return {
        status: 201,
        headers: { 'x-subject-token': `tok-${logins.length}` },
        body: JSON.stringify({ token: { expires_at: expires, catalog: [] } }),
      };
    }
    return { status: 200, headers: {}, body: JSON.stringify({ token: r.headers['x-auth-token'] }) };
  };
  const session = new Session({
    transport,
    authUrl: 'http://identity.test/identity/v3',
    credentials: {
      username: 'nova',
      password: 'p',
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    },
  });
  const peer = new Adapter(session, { serviceType: 'peer', endpointOverride: 'http://peer.test' });
  const used = async () => (await peer.json<{ token: string }>(asService(), 'GET', '/')).token;
  expect(await used()).toBe('tok-1');
  expect(await used()).toBe('tok-1');
  await new Promise((r) => setTimeout(r, 600));
  expect(await used()).toBe('tok-2');
  expect(logins).toHaveLength(2);
});
