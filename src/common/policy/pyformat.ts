// oslo.policy compares strings the way Python renders them: targets are substituted with
// `check % target` and credential values compared as `str(value)`. Matching that rendering is what
// makes `is_admin:True` or a None project id behave as they do upstream.

/** Python's str() of a JSON-like value. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only bigint, symbol and function are left, never in JSON
  return String(v);
}

function pyRepr(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : pyStr(v);
}

/** `template % mapping` for the `%(key)s` form; null when a key is missing (Python's KeyError). */
export function substitute(template: string, mapping: Readonly<Record<string, unknown>>): string | null {
  if (!template.includes('%')) return template;
  let missing = false;
  const out = template.replace(/%%|%\(([^)]*)\)s/g, (_match, key: string | undefined) => {
    if (key === undefined) return '%';
    const v = Object.hasOwn(mapping, key) ? mapping[key] : undefined;
    if (v === undefined) {
      missing = true;
      return '';
    }
    return pyStr(v);
  });
  return missing ? null : out;
}

/** str() of `text` read as a Python literal (the forms of ast.literal_eval that appear in check
 * strings), or undefined when it is not a literal: then it names a credential. */
export function pyLiteralStr(text: string): string | undefined {
  if (text === 'True' || text === 'False' || text === 'None') return text;
  if (/^[-+]?\d+$/.test(text)) return String(BigInt(text));
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    const f = Number.parseFloat(text);
    // Python keeps the point on integral floats: str(1.0) == '1.0'.
    return Number.isInteger(f) && Math.abs(f) < 1e16 ? f.toFixed(1) : String(f);
  }
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  return quoted ? quoted[2] : undefined;
}
