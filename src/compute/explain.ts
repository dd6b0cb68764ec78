// `concord explain server ID`: why a server is where it is, or nowhere — its states, where it
// runs, its latest fault with the scheduler's explanation (what Placement offered for which query,
// which hosts each filter removed and why, which claims were refused), and the events of each
// action done to it. Read from the compute database alone, so that it works with the API down.
import type { Kysely } from 'kysely';
import type { ComputeDB } from './db/schema.js';
import { statusOf } from './objects/instance.js';
import { latestFaults } from './objects/instance_fault.js';

export async function explainServer(db: Kysely<ComputeDB>, uuid: string): Promise<string | null> {
  const i = await db
    .selectFrom('instances')
    .selectAll()
    .where('uuid', '=', uuid)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!i) return null;
  const lines = [
    `Server ${i.uuid} (${i.display_name ?? ''}) of project ${i.project_id}: ${statusOf(i.vm_state, i.task_state)} ` +
      `(vm_state ${i.vm_state}, task_state ${i.task_state ?? 'None'}${i.deleted ? ', deleted' : ''})`,
    `Host: ${i.host ?? '-'}, node: ${i.node ?? '-'}, availability zone: ${i.availability_zone ?? '-'}`,
  ];
  const fault = (await latestFaults(db, [uuid])).get(uuid);
  if (fault) {
    lines.push(
      '',
      `Fault (${fault.created_at}, code ${fault.code}${fault.host ? `, on ${fault.host}` : ''}): ${fault.message}`,
    );
    if (fault.details) lines.push(fault.details);
  }
  const actions = await db
    .selectFrom('instance_actions')
    .selectAll()
    .where('instance_uuid', '=', uuid)
    .orderBy('id')
    .execute();
  for (const a of actions) {
    lines.push(
      '',
      `Action ${a.action} (${a.request_id ?? '-'}) at ${a.start_time ?? '-'}${a.message ? `: ${a.message}` : ''}`,
    );
    const events = await db
      .selectFrom('instance_actions_events')
      .selectAll()
      .where('action_id', '=', a.id)
      .orderBy('id')
      .execute();
    for (const e of events) {
      lines.push(
        `  ${e.event}: ${e.result ?? 'running'}${e.host ? ` on ${e.host}` : ''}${e.details ? ` — ${e.details}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
