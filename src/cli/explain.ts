// `concord explain server ID`: prints what the compute database knows of why a server is where it
// is (src/compute/explain.ts), for an operator on a host that can reach the database.
import { openDatabase } from '../common/db/index.js';
import type { ComputeDB } from '../compute/db/schema.js';
import { computeDatabaseUrl } from '../compute/index.js';
import { explainServer } from '../compute/explain.js';
import { resolveRuntime } from './runtime.js';

export interface ExplainOptions {
  dataDir: string;
  config?: string;
  databaseUrl?: string;
}

export async function explain(kind: string, id: string, opts: ExplainOptions): Promise<void> {
  if (kind !== 'server') throw new Error(`nothing to explain about a ${kind} (try: concord explain server ID)`);
  const { config, dataDir } = resolveRuntime(
    opts,
    opts.databaseUrl ? { computeDatabaseConnection: opts.databaseUrl } : {},
  );
  const database = openDatabase<ComputeDB>(computeDatabaseUrl(config, dataDir));
  try {
    const text = await explainServer(database.db, id);
    if (text === null) throw new Error(`no server ${id} in the compute database`);
    process.stdout.write(`${text}\n`);
  } finally {
    await database.close();
  }
}
