// A limit on how deeply a request body nests JSON arrays and objects. The services validate bodies
// and word their error messages recursively (JSON Schema, Python-style reprs of the offending
// value), so a body of a few thousand opening brackets (8 KB) overflowed the stack: a 500 in every
// service, even unauthenticated at POST /identity/v3/auth/tokens. It is refused with a 400 before
// anything recurses. No OpenStack API body comes near the limit (Placement's reshaper, among the
// deepest, nests 6 levels).
import { HttpError } from './errors.js';

export const MAX_JSON_DEPTH = 100;

/** Whether `text` nests arrays and objects deeper than `max`; brackets inside strings do not count
 * and the text need not be valid JSON (the service's parser says what else is wrong with it). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** 400 when a body read as text nests deeper than MAX_JSON_DEPTH. */
export function checkJsonDepth(body: unknown): void {
  if (typeof body === 'string' && nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new HttpError(400, `The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}
