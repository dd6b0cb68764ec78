// Reading concord.conf: values the INI parser gives that no option takes are refused by name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (text: string) => {
    const file = join(dir, 'concord.conf');
    writeFileSync(file, text);
    return loadConfig(file, {});
  };

  it('reads single values, booleans included', () => {
    const c = load('[api]\nauth_strategy = noauth2\n[placement]\nrandomize_allocation_candidates = true\n');
    expect(c.authStrategy).toBe('noauth2');
    expect(c.randomizeAllocationCandidates).toBe(true);
  });

  it('refuses a list or a section where an option wants one value', () => {
    expect(() => load('[api]\nauth_strategy[] = noauth2\n')).toThrow('[api] auth_strategy: not a single value');
    expect(() => load('[api]\n[api.auth_strategy]\nx = 1\n')).toThrow('[api] auth_strategy: not a single value');
  });
});
