// A policy.yaml with every rule's default commented out, as oslopolicy-sample-generator writes it,
// for the docs and for operators to start from. Overrides in force appear uncommented.
import type { PolicyRule } from './rule.js';

const quote = (s: string) => JSON.stringify(s);

export function renderSamplePolicy(
  rules: readonly PolicyRule[],
  overrides: Readonly<Record<string, string>> = {},
): string {
  const out: string[] = [];
  for (const r of rules) {
    for (const line of r.description.split('\n')) out.push(`# ${line}`.trimEnd());
    for (const op of r.operations ?? []) out.push(`# ${op.method}  ${op.path}`);
    if (r.scopeTypes?.length) out.push(`# Intended scope(s): ${r.scopeTypes.join(', ')}`);
    const entry = `${quote(r.name)}: ${quote(r.checkStr)}`;
    out.push(Object.hasOwn(overrides, r.name) ? `${quote(r.name)}: ${quote(overrides[r.name]!)}` : `#${entry}`);
    if (r.deprecatedRule) {
      const d = r.deprecatedRule;
      out.push(
        `# DEPRECATED`,
        `# ${quote(d.name)}:${quote(d.checkStr)} has been deprecated in favor of`,
        `# ${entry}.`,
        `# Until [oslo_policy] enforce_new_defaults is set, either one allows.`,
      );
    }
    out.push('');
  }
  const extra = Object.keys(overrides).filter((n) => !rules.some((r) => r.name === n));
  for (const n of extra) out.push(`${quote(n)}: ${quote(overrides[n]!)}`);
  return `${out.join('\n').trimEnd()}\n`;
}
