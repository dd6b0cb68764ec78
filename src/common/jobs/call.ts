// A call: a job whose enqueuer waits for its answer, as Nova's RPC calls wait (a compute host
// asked for a guest's console output) where most host work is a cast (a job nobody waits on).
// Concord's hosts listen on no socket of their own: they take their work from the jobs table, so a
// call is a job aimed at the host, with one attempt (an answer after the caller gave up is no use),
// whose row the caller reads until it ends. Polling, rather than a notification, works the same on
// both engines and across processes, and costs one primary-key read per poll. Once the caller has
// its answer, or gives up, the row is deleted: an answer (a console log may hold what its guest
// printed) is kept no longer than the call, and a host that comes back late finds nothing to do.
import type { JobSpec, JobQueue } from './queue.js';
import { sleep } from './timing.js';

/** The first wait between two reads of the job; doubled after each, up to MAX_POLL_MS. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/** The host did not answer within the call's timeout (its agent down, stalled or busy). */
export class JobCallTimeout extends Error {
  override name = 'JobCallTimeout';
}

/** How a call ended: its handler's result, or the first line of its error. */
export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Enqueues `spec` (at once, in no transaction of the caller's) and waits up to `timeoutMs` for a
 * worker to run it; throws JobCallTimeout when none has by then. */
export async function callJob(
  queue: JobQueue,
  spec: Omit<JobSpec, 'maxAttempts' | 'dedupeKey' | 'delaySeconds'>,
  timeoutMs: number,
): Promise<CallOutcome> {
  const deadline = Date.now() + timeoutMs;
  const { id } = await queue.enqueue(queue.database, { ...spec, maxAttempts: 1 });
  try {
    for (let wait = FIRST_POLL_MS; ; wait = Math.min(wait * 2, MAX_POLL_MS)) {
      const row = await queue.get(id);
      if (!row) return { ok: false, error: 'the job was deleted before it ended' };
      if (row.state === 'succeeded') {
        return { ok: true, result: row.result === null ? null : (JSON.parse(row.result) as unknown) };
      }
      if (row.state === 'failed') return { ok: false, error: row.last_error ?? '' };
      const left = deadline - Date.now();
      if (left <= 0) throw new JobCallTimeout(`no answer to ${spec.kind} within ${timeoutMs / 1000} seconds`);
      await sleep(Math.min(wait, left));
    }
  } finally {
    await queue.remove(id);
  }
}
