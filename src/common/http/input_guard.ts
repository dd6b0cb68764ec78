// Text no service can store faithfully is refused with a 400 before any handler runs, for every
// service alike: NUL (PostgreSQL text cannot hold it, so it would fail deep inside a query),
// lone UTF-16 surrogates (they have no UTF-8 form and would come back as U+FFFD) and bytes that
// are not UTF-8 (a lenient decoder silently turns them into U+FFFD, so what is stored is not what
// was sent).
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const NUL = 'Invalid input: NUL characters are not allowed.';
const SURROGATE = 'Invalid input: unpaired surrogate characters are not allowed.';
const NOT_UTF8 = (where: string) => `Invalid input: the ${where} is not valid UTF-8.`;

const invalid = (message: string) => new HttpError(400, message);

/** A request body as text; bytes that are not UTF-8 are a 400, never replaced. */
export function decodeBody(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw invalid(NOT_UTF8('request body'));
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The \uXXXX escape at `i` of JSON text, as its code unit, or null when there is none. */
function escapeAt(text: string, i: number): number | null {
  if (text[i] !== '\\' || text[i + 1] !== 'u') return null;
  const hex = text.slice(i + 2, i + 6);
  return HEX4.test(hex) ? Number.parseInt(hex, 16) : null;
}

const isHigh = (c: number | null) => c !== null && c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number | null) => c !== null && c >= 0xdc00 && c <= 0xdfff;

/** What JSON text would decode to that cannot be accepted: NUL or a lone surrogate written as
 * \u escapes. Every text body the services take is JSON; what is not valid JSON is left for
 * the handler's own error. */
function escapedProblem(text: string): string | null {
  for (let i = text.indexOf('\\'); i >= 0; i = text.indexOf('\\', i)) {
    const c = escapeAt(text, i);
    if (c === null) {
      i += 2; // any other escape, including an escaped backslash
      continue;
    }
    i += 6;
    if (c === 0) return NUL;
    if (isLow(c)) return SURROGATE;
    if (isHigh(c)) {
      if (!isLow(escapeAt(text, i))) return SURROGATE;
      i += 6;
    }
  }
  return null;
}

/** What a string holds that cannot be accepted, as it is (not as JSON). */
function rawProblem(text: string): string | null {
  if (text.includes('\0')) return NUL;
  if (LONE_SURROGATE.test(text)) return SURROGATE;
  return null;
}

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

/** The bytes a URL stands for once its %XX escapes are decoded. A malformed escape is kept as it
 * is: whether it is an error is for the routing to say. */
function percentDecoded(url: string): Buffer {
  const raw = Buffer.from(url, 'utf8');
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      out[n++] = Number.parseInt(raw.subarray(i + 1, i + 3).toString('latin1'), 16);
      i += 2;
    } else {
      out[n++] = raw[i]!;
    }
  }
  return out.subarray(0, n);
}

function urlProblem(url: string): string | null {
  const direct = rawProblem(url);
  if (direct) return direct;
  const bytes = percentDecoded(url);
  if (bytes.includes(0)) return NUL;
  try {
    strictUtf8.decode(bytes);
  } catch {
    return NOT_UTF8('request URL');
  }
  return null;
}

/** Throws the 400 for a request whose path, query string or text body holds what no service
 * accepts (see the top of this file). */
export function guardInput(req: FastifyRequest): void {
  const problem =
    urlProblem(req.url) ?? (typeof req.body === 'string' ? (rawProblem(req.body) ?? escapedProblem(req.body)) : null);
  if (problem) throw invalid(problem);
}
