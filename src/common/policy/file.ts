// The operator's policy file: rule name → check string, in YAML or JSON (JSON is YAML).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface PolicyFile {
  path: string;
  rules: Record<string, string>;
}

/** Where [oslo_policy] policy_file points: absolute, or relative to the configuration directory. */
export function policyFilePath(policyFile: string, configDir: string): string {
  return isAbsolute(policyFile) ? policyFile : resolve(configDir, policyFile);
}

/** Reads the policy file; null when there is none (the defaults apply). A file that is there but
 * cannot be read as rules is an error: starting with rules other than the operator wrote would
 * open or close the API unexpectedly. */
export function readPolicyFile(path: string): PolicyFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`policy file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || doc === undefined) return { path, rules: {} };
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`policy file ${path}: expected a mapping of rule names to check strings`);
  const rules: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const check = checkString(value);
    if (check === undefined) throw new Error(`policy file ${path}: rule ${name}: expected a check string`);
    rules[name] = check;
  }
  return { path, rules };
}

/** oslo.policy also takes its legacy list form, an OR of ANDs ([["role:a", "role:b"], ["role:c"]]),
 * and an empty value, which allows everyone. */
function checkString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (!Array.isArray(value)) return undefined;
  if (value.length === 0) return '';
  const alternatives: string[] = [];
  for (const alt of value) {
    const all =
      typeof alt === 'string' ? [alt] : Array.isArray(alt) && alt.every((x) => typeof x === 'string') ? alt : undefined;
    if (!all) return undefined;
    if (all.length) alternatives.push(all.length === 1 ? all[0]! : `(${all.join(' and ')})`);
  }
  return alternatives.length ? alternatives.join(' or ') : '!';
}
