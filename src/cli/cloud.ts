// The all-in-one cloud of `concord up`, built without a socket so that tests can drive it with
// inject(): identity at /identity (bootstrapped at every start), every other service at its
// DevStack path authenticating through identity's REST API in-process, `GET /` listing them.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createServer } from '../common/http/app.js';
import { answerUnmatched } from '../common/http/fallback.js';
import { keystoneAuthenticator, type KeystoneAuthenticator } from '../common/http/keystone.js';
import { injectTransport, Session, type Transport } from '../common/clients/index.js';
import { bootstrapIdentity, createIdentity, identityEnforcer, identityPlugin } from '../identity/index.js';
import { loadCredentials, type CloudCredentials } from './credentials.js';
import type { Runtime } from './runtime.js';
import { SERVICES, type BackgroundWorker, type ServiceModule, type StartedService } from './services.js';

export const IDENTITY_PATH = '/identity';

export interface CatalogEntry {
  name: string;
  type: string;
  path: string;
  url: string;
}

export interface AllInOne {
  app: FastifyInstance;
  credentials: CloudCredentials;
  /** Identity first, then the other services. */
  catalog: CatalogEntry[];
  authUrl: string;
  /** How the services' clients reach each other: inject() into `app` for the cloud's URLs. */
  transport: Transport;
  /** Stops answering, then closes the databases. Safe to call more than once. */
  close: () => Promise<void>;
}

export interface CloudOptions {
  runtime: Runtime;
  log: Logger;
  /** The base URL clients reach the cloud at (http://host:port), for the catalog. */
  publicBase: string;
  services?: readonly ServiceModule[];
}

/** Runs `close` functions in order, each once, whatever the others do. */
function closer(log: Logger) {
  const steps: (() => Promise<void>)[] = [];
  let done: Promise<void> | undefined;
  return {
    add: (f: () => Promise<void>) => {
      steps.push(f);
    },
    run: () =>
      (done ??= (async () => {
        for (const f of steps) await f().catch((err: unknown) => log.error({ err }, 'error while stopping'));
      })()),
  };
}

/**
 * Identity in the same process: every change it makes (a token revoked, a role unassigned, a user
 * or project disabled, ...) empties the services' token caches before the answer leaves, so the
 * next request is checked against the new state rather than a validation up to
 * token_cache_time old. Issuing a token changes nothing that a cached validation depends on.
 */
function forgetValidationsOnIdentityChange(app: FastifyInstance, authenticators: KeystoneAuthenticator[]) {
  const issuing = `${IDENTITY_PATH}/v3/auth/tokens`;
  app.addHook('onSend', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400) return;
    const path = req.url.split('?', 1)[0]!;
    if (!path.startsWith(`${IDENTITY_PATH}/`)) return;
    if (req.method === 'POST' && path === issuing) return;
    for (const a of authenticators) a.forgetAll();
  });
}

export async function buildCloud(opts: CloudOptions): Promise<AllInOne> {
  const { runtime, log, publicBase } = opts;
  const { config, dataDir, configDir } = runtime;
  const modules = opts.services ?? SERVICES;
  const credentials = loadCredentials(dataDir, config.adminPassword);
  const authUrl = `${publicBase}${IDENTITY_PATH}`;
  const catalog: CatalogEntry[] = [
    { name: 'keystone', type: 'identity', path: IDENTITY_PATH, url: authUrl },
    ...modules.map((m) => ({
      name: m.name,
      type: m.type,
      path: m.path,
      url: `${publicBase}${m.path}${m.apiPath ?? ''}`,
    })),
  ];
  const app = createServer({
    logger: log,
    bodyLimit: config.maxRequestBodySize,
    limits: config,
    logRequests: config.logRequests,
  });
  // Every service lives under its prefix: what reaches the root otherwise is a generic 404.
  answerUnmatched(app);
  // The services call each other at the catalog's URLs, which this very app serves.
  const transport = injectTransport(app, publicBase);
  const shutdown = closer(log);
  // The server stops taking requests before any database it serves from closes; the workers
  // stop in between, while they can still give back the jobs they are running.
  shutdown.add(() => app.close());
  const workers: BackgroundWorker[] = [];
  shutdown.add(async () => {
    await Promise.all(workers.map((w) => w.stop()));
  });
  try {
    const env = { config, dataDir, configDir, log };
    const policy = identityEnforcer({ config, configDir, log });
    const opening = createIdentity({ ...env, policy });
    // The bootstrap's password hashes run on the thread pool while the services open their databases.
    const bootstrapped = opening.then((identity) =>
      bootstrapIdentity(identity, {
        adminPassword: credentials.adminPassword,
        demoPassword: credentials.demoPassword,
        servicePassword: credentials.servicePassword,
        publicUrl: authUrl,
        services: catalog.slice(1).map(({ name, type, url }) => ({ name, type, url })),
      }),
    );
    bootstrapped.catch(() => {
      /* awaited below, once whatever opened can be closed */
    });
    // Each service's user: its clients call the others with it, and its keystonemiddleware
    // validates tokens with it. A session logs in at its first call, once identity answers.
    const sessions = modules.map(
      (m) =>
        new Session({
          transport,
          authUrl,
          log,
          credentials: {
            username: m.name,
            password: credentials.servicePassword,
            projectName: 'service',
            userDomainName: 'Default',
            projectDomainName: 'Default',
          },
        }),
    );
    const opened = await Promise.allSettled([
      opening,
      ...modules.map((m, i) => m.start({ ...env, session: sessions[i]! })),
    ]);
    // Whatever did open is closed again if anything failed.
    for (const o of opened) if (o.status === 'fulfilled') shutdown.add(() => o.value.close());
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
    const [identity, ...started] = opened.map((o) => (o as PromiseFulfilledResult<unknown>).value) as [
      Awaited<typeof opening>,
      ...StartedService[],
    ];
    const boot = await bootstrapped;

    const authenticators: KeystoneAuthenticator[] = [];
    forgetValidationsOnIdentityChange(app, authenticators);
    await app.register(identityPlugin(identity), { prefix: IDENTITY_PATH });
    modules.forEach((m, i) => {
      const authenticate = keystoneAuthenticator({
        session: sessions[i]!,
        cacheSeconds: config.keystoneTokenCacheTime,
        // Same process, same keys: forged and expired tokens never reach identity.
        verifier: identity.signer,
        wwwAuthenticateUri: authUrl,
        serviceType: m.type,
      });
      authenticators.push(authenticate);
      void app.register(started[i]!.plugin(authenticate), { prefix: m.path });
    });
    app.get('/', async () => ({ name: 'concord', services: catalog }));
    await app.ready();
    for (const s of started) await s.ready?.({ adminProjectId: boot.adminProjectId });
    for (const s of started) {
      for (const w of s.workers?.() ?? []) {
        workers.push(w);
        w.start();
      }
    }
  } catch (err) {
    await shutdown.run();
    throw err;
  }
  return { app, credentials, catalog, authUrl, transport, close: shutdown.run };
}
