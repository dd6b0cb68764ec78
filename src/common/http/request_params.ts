// What a handler reads of a request's URL: its path parameters and its query string as Python's
// WebOb sees it (every pair, in order, repeated keys kept).
import type { FastifyRequest } from 'fastify';

/** A path parameter of the matched route. */
export function param(req: FastifyRequest, name: string): string {
  return (req.params as Record<string, string>)[name]!;
}

/** The raw query string as (key, value) pairs in order, keeping repeated keys. */
export function queryPairs(req: FastifyRequest): [string, string][] {
  const i = req.url.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(req.url.slice(i + 1)).entries()];
}
