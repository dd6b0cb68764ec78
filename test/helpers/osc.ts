// `openstack` commands that must succeed, for the e2e tests: a failure shows the command and the
// CLI's stderr. `c` is a getter, as the tests start their cloud in beforeAll.
import { expect } from 'vitest';
import type { Cloud, RunResult } from './cloud.js';

export function oscCommands(c: () => Cloud, globalArgs: readonly string[] = []) {
  const ok = (args: string[], cloud = 'concord'): RunResult => {
    const r = c().osc([...globalArgs, ...args], cloud);
    expect(r.status, `openstack ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  const json = (args: string[], cloud?: string): any => ok([...args, '-f', 'json'], cloud).json;
  return { ok, json };
}
