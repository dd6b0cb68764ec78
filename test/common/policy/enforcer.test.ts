import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/common/http/context.js';
import { HttpError } from '../../../src/common/http/errors.js';
import {
  createEnforcer,
  PolicyEnforcer,
  renderSamplePolicy,
  type PolicyRule,
} from '../../../src/common/policy/index.js';

const project = (roles: string[], projectId = 'p1'): RequestContext => ({
  userId: 'u1',
  projectId,
  systemScope: null,
  roles,
});
const system = (roles: string[]): RequestContext => ({ userId: 'u1', projectId: null, systemScope: 'all', roles });
const domain = (roles: string[]): RequestContext => ({
  userId: 'u1',
  projectId: null,
  domainId: 'd1',
  systemScope: null,
  roles,
});

const RULES: PolicyRule[] = [
  { name: 'admin_api', checkStr: 'role:admin', description: 'Administrators.', scopeTypes: ['system'] },
  {
    name: 'system_reader_api',
    checkStr: 'role:reader and system_scope:all',
    description: 'System readers.',
    deprecatedRule: { name: 'rule:admin_api', checkStr: 'role:admin' },
  },
  {
    name: 'project_reader_api',
    checkStr: 'role:reader and project_id:%(project_id)s',
    description: 'Project readers.',
    deprecatedRule: { name: 'rule:admin_api', checkStr: 'role:admin' },
  },
  {
    name: 'thing:list',
    checkStr: 'rule:system_reader_api',
    description: 'List things.',
    scopeTypes: ['system'],
    operations: [{ method: 'GET', path: '/things' }],
  },
  {
    name: 'thing:usage',
    checkStr: 'rule:system_reader_api or rule:project_reader_api',
    description: 'Usage.',
    scopeTypes: ['system', 'project'],
  },
  {
    name: 'thing:rename',
    checkStr: 'role:member',
    description: 'Rename a thing.',
    deprecatedRule: { name: 'thing:update', checkStr: 'role:admin' },
  },
  { name: 'thing:any', checkStr: '', description: 'Anyone.' },
];

describe('deprecated defaults', () => {
  it('allow the deprecated check too until enforce_new_defaults', () => {
    const legacy = new PolicyEnforcer({ rules: RULES });
    expect(legacy.allowed(project(['admin']), 'thing:list')).toBe(true);
    expect(legacy.allowed(system(['reader']), 'thing:list')).toBe(true);
    expect(legacy.allowed(project(['reader']), 'thing:list')).toBe(false);
    expect(legacy.effectiveCheck('system_reader_api')).toBe('(role:reader and system_scope:all) or (role:admin)');

    const fresh = new PolicyEnforcer({ rules: RULES, enforceNewDefaults: true });
    expect(fresh.allowed(project(['admin']), 'thing:list')).toBe(false);
    expect(fresh.allowed(system(['reader']), 'thing:list')).toBe(true);
    expect(fresh.effectiveCheck('system_reader_api')).toBe('role:reader and system_scope:all');
  });

  it("are not OR'd into a rule the operator overrides", () => {
    const e = new PolicyEnforcer({ rules: RULES, overrides: { system_reader_api: 'role:auditor' } });
    expect(e.allowed(project(['admin']), 'thing:list')).toBe(false);
    expect(e.allowed(project(['auditor']), 'thing:list')).toBe(true);
  });

  it('keep an override made under the deprecated name, unless it points at the new rule', () => {
    const old = new PolicyEnforcer({
      rules: RULES,
      overrides: { 'thing:update': 'role:editor' },
      enforceNewDefaults: true,
    });
    expect(old.allowed(project(['editor']), 'thing:rename')).toBe(true);
    expect(old.allowed(project(['member']), 'thing:rename')).toBe(false);
    const alias = new PolicyEnforcer({ rules: RULES, overrides: { 'thing:update': 'rule:thing:rename' } });
    expect(alias.allowed(project(['member']), 'thing:rename')).toBe(true);
    expect(alias.allowed(project(['editor']), 'thing:rename')).toBe(false);
  });
});

