// Large JSON answers assembled from pre-rendered pieces (Buffers cached on provider index
// nodes), handed to the socket in chunks rather than as one buffer of many megabytes.

const COMMA = Buffer.from(',');

/** `open` + the items comma-separated + `close`, as chunks of about `per` items. */
export function jsonList(items: Buffer[], open: string, close: string, per = 2000): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < items.length; i += per) {
    const parts: Buffer[] = [Buffer.from(i === 0 ? open : ',')];
    const end = Math.min(items.length, i + per);
    for (let k = i; k < end; k++) {
      if (k > i) parts.push(COMMA);
      parts.push(items[k]!);
    }
    if (end === items.length) parts.push(Buffer.from(close));
    out.push(Buffer.concat(parts));
  }
  if (!out.length) out.push(Buffer.from(open + close));
  return out;
}
