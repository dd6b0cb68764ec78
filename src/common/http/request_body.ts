// What every service reads of a request body before its own rules apply: the text (servicePlugin
// reads every body as text, whatever its declared type), the declared media type, and the JSON in
// it. Each service words a missing, undeclared or malformed body its own way.
import type { FastifyRequest } from 'fastify';

/** The body as text; '' when the request has none. */
export function bodyText(req: FastifyRequest): string {
  return typeof req.body === 'string' ? req.body : '';
}

/** The declared media type of the body, lowercase and without parameters. */
export function mediaType(req: FastifyRequest): string | undefined {
  return req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
}

/** `raw` parsed as JSON; `malformed` says how the service reports text that is not JSON. */
export function parseJson(raw: string, malformed: (e: SyntaxError) => Error): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw malformed(e as SyntaxError);
  }
}
