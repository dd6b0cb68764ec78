// `concord manage`: the operator's commands, spelled as nova-manage spells them
// (`concord manage placement sync_aggregates`, `concord manage placement audit`). They work on
// the compute database directly and call Placement as nova's service user: [keystone_authtoken]
// when the configuration names one, else the `concord up` whose data directory this is (its
// clouds.yaml says where identity is, its credentials.json the service password).
import { newRequestId } from '../common/http/request_id.js';
import { createLogger } from '../common/log.js';
import { computeEnforcer, createCompute } from '../compute/index.js';
import { auditAllocations } from '../compute/manage/audit.js';
import { syncAggregates } from '../compute/manage/sync_aggregates.js';
import { novaSession } from './auth.js';
import { resolveRuntime } from './runtime.js';

export interface ManageOptions {
  dataDir: string;
  config?: string;
  databaseUrl?: string;
}

/** Runs `work` with the compute service of the configured (or the data dir's) cloud, its
 * clients calling as nova's service user; the command's exit code is what `work` returns. */
async function withCompute(
  opts: ManageOptions,
  work: (compute: Awaited<ReturnType<typeof createCompute>>) => Promise<number>,
): Promise<never> {
  const runtime = resolveRuntime(opts, opts.databaseUrl ? { computeDatabaseConnection: opts.databaseUrl } : {});
  const log = createLogger({ debug: runtime.config.debug, name: 'concord-manage' });
  const { config } = runtime;
  const session = novaSession(config, runtime.dataDir, log);
  if (!session) {
    throw new Error(
      'this command calls Placement as nova: set [keystone_authtoken] auth_url, username and password, ' +
        'or point --data-dir at the data directory of a `concord up` (its clouds.yaml and credentials.json)',
    );
  }
  const compute = await createCompute({
    config,
    dataDir: runtime.dataDir,
    log,
    policy: computeEnforcer({ config, configDir: runtime.configDir, log }),
    session,
  });
  let code: number;
  try {
    code = await work(compute);
  } finally {
    await compute.close();
  }
  process.exit(code);
}

const print = (lines: string[]) => {
  for (const line of lines) process.stdout.write(`${line}\n`);
};

export async function placementSyncAggregates(opts: ManageOptions & { verbose?: boolean }): Promise<never> {
  return withCompute(opts, async (compute) => {
    const result = await syncAggregates(compute, { requestId: newRequestId() });
    if (opts.verbose) print(result.progress);
    print(result.problems);
    return result.code;
  });
}

export async function placementAudit(
  opts: ManageOptions & { verbose?: boolean; delete?: boolean; resource_provider?: string },
): Promise<never> {
  return withCompute(opts, async (compute) => {
    const result = await auditAllocations(
      compute,
      { requestId: newRequestId() },
      {
        delete: Boolean(opts.delete),
        ...(opts.resource_provider ? { resourceProvider: opts.resource_provider } : {}),
      },
    );
    if (opts.verbose) print(result.progress);
    print(result.lines);
    return result.code;
  });
}
