// Which text Nova accepts in names and descriptions: "printable" characters of the Basic
// Multilingual Plane (nova/api/validation/parameter_types.py, which knows no character beyond
// U+FFFF), names neither starting nor ending with a space.

/** Not a control, format, surrogate or private-use character (category C*), and no separator but
 * a plain space (Zs): Nova's _is_printable. */
export function printable(ch: string): boolean {
  return !/\p{C}/u.test(ch) && (!/\p{Z}/u.test(ch) || /\p{Zs}/u.test(ch));
}

/** A regex character class (for a pattern without the u flag) of the BMP characters `valid`
 * accepts, as Nova's _build_regex_range builds its patterns. */
export function characterClass(valid: (ch: string) => boolean): string {
  const esc = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
  let out = '';
  let start = -1;
  for (let c = 0; c <= 0xffff; c++) {
    const ok = c < 0xffff && valid(String.fromCharCode(c));
    if (ok && start < 0) start = c;
    if (!ok && start >= 0) {
      out += start === c - 1 ? esc(start) : `${esc(start)}-${esc(c - 1)}`;
      start = -1;
    }
  }
  return out;
}

/** Nova's 'name' format. */
export function isValidName(name: string): boolean {
  const chars = [...name];
  if (chars.some((ch) => ch.length > 1 || !printable(ch))) return false;
  const edge = (ch: string | undefined) => ch !== undefined && !/\p{Zs}/u.test(ch);
  return chars.length === 0 || (edge(chars[0]) && edge(chars[chars.length - 1]));
}

/** What InvalidName says a name must be. */
export const NAME_RULE = 'printable characters. Can not start or end with whitespace.';
