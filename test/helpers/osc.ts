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

/** `server create` of a vm-tiny from the cloud's CirrOS image without a network (no Neutron yet),
 * with more options before the name. */
export function serverCreate(name: string, ...options: string[]): string[] {
  return [
    'server',
    'create',
    '--flavor',
    'vm-tiny',
    '--image',
    'cirros-0.6.2-x86_64-disk',
    '--nic',
    'none',
    ...options,
    name,
  ];
}
