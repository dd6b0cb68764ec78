// What the fuzz tests of every service share: text drawn from all of Unicode, weighted towards
// what breaks storage (NUL, lone surrogates, astral characters), and how such text gets into a
// URL the way a careless client would send it.
import fc from 'fast-check';

const NASTY = ['\0', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '😀', '\u202e', '\uffff', '\x7f', '%', '/', '?'];

/** Any string: any code unit, including NUL and unpaired surrogates. */
export function text(maxLength = 16): fc.Arbitrary<string> {
  return fc.string({
    maxLength,
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(...NASTY) },
      { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
    ),
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Whether no service may accept `s`: it holds NUL or an unpaired surrogate. */
export function hostile(s: string): boolean {
  return s.includes('\0') || new RegExp(LONE_SURROGATE.source).test(s);
}

/** Percent-encodes `s` for a query string. An unpaired surrogate goes as the three bytes it
 * would have in UTF-8 if it could (what a client that does not check sends): not UTF-8. */
export function encode(s: string): string {
  return s.replace(/[\s\S]/gu, (ch) => {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) {
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    }
    return encodeURIComponent(ch);
  });
}

/** Percent-encodes `s` for a path segment. Unpaired surrogates become NUL: bytes that are not
 * UTF-8 in the path fail in Fastify's router, before the services (and in its own format). */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s.replace(LONE_SURROGATE, '\0'));
}

/** A query string (without '?') from key/value pairs, encoded with `encode`. */
export function queryString(q: Record<string, string>): string {
  return Object.entries(q)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');
}

/** Bodies that are not UTF-8. */
export const notUtf8 = fc.constantFrom(
  Buffer.from([0xff, 0xfe]),
  Buffer.from('{"name": "\xc3\x28"}', 'latin1'),
  Buffer.from('{"name": "\xed\xa0\x80"}', 'latin1'),
  Buffer.from('[1, "\xf8\x88\x80\x80\x80"]', 'latin1'),
);

function holdsHostile(v: unknown): boolean {
  if (typeof v === 'string') return hostile(v);
  if (Array.isArray(v)) return v.some(holdsHostile);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => hostile(k) || holdsHostile(x));
  return false;
}

/** Whether a request must be refused for its text alone. `body` counts when the method has one
 * that the services read as text (Fastify reads no body of a GET, HEAD or DELETE): an object is
 * sent as JSON, a string as its UTF-8 bytes, a Buffer as it is. */
export function mustRefuse(method: string, pathAndQuery: string, body: unknown): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathAndQuery);
  } catch {
    return true; // not UTF-8 once decoded
  }
  if (hostile(decoded)) return true;
  if (!['POST', 'PUT', 'PATCH'].includes(method) || body === undefined || body === null) return false;
  if (Buffer.isBuffer(body)) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return true;
    }
  }
  const sent = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (typeof sent !== 'string') return holdsHostile(sent);
  // As sent: an unpaired surrogate in a string becomes U+FFFD on its way to bytes.
  const wire = Buffer.from(sent, 'utf8').toString('utf8');
  if (wire.includes('\0')) return true;
  try {
    return holdsHostile(JSON.parse(wire));
  } catch {
    return false;
  }
}

/** Sends a batch of requests at once and waits for every answer (so that none is still running
 * when a failure ends the test); the first failed check is thrown. */
export async function sendAll<T>(batch: T[], send: (r: T) => Promise<number>): Promise<number[]> {
  const settled = await Promise.allSettled(batch.map(send));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<number>).value);
}
