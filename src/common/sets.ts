// Set operations the standard library does not have (yet, in Node 20).

/** The elements of both, walking the smaller. */
export function intersect<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<T>();
  for (const x of small) if (big.has(x)) out.add(x);
  return out;
}
