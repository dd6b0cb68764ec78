// Glance's errors are webob's: the body is negotiated from the Accept header between an HTML page
// and a JSON object ({"message", "code": "404 Not Found", "title"}), and is plain text when the
// client accepts neither (no Accept header at all). python-glanceclient and openstacksdk parse all
// three. A 401 comes from keystonemiddleware, in front of Glance, and has its JSON shape instead.
// Also: the domain's exceptions (exceptions.ts) mapped to their statuses, and the errors handlers
// raise themselves, as Glance's raise webob exceptions with an explanation.
import type { ErrorRequest } from '../common/http/error_formats.js';
import { EXPLANATIONS, HttpError } from '../common/http/errors.js';
import { escapeHtml } from '../common/http/html.js';
import type { ErrorBody } from '../common/http/app.js';
import { Conflict, Forbidden, Invalid, LimitExceeded } from './exceptions.js';

/** webob's titles for the statuses the common table leaves out. */
const TITLES: Record<number, string> = { 410: 'Gone', 416: 'Requested Range Not Satisfiable' };

const OFFERS = ['text/html', 'application/json'] as const;
type Offer = (typeof OFFERS)[number];

/** The q each offer gets from the most specific media range that matches it. */
function quality(ranges: { type: string; q: number }[], offer: Offer): number {
  const [major] = offer.split('/');
  const rank = (t: string) => (t === offer ? 3 : t === `${major}/*` ? 2 : t === '*/*' ? 1 : 0);
  let best = { rank: 0, q: 0 };
  for (const r of ranges) {
    const k = rank(r.type);
    if (k > best.rank) best = { rank: k, q: r.q };
  }
  return best.q;
}

/** What webob's Accept.acceptable_offers picks first, or null for plain text. */
export function negotiateErrorType(accept: string | undefined): Offer | null {
  if (!accept?.trim()) return null;
  const ranges: { type: string; q: number }[] = [];
  for (const part of accept.split(',')) {
    if (!part.trim()) continue;
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    // An unparsable header is treated as no preference at all, so the first offer wins.
    if (!/^[\w.+*-]+\/[\w.+*-]+$/.test(type!)) return OFFERS[0];
    let q = 1;
    let extension = false;
    for (const p of params) {
      if (p.startsWith('q=')) q = Number(p.slice(2));
      else if (p) extension = true;
    }
    if (!Number.isFinite(q) || q < 0 || q > 1) return OFFERS[0];
    if (!extension) ranges.push({ type: type!, q });
  }
  const scored = OFFERS.map((o, i) => ({ o, i, q: quality(ranges, o) })).filter((s) => s.q > 0);
  scored.sort((a, b) => b.q - a.q || a.i - b.i);
  return scored[0]?.o ?? null;
}

function stripTags(s: string): string {
  return s
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]*>/g, '');
}

export function formatGlanceError(err: HttpError, req: ErrorRequest): ErrorBody {
  if (err.status === 401) {
    return {
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: err.message } }),
    };
  }
  const title = TITLES[err.status] ?? err.title;
  const status = `${err.status} ${title}`;
  // Glance raises webob errors with explanation=message; what went wrong inside a 5xx stays in the log.
  const text = err.status >= 500 ? EXPLANATIONS[500]![1] : (err.explanation ?? err.message);
  const body = (t: string) => `${t}<br /><br />\n\n\n`;
  switch (negotiateErrorType(req.headers.accept)) {
    case 'text/html':
      return {
        contentType: 'text/html; charset=UTF-8',
        body:
          `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ` +
          `${body(escapeHtml(text))}\n </body>\n</html>`,
      };
    case 'application/json':
      return { contentType: 'application/json', body: JSON.stringify({ message: body(text), code: status, title }) };
    default:
      return { contentType: 'text/plain; charset=UTF-8', body: `${status}\n\n${stripTags(body(text))}` };
  }
}

/** The status each kind of domain exception answers with, as Glance's controllers turn them. */
export function mapImageError(err: unknown): HttpError | undefined {
  if (err instanceof Invalid) return badRequest(err.message);
  if (err instanceof Forbidden) return forbidden(err.message);
  if (err instanceof Conflict) return conflict(err.message);
  if (err instanceof LimitExceeded) return tooLarge(err.message);
  return undefined;
}

export const imageNotFound = (id: string) => new HttpError(404, `No image found with ID ${id}`);
/** webob's HTTPNotFound() with no explanation of its own: says nothing about what exists. */
export const hiddenNotFound = () => new HttpError(404, EXPLANATIONS[404]![1]);
export const badRequest = (msg: string) => new HttpError(400, msg);
export const forbidden = (msg: string) => new HttpError(403, msg);
export const conflict = (msg: string) => new HttpError(409, msg);
export const tooLarge = (msg: string, headers: Record<string, string> = {}) =>
  new HttpError(413, msg, undefined, headers);
export const unsupportedMediaType = (msg: string, headers: Record<string, string> = {}) =>
  new HttpError(415, msg, undefined, headers);
