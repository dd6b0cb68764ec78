// The web-download import's fetch: every hop of a redirect chain passes [import_filtering_opts]
// (uri_filter.ts) again, a host name is resolved once, its addresses are checked, and the
// connection goes to exactly the address that was checked (no second lookup between the check and
// the connect, which a name with a short TTL could answer differently).
import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressAllowed, filterUri, type FilteredUri, type ImportFilters } from './uri_filter.js';

/** The URL (or one it redirects to, or an address its host resolves to) does not pass the filters. */
export class ImportUriRefused extends Error {}

/** The source could not be fetched (unresolvable, unreachable, an error status, too many hops). */
export class WebDownloadError extends Error {}

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface WebDownloadOptions {
  resolve?: Resolver;
  /** Redirects followed before giving up. */
  maxRedirects?: number;
  /** Milliseconds without any byte from the source before the download fails. */
  idleTimeoutMs?: number;
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

/** Where a URL points, for messages and logs: never its path or query (they may carry tokens). */
const origin = (url: URL) => `${url.protocol}//${url.host}`;

/** The address to connect to for `target`: its literal address, or the first its name resolves to
 * once every address it resolves to passed the filters. */
async function pinAddress(filters: ImportFilters, target: FilteredUri, resolve: Resolver): Promise<ResolvedAddress> {
  const family = isIP(target.host);
  if (family) return { address: target.host, family };
  let answers: ResolvedAddress[];
  try {
    answers = await resolve(target.host);
  } catch (e) {
    throw new WebDownloadError(`cannot resolve ${target.host}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!answers.length) throw new WebDownloadError(`cannot resolve ${target.host}`);
  // Every address, not only the one used: a name that also resolves inside a refused network is refused.
  const refused = answers.find((a) => !addressAllowed(filters, target, a.address));
  if (refused) {
    throw new ImportUriRefused(`${target.host} resolves to ${refused.address}, which does not pass filtering`);
  }
  return answers[0]!;
}

function get(target: FilteredUri, pinned: ResolvedAddress, idleTimeoutMs: number): Promise<IncomingMessage> {
  const pinnedLookup = ((_host, opts, cb) => {
    if (opts.all) cb(null, [pinned]);
    else cb(null, pinned.address, pinned.family);
  }) as LookupFunction;
  const tls = target.url.protocol === 'https:';
  const options = {
    host: target.host,
    port: target.port,
    path: `${target.url.pathname}${target.url.search}`,
    headers: { host: target.url.host, 'user-agent': 'concord-image-import', accept: '*/*' },
    lookup: pinnedLookup,
    agent: false,
    timeout: idleTimeoutMs,
    // The certificate is checked against the name, whatever address it was reached at.
    ...(tls && !isIP(target.host) ? { servername: target.host } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).get(options, (res) => {
      // The peer is the address that was checked, or nothing is read from it.
      const peer = res.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, '');
      if (peer === pinned.address) return resolve(res);
      res.destroy();
      reject(
        new ImportUriRefused(
          `${origin(target.url)} answered from ${peer ?? 'an unknown address'}, not ${pinned.address}`,
        ),
      );
    });
    req.once('error', reject);
    req.on('timeout', () => req.destroy(new WebDownloadError(`${origin(target.url)} stopped sending data`)));
  });
}

/** Opens the data at `uri` for reading; rejects with ImportUriRefused when a hop does not pass the
 * filters (nothing is requested from it), or WebDownloadError. */
export async function openWebDownload(
  filters: ImportFilters,
  uri: string,
  opts: WebDownloadOptions = {},
): Promise<IncomingMessage> {
  const resolve = opts.resolve ?? systemResolver;
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  let current = uri;
  for (let hop = 0; ; hop++) {
    const target = filterUri(filters, current);
    if (!target) {
      const where = URL.canParse(current) ? origin(new URL(current)) : 'an invalid URL';
      throw new ImportUriRefused(
        hop ? `redirect to ${where} does not pass filtering` : `${where} does not pass filtering`,
      );
    }
    if (target.url.protocol !== 'http:' && target.url.protocol !== 'https:') {
      throw new WebDownloadError(`cannot fetch ${target.url.protocol} URLs`);
    }
    const res = await get(target, await pinAddress(filters, target, resolve), opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.destroy();
      if (hop >= maxRedirects)
        throw new WebDownloadError(`more than ${maxRedirects} redirects from ${origin(new URL(uri))}`);
      if (!URL.canParse(res.headers.location, target.url))
        throw new WebDownloadError(`${origin(target.url)} redirects to an invalid URL`);
      current = new URL(res.headers.location, target.url).href;
      continue;
    }
    if (status < 200 || status >= 300) {
      res.destroy();
      throw new WebDownloadError(`${origin(target.url)} answered ${status}`);
    }
    return res;
  }
}
