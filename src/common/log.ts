// pino logger factory. Headers that carry secrets are redacted at the serializer level so that no
// token or password can reach a log line whatever a handler logs.
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  'req.headers["x-service-token"]',
  'req.headers.authorization',
  'password',
  '*.password',
  'ipmi_password',
  '*.ipmi_password',
];

export function createLogger(opts: { debug?: boolean; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'concord',
    level: process.env.CONCORD_LOG_LEVEL ?? (opts.debug ? 'debug' : 'info'),
    redact: { paths: REDACT_PATHS, censor: '******' },
  });
}
export type { Logger };
