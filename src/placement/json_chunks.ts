// Large JSON answers assembled from pre-rendered pieces (Buffers cached on provider index
// nodes) and streamed: chunks of about 64 KB are put together only as the socket takes them,
// so answering with megabytes costs neither a copy of the whole body nor memory that, once
// freed, the allocator keeps.

const COMMA = Buffer.from(',');
const CHUNK_BYTES = 64 * 1024;

/** A body to stream, with its length known up front (for Content-Length). */
export interface JsonBody {
  length: number;
  chunks: Iterable<Buffer>;
}

/** A Buffer of its own for a long-lived piece. Buffer.from() takes small buffers from a shared
 * 8 KB slab, and one cached piece kept alive keeps its whole slab alive: with a piece cached
 * per provider, that pinned most of the short-lived request buffers too. */
export function ownBuffer(text: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buf.write(text);
  return buf;
}

/** `open` + the items comma-separated + `close`. */
export function jsonList(items: Buffer[], open: string, close: string): JsonBody {
  const head = Buffer.from(open);
  const tail = Buffer.from(close);
  let length = head.length + tail.length + Math.max(0, items.length - 1);
  for (const item of items) length += item.length;
  function* chunks(): Generator<Buffer> {
    let parts: Buffer[] = [head];
    let size = head.length;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) {
        parts.push(COMMA);
        size += 1;
      }
      parts.push(items[i]!);
      size += items[i]!.length;
      if (size >= CHUNK_BYTES) {
        yield Buffer.concat(parts, size);
        parts = [];
        size = 0;
      }
    }
    parts.push(tail);
    yield Buffer.concat(parts, size + tail.length);
  }
  return { length, chunks: { [Symbol.iterator]: chunks } };
}

/** Bodies one after the other. */
export function concatBodies(...bodies: JsonBody[]): JsonBody {
  return {
    length: bodies.reduce((n, b) => n + b.length, 0),
    chunks: {
      *[Symbol.iterator]() {
        for (const b of bodies) yield* b.chunks;
      },
    },
  };
}
