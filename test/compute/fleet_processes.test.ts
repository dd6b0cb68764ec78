// [compute] fake_hypervisor_processes: `concord up` runs its simulated hosts in `concord agent
// compute --fleet FIRST-LAST` processes of its own (SQLite, the embedded default): servers boot
// on the hosts of every process; a process killed with SIGKILL is started again and its hosts
// take builds again; none outlives the cloud. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetShares } from '../../src/cli/fleet.js';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { CRASH_ENV, until } from '../helpers/jobs.js';
import { bootMany, readyToBoot, settle } from '../helpers/fleet.js';

/** The fleet processes of `pid`: their --fleet ranges, by pid. */
function fleetChildren(pid: number): Map<number, string> {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return new Map(); // pgrep exits 1 when there is none
  }
  const children = new Map<number, string>();
  for (const child of out.split('\n').filter(Boolean).map(Number)) {
    try {
      const args = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('--fleet');
      if (i >= 0) children.set(child, args[i + 1]!);
    } catch {
      /* ended meanwhile */
    }
  }
  return children;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('fleetShares', () => {
  it('splits the hosts into consecutive shares as even as can be, never an empty one', () => {
    expect(fleetShares(1000, 3)).toEqual([
      { first: 1, last: 334 },
      { first: 335, last: 667 },
      { first: 668, last: 1000 },
    ]);
    expect(fleetShares(2, 5)).toEqual([
      { first: 1, last: 1 },
      { first: 2, last: 2 },
    ]);
    expect(fleetShares(4, 1)).toEqual([{ first: 1, last: 4 }]);
  });
});

describe('concord up: fake hypervisors in processes of their own (SQLite)', () => {
  let cloud: Cloud | undefined;
  afterAll(() => {
    cloud?.cleanup();
  });

  it('boots on the hosts of every process; a killed process comes back; none outlives the cloud', async () => {
    cloud = await startCloud({
      env: {
        ...CRASH_ENV,
        CONCORD_LOG_LEVEL: 'warn',
        CONCORD_COMPUTE__FAKE_HYPERVISORS: '3',
        CONCORD_COMPUTE__FAKE_HYPERVISOR_PROCESSES: '2',
        CONCORD_QUOTA__INSTANCES: '-1',
        CONCORD_QUOTA__CORES: '-1',
        CONCORD_QUOTA__RAM: '-1',
      },
    });
    const { admin, image } = await readyToBoot(cloud, 3);
    const first = fleetChildren(cloud.pid);
    expect([...first.values()].sort()).toEqual(['1-2', '3-3']);

    // Spread (Nova's default weighing): six servers take all three hosts, both processes'.
    const ids = await bootMany([admin], 6, 6, 'vm-tiny', image);
    const servers = await settle(admin, ids, 30000);
    expect(servers.map((s) => s.status)).toEqual(Array(6).fill('ACTIVE'));
    expect(new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:hypervisor_hostname']))).toEqual(
      new Set(['compute1', 'compute2', 'compute3']),
    );

    // The process of compute3 dies; another takes its place and builds there.
    const [killed] = [...first].find(([, range]) => range === '3-3')!;
    process.kill(killed, 'SIGKILL');
    await until('the fleet process of compute3 started again', () =>
      [...fleetChildren(cloud!.pid)].some(([pid, range]) => range === '3-3' && pid !== killed),
    );
    const again = await admin.ok('POST', '/servers', {
      server: {
        name: 'after-restart',
        imageRef: image,
        flavorRef: 'vm-tiny',
        networks: 'none',
        availability_zone: 'nova:compute3',
      },
    });
    const [rebuilt] = await settle(admin, [again.server.id as string], 30000);
    expect(rebuilt!.status).toBe('ACTIVE');
    expect(rebuilt!['OS-EXT-SRV-ATTR:hypervisor_hostname']).toBe('compute3');

    const last = [...fleetChildren(cloud.pid).keys()];
    expect(await cloud.stop()).toBe(0);
    expect(last.filter(alive)).toEqual([]);
  }, 120000);
});
