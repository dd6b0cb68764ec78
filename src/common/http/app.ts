// The Fastify app factory every OpenStack service is built from: one encapsulated plugin per
// service with its own prefix, error body format, microversion negotiation, auth and routes.
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { HttpError, toHttpError } from './errors.js';
import { negotiate, type MicroversionPolicy, type Version } from './microversion.js';
import type { RequestContext } from './context.js';
import type { Authenticator } from './auth.js';
import { decodeBody, guardInput } from './input_guard.js';
import { isWriteConflict } from '../db/index.js';
import { registerErrorFormat, type ErrorRequest } from './error_formats.js';
import { clientError, frameworkError, MAX_PARAM_LENGTH } from './fallback.js';
import { adoptRequestIds, newRequestId, REQUEST_ID_LOG_LABEL, requestLogger } from './request_id.js';
import { logAnsweredRequests } from './access_log.js';
import { applyTimeouts, headTimeoutOptions, type ServerLimits } from './timeouts.js';
import { limitConnectionsPerClient } from './connections.js';
import { checkJsonDepth } from './json_depth.js';
import { loadConfig } from '../config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The prefix the service is mounted at ('' or e.g. '/placement'), like WSGI's SCRIPT_NAME. */
    scriptName: string;
    version: Version;
    ctx: RequestContext;
  }
}

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
/** Declarative route table: path → method → handler (as upstream placement's ROUTE_DECLARATIONS). */
export type RouteTable = Record<string, Partial<Record<'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', Handler>>>;

export interface ErrorBody {
  contentType: string;
  body: string;
}
/** Renders an error in a service's own format. */
export type ErrorFormatter = (err: HttpError, req: ErrorRequest) => ErrorBody;

export interface ServiceDefinition {
  name: string;
  microversions?: MicroversionPolicy;
  /** Paths (relative to the service root) reachable without a token, e.g. version discovery. */
  publicPaths?: (path: string, method: string) => boolean;
  authenticate: Authenticator;
  formatError: ErrorFormatter;
  /** Turns a service's own domain exceptions that no handler caught into HTTP errors. */
  mapError?: (err: unknown) => HttpError | undefined;
  routes: RouteTable;
  /** Hooks run on every request before auth (CORS ...). */
  setup?: (app: FastifyInstance) => void;
  /** Checks run on every request after auth and microversion negotiation, before routing
   * (so also for unknown paths), e.g. Placement's content-length/content-type rule. */
  beforeHandler?: (req: FastifyRequest) => void;
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** What a service's error handler answers for anything thrown: a database write that lost a race
 * is a 409 the client may retry; the rest as errors.ts maps it. */
function asHttpError(err: unknown): HttpError {
  if (isWriteConflict(err))
    return new HttpError(409, 'The data was changed by another request at the same time. Please retry.');
  return toHttpError(err);
}

/** The service as an encapsulated Fastify plugin, mountable at any prefix. */
export function servicePlugin(def: ServiceDefinition): FastifyPluginAsync {
  return async (app) => {
    // Bodies are read as text and parsed by the handlers: the services decide which media types
    // they accept and how a malformed body is reported.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
      try {
        done(null, decodeBody(body as Buffer));
      } catch (e) {
        done(e as Error);
      }
    });
    registerErrorFormat(app.server, app.prefix, def.formatError);

    app.addHook('onRequest', async (req, reply) => {
      req.scriptName = app.prefix;
      if (def.microversions) {
        // Report the minimum until negotiation succeeds, so even errors carry the header.
        reply.header('openstack-api-version', `${def.microversions.service} ${def.microversions.min}`);
        reply.header('vary', 'openstack-api-version');
        req.version = def.microversions.min;
      }
    });
    def.setup?.(app);
    app.addHook('preHandler', async (req, reply) => {
      // Authentication comes first, as in OpenStack's middleware pipelines (auth_token before
      // the microversion middleware): an anonymous request is a 401 whatever else is wrong.
      const path = req.routeOptions.url ?? req.url;
      const rel = path.slice(app.prefix.length) || '/';
      if (!def.publicPaths?.(rel, req.method)) req.ctx = await def.authenticate(req);
      if (def.microversions) {
        req.version = negotiate(def.microversions, req.headers);
        reply.header('openstack-api-version', `${def.microversions.service} ${req.version}`);
      }
      guardInput(req);
      def.beforeHandler?.(req);
      checkJsonDepth(req.body);
    });

    app.setErrorHandler(async (err, req, reply) => {
      const httpErr = def.mapError?.(err) ?? asHttpError(err);
      if (httpErr.status >= 500) req.log.error({ err }, 'unexpected error');
      if (httpErr.status === 401) {
        req.log.warn({ remote_addr: req.ip }, `authentication failed: ${httpErr.reason ?? httpErr.message}`);
      }
      const { contentType, body } = def.formatError(httpErr, req);
      reply.code(httpErr.status).headers(httpErr.headers).header('content-type', contentType);
      // A Buffer keeps the content type exactly as the service set it (no charset appended).
      return Buffer.from(body);
    });
    app.setNotFoundHandler(async () => {
      throw new HttpError(404, 'The resource could not be found.');
    });

    for (const [path, methods] of Object.entries(def.routes)) {
      const allowed = Object.keys(methods);
      for (const [method, handler] of Object.entries(methods)) {
        app.route({ method, url: path, handler, exposeHeadRoute: false });
      }
      const others = ALL_METHODS.filter((m) => !allowed.includes(m));
      app.route({
        method: others,
        url: path,
        handler: async (req) => {
          throw new HttpError(
            405,
            'The method specified is not allowed for this resource.',
            undefined,
            { allow: allowed.join(', ') },
            `The method ${req.method} is not allowed for this resource.`,
          );
        },
      });
    }
  };
}

export interface AppOptions {
  logger: Logger;
  bodyLimit?: number;
  /** Timeouts and the per-client connection cap ([wsgi]); default: the options' defaults. */
  limits?: ServerLimits;
  /** A log line per answered request ([DEFAULT] log_requests); default: on. */
  logRequests?: boolean;
}

/** A bare Fastify server; services are registered into it with `servicePlugin`. Every request gets
 * its OpenStack request ids (request_id.ts); clients are held to the timeouts and the connection
 * cap (timeouts.ts, connections.ts); what no route handles is still answered in an OpenStack error
 * format (fallback.ts). */
export function createServer(opts: AppOptions): FastifyInstance {
  const limits = opts.limits ?? loadConfig(undefined, {});
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit ?? 114688,
    logController: new LogController({
      // Fastify's own two lines per request give way to one OpenStack-style line (access_log.ts).
      disableRequestLogging: true,
      requestIdLogLabel: REQUEST_ID_LOG_LABEL,
    }),
    genReqId: newRequestId,
    childLoggerFactory: requestLogger,
    // Placement (and the others) use trailing-slash-sensitive paths like upstream's Routes.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: MAX_PARAM_LENGTH },
    requestIdHeader: false,
    http: headTimeoutOptions(limits),
    // What never reaches a service is still answered in its error format (fallback.ts).
    frameworkErrors: frameworkError,
    clientErrorHandler: (err, socket) => clientError(app.server, err, socket),
  }) as unknown as FastifyInstance;
  app.addHook('onRequest', adoptRequestIds);
  if (opts.logRequests ?? true) logAnsweredRequests(app);
  applyTimeouts(app.server, limits);
  limitConnectionsPerClient(app.server, limits.maxConnectionsPerClient, opts.logger);
  return app;
}
