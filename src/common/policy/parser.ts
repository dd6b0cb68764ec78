// The oslo.policy check-string language: `@`, `!`, `KIND:MATCH` checks joined by `not` > `and` >
// `or` (case-insensitive operators) and parentheses. Tokenising follows oslo's: words are split on
// whitespace and parentheses peeled off their ends, so `%(project_id)s` inside a check survives.

export type Check =
  | { type: 'true' }
  | { type: 'false' }
  | { type: 'not'; check: Check }
  | { type: 'and' | 'or'; checks: Check[] }
  | { type: 'rule'; name: string }
  | { type: 'role'; match: string }
  | { type: 'generic'; kind: string; match: string };

export interface Parsed {
  check: Check;
  /** What was wrong with the check string. Any error makes the whole rule deny: oslo.policy denies
   * on a syntax error too, but only the one check for a malformed `KIND:MATCH`, which under `not`
   * or `or` could open a rule up; refusing is the safe reading of a typo. */
  errors: string[];
}

export const ALLOW: Check = { type: 'true' };
export const DENY: Check = { type: 'false' };

type Token = { t: '(' | ')' | 'and' | 'or' | 'not' } | { t: 'check'; text: string } | { t: 'string'; text: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    const body = word.replace(/^\(+/, '');
    for (let i = 0; i < word.length - body.length; i++) out.push({ t: '(' });
    if (!body) continue;
    const core = body.replace(/\)+$/, '');
    const lowered = core.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') out.push({ t: lowered });
    else if (/^(['"]).*\1$/s.test(body)) out.push({ t: 'string', text: body });
    else if (core) out.push({ t: 'check', text: core });
    for (let i = 0; i < body.length - core.length; i++) out.push({ t: ')' });
  }
  return out;
}

function atom(text: string, errors: string[]): Check {
  if (text === '@') return ALLOW;
  if (text === '!') return DENY;
  const colon = text.indexOf(':');
  if (colon < 0) {
    errors.push(`"${text}" is not a check (expected KIND:MATCH, @ or !)`);
    return DENY;
  }
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (kind === 'rule') return { type: 'rule', name: match };
  if (kind === 'role') return { type: 'role', match };
  if (kind === 'http' || kind === 'https') {
    errors.push(`"${text}": external HTTP checks are not supported`);
    return DENY;
  }
  return { type: 'generic', kind, match };
}

class Parser {
  private pos = 0;
  readonly errors: string[] = [];
  constructor(private readonly tokens: Token[]) {}

  parse(): Check {
    const check = this.or();
    const rest = this.tokens[this.pos];
    if (rest) throw new SyntaxError(`unexpected ${describe(rest)}`);
    return check;
  }

  private or(): Check {
    const checks = [this.and()];
    while (this.peek('or')) checks.push(this.and());
    return checks.length === 1 ? checks[0]! : { type: 'or', checks };
  }

  private and(): Check {
    const checks = [this.unary()];
    while (this.peek('and')) checks.push(this.unary());
    return checks.length === 1 ? checks[0]! : { type: 'and', checks };
  }

  private unary(): Check {
    if (this.peek('not')) return { type: 'not', check: this.unary() };
    const tok = this.tokens[this.pos++];
    if (!tok) throw new SyntaxError('unexpected end of rule');
    if (tok.t === '(') {
      const inner = this.or();
      if (!this.peek(')'))
        throw new SyntaxError(this.tokens[this.pos] ? `unexpected ${describe(this.tokens[this.pos]!)}` : 'missing ")"');
      return inner;
    }
    if (tok.t === 'check') return atom(tok.text, this.errors);
    throw new SyntaxError(`unexpected ${describe(tok)}`);
  }

  private peek(t: Token['t']): boolean {
    if (this.tokens[this.pos]?.t !== t) return false;
    this.pos++;
    return true;
  }
}

function describe(tok: Token): string {
  if (tok.t === 'string') return `quoted string ${tok.text} (a check is KIND:MATCH)`;
  return tok.t === 'check' ? `"${tok.text}"` : `"${tok.t}"`;
}

/** Compiles a check string; an empty one allows everyone. */
export function parseCheck(text: string): Parsed {
  if (!text.trim()) return { check: ALLOW, errors: [] };
  const parser = new Parser(tokenize(text));
  try {
    const check = parser.parse();
    return { check: parser.errors.length ? DENY : check, errors: parser.errors };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { check: DENY, errors: [...parser.errors, e.message] };
  }
}

/** The canonical text of a compiled check (oslo's str(check)), used to compare rules. */
export function checkToString(c: Check): string {
  switch (c.type) {
    case 'true':
      return '@';
    case 'false':
      return '!';
    case 'not':
      return `not ${checkToString(c.check)}`;
    case 'and':
    case 'or':
      return `(${c.checks.map(checkToString).join(` ${c.type} `)})`;
    case 'rule':
      return `rule:${c.name}`;
    case 'role':
      return `role:${c.match}`;
    case 'generic':
      return `${c.kind}:${c.match}`;
  }
}

/** The rule names a check refers to. */
export function referencedRules(c: Check): string[] {
  switch (c.type) {
    case 'rule':
      return [c.name];
    case 'not':
      return referencedRules(c.check);
    case 'and':
    case 'or':
      return c.checks.flatMap(referencedRules);
    default:
      return [];
  }
}
