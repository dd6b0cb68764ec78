// CORS as oslo.middleware does it, so browsers (and the upstream tests) see what they would in
// front of an OpenStack service: allowed origins get the Access-Control-* headers; an OPTIONS
// preflight always ends as an empty 200 (the service behind usually has no OPTIONS route, and
// its 401/404/405 is replaced), decorated only when origin, method and headers are permitted.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface CorsConfig {
  allowedOrigins: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowMethods: string[];
  allowCredentials: boolean;
  maxAge?: number;
}

/** Headers a preflight may always ask for (the CORS spec's simple headers, as oslo lists them). */
const SIMPLE_HEADERS = [
  'Accept',
  'Accept-Language',
  'Content-Type',
  'Cache-Control',
  'Content-Language',
  'Expires',
  'Last-Modified',
  'Pragma',
];

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The origin as it will be echoed, or null when it is not allowed. */
function allowedOrigin(cfg: CorsConfig, origin: string): string | null {
  if (cfg.allowedOrigins.includes(origin)) return origin;
  return cfg.allowedOrigins.includes('*') ? '*' : null;
}

function preflight(cfg: CorsConfig, req: FastifyRequest, reply: FastifyReply): void {
  const origin = header(req, 'origin');
  const allowed = origin === undefined ? null : allowedOrigin(cfg, origin);
  const method = header(req, 'access-control-request-method');
  if (allowed === null || method === undefined || !cfg.allowMethods.includes(method)) return;
  const requested = (header(req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const permitted = new Set([...cfg.allowHeaders, ...SIMPLE_HEADERS].map((h) => h.toUpperCase()));
  if (requested.some((h) => !permitted.has(h.toUpperCase()))) return;
  reply.header('vary', 'Origin');
  reply.header('access-control-allow-origin', allowed);
  if (cfg.allowCredentials) reply.header('access-control-allow-credentials', 'true');
  if (cfg.maxAge) reply.header('access-control-max-age', String(cfg.maxAge));
  reply.header('access-control-allow-methods', method);
  if (requested.length) reply.header('access-control-allow-headers', requested.join(','));
}

function simple(cfg: CorsConfig, req: FastifyRequest, reply: FastifyReply): void {
  const origin = header(req, 'origin');
  const allowed = origin === undefined ? null : allowedOrigin(cfg, origin);
  if (allowed === null) return;
  const vary = reply.getHeader('vary');
  reply.header('vary', vary ? `${String(vary)},Origin` : 'Origin');
  reply.header('access-control-allow-origin', allowed);
  if (cfg.allowCredentials) reply.header('access-control-allow-credentials', 'true');
  if (cfg.exposeHeaders.length) reply.header('access-control-expose-headers', cfg.exposeHeaders.join(','));
}

/** Installs CORS on a service's plugin; a no-op when no origin is allowed. */
export function installCors(app: FastifyInstance, cfg: CorsConfig): void {
  if (!cfg.allowedOrigins.length) return;
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.hasHeader('access-control-allow-origin')) return payload;
    if (req.method !== 'OPTIONS') {
      simple(cfg, req, reply);
      return payload;
    }
    let out = payload;
    if (reply.statusCode < 200 || reply.statusCode >= 300) {
      reply.code(200);
      reply.removeHeader('content-type');
      reply.removeHeader('allow');
      out = '';
    }
    preflight(cfg, req, reply);
    return out;
  });
}