describe('scope types', () => {
  it('refuse a token of another scope only with enforce_scope', () => {
    const loose = new PolicyEnforcer({ rules: RULES });
    const strict = new PolicyEnforcer({ rules: RULES, enforceScope: true });
    const everyone = project(['admin', 'reader']);
    expect(loose.allowed(everyone, 'thing:list')).toBe(true);
    expect(strict.allowed(everyone, 'thing:list')).toBe(false);
    expect(strict.allowed(system(['reader']), 'thing:list')).toBe(true);
    expect(strict.allowed(domain(['admin', 'reader']), 'thing:usage')).toBe(false);
    expect(strict.allowed(project(['reader']), 'thing:usage', { project_id: 'p1' })).toBe(true);
  });

  it('are only those of the rule asked about, not of the rules it refers to', () => {
    // admin_api is system-only, yet reaching it through the deprecated check of a rule without
    // scope types still works for a project admin.
    const strict = new PolicyEnforcer({ rules: RULES, enforceScope: true });
    expect(strict.allowed(project(['admin']), 'project_reader_api', { project_id: 'other' })).toBe(true);
    expect(strict.allowed(project(['admin']), 'admin_api')).toBe(false);
  });

  it('answer 403 with the rule name', () => {
    const strict = new PolicyEnforcer({ rules: RULES, enforceScope: true });
    let err: unknown;
    try {
      strict.enforce(project(['admin']), 'thing:list');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(403);
    expect((err as HttpError).message).toBe('Policy does not allow thing:list to be performed.');
    expect(() => strict.enforce(system(['reader']), 'thing:list')).not.toThrow();
  });
});

describe('enforcer', () => {
  it('treats an unregistered rule as a bug, not as a refusal', () => {
    const e = new PolicyEnforcer({ rules: RULES });
    expect(() => e.allowed(system(['admin']), 'thing:nope')).toThrow(/not registered/);
  });

  it('uses the default target when the caller gives none', () => {
    const e = new PolicyEnforcer({
      rules: RULES,
      enforceNewDefaults: true,
      defaultTarget: (c) => ({ project_id: c.projectId }),
    });
    expect(e.allowed(project(['reader']), 'thing:usage')).toBe(true);
    expect(e.allowed(project(['reader']), 'thing:usage', { project_id: 'p2' })).toBe(false);
    const noDefault = new PolicyEnforcer({ rules: RULES, enforceNewDefaults: true });
    expect(noDefault.allowed(project(['reader']), 'thing:usage')).toBe(false);
  });

  it('denies through a dangling or circular reference and says so', () => {
    const e = new PolicyEnforcer({
      rules: RULES,
      overrides: { 'thing:list': 'rule:missing or rule:loop_a', loop_a: 'rule:loop_b', loop_b: 'rule:loop_a' },
    });
    expect(e.allowed(system(['admin', 'reader']), 'thing:list')).toBe(false);
    expect(e.problems.join('\n')).toMatch(/thing:list refers to rule:missing, which is not defined/);
    expect(e.problems.join('\n')).toMatch(/loop_a -> loop_b -> loop_a refer to each other/);
  });

  it('opens every rule but the exempted ones in open mode, ignoring overrides', () => {
    const e = new PolicyEnforcer({
      rules: RULES,
      open: { except: ['admin_api'] },
      enforceNewDefaults: true,
      overrides: { 'thing:list': '!' },
    });
    const nobody = project([]);
    expect(e.allowed(nobody, 'thing:list')).toBe(true);
    expect(e.allowed(nobody, 'thing:rename')).toBe(true);
    expect(e.allowed(nobody, 'admin_api')).toBe(false);
    expect(e.allowed(project(['admin']), 'admin_api')).toBe(true);
  });
});

describe('policy file', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });
  const config = (policyFile: string) => ({ policyFile, enforceScope: false, enforceNewDefaults: true });
  const write = (name: string, text: string) => {
    dir ||= mkdtempSync(join(tmpdir(), 'concord-policy-'));
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('overrides rules by name, from YAML relative to the config directory', () => {
    write('policy.yaml', '# ops\n"thing:list": "role:auditor"\nthing:any: "!"\n');
    const e = createEnforcer({ rules: RULES, config: config('policy.yaml'), configDir: dir });
    expect(e.allowed(project(['auditor']), 'thing:list')).toBe(true);
    expect(e.allowed(system(['reader']), 'thing:list')).toBe(false);
    expect(e.allowed(system(['admin']), 'thing:any')).toBe(false);
    expect(e.allowed(project(['member']), 'thing:rename')).toBe(true);
  });

  it('reads JSON and the legacy list form, from an absolute path', () => {
    const path = write('policy.json', JSON.stringify({ 'thing:list': [['role:a', 'role:b'], ['role:c']] }));
    const e = createEnforcer({ rules: RULES, config: config(path), configDir: '/nonexistent' });
    expect(e.allowed(project(['a', 'b']), 'thing:list')).toBe(true);
    expect(e.allowed(project(['a']), 'thing:list')).toBe(false);
    expect(e.allowed(project(['c']), 'thing:list')).toBe(true);
  });

  it('falls back to the defaults when there is no file', () => {
    const e = createEnforcer({ rules: RULES, config: config('policy.yaml'), configDir: '/nonexistent' });
    expect(e.allowed(system(['reader']), 'thing:list')).toBe(true);
    expect(e.problems).toEqual([]);
  });

  it('reports an override that does not parse at load time, and denies it', () => {
    const path = write('policy.yaml', '"thing:any": "role:a or"\n');
    const warnings: string[] = [];
    const e = createEnforcer({
      rules: RULES,
      config: config(path),
      configDir: dir,
      log: { warn: (m) => warnings.push(m) },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toMatch(/thing:any .*denies everyone.*"role:a or": unexpected end of rule/);
    expect(e.allowed(project(['a']), 'thing:any')).toBe(false);
    expect(e.effectiveCheck('thing:any')).toBe('!');
  });

  it('refuses to start from a file that is not a mapping of check strings', () => {
    const bad = write('bad.yaml', '"thing:list": [role:a\n');
    expect(() => createEnforcer({ rules: RULES, config: config(bad), configDir: dir })).toThrow(bad);
    const notMap = write('list.yaml', '- role:a\n');
    expect(() => createEnforcer({ rules: RULES, config: config(notMap), configDir: dir })).toThrow(/mapping/);
    const num = write('num.yaml', 'thing:list: 3\n');
    expect(() => createEnforcer({ rules: RULES, config: config(num), configDir: dir })).toThrow(
      /thing:list: expected a check string/,
    );
  });
});

describe('sample policy', () => {
  it('comments out the defaults and shows the overrides in force', () => {
    const text = renderSamplePolicy(RULES, { 'thing:list': 'role:auditor', helper: 'role:x' });
    expect(text).toContain(
      '# List things.\n# GET  /things\n# Intended scope(s): system\n"thing:list": "role:auditor"\n',
    );
    expect(text).toContain('#"thing:rename": "role:member"\n# DEPRECATED\n# "thing:update":"role:admin"');
    expect(text).toContain('#"thing:any": ""\n');
    expect(text.trimEnd().endsWith('"helper": "role:x"')).toBe(true);
  });
});
