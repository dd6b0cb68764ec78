// POST /os-server-external-events (nova/api/openstack/compute/server_external_events.py): what
// Neutron, Cinder, Cyborg or an operator tells Nova about servers. Each event is answered for
// itself — 200 accepted, 404 no such server, 422 a server on no host, 400 a tag missing where the
// event needs one — and the whole with 200, or 207 when some failed. Accepted events change
// nothing here: they concern ports, volumes, accelerators and power changes behind the driver's
// back, none of which concord's hosts have yet.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { authorize, readBody } from '../http.js';

const NAMES: [string, string][] = [
  ['2.1', 'network-changed'],
  ['2.1', 'network-vif-plugged'],
  ['2.1', 'network-vif-unplugged'],
  ['2.1', 'network-vif-deleted'],
  ['2.51', 'volume-extended'],
  ['2.76', 'power-update'],
  ['2.82', 'accelerator-request-bound'],
  ['2.93', 'volume-reimaged'],
];
const TAG_REQUIRED = new Set(['volume-extended', 'power-update', 'accelerator-request-bound']);

interface ExternalEvent {
  server_uuid: string;
  name: string;
  status?: string;
  tag?: string;
  code?: number;
}

function schemaFor(req: FastifyRequest): TSchema {
  const names = NAMES.filter(([v]) => req.version.gte(v)).map(([, n]) => n);
  const event = Type.Object(
    {
      server_uuid: Type.String({ format: 'uuid' }),
      name: Type.Unsafe<string>({ type: 'string', enum: names }),
      status: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['failed', 'completed', 'in-progress'] })),
      tag: Type.Optional(Type.String({ maxLength: 255 })),
    },
    { additionalProperties: false },
  );
  return Type.Object({ events: Type.Array(event, { minItems: 1 }) }, { additionalProperties: false });
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { events } = readBody(req, schemaFor(req)) as { events: ExternalEvent[] };
  authorize(compute, req, 'os_compute_api:os-server-external-events:create', {});
  const uuids = [...new Set(events.map((e) => e.server_uuid))];
  const rows = await compute.db
    .selectFrom('instances')
    .select(['uuid', 'host'])
    .where('uuid', 'in', uuids)
    .where('deleted', '=', 0)
    .execute();
  const hosts = new Map(rows.map((r) => [r.uuid, r.host]));
  let status = 200;
  const answered = events.map((e): ExternalEvent => {
    const verdict = !hosts.has(e.server_uuid)
      ? 404
      : TAG_REQUIRED.has(e.name) && e.tag === undefined
        ? 400
        : hosts.get(e.server_uuid)
          ? 200
          : 422;
    if (verdict !== 200) status = 207;
    return { ...e, status: verdict === 200 ? 'completed' : 'failed', code: verdict };
  });
  return sendJson(reply, status, { events: answered });
}

export function serverExternalEventRoutes(compute: Compute): RouteTable {
  return { '/os-server-external-events': { POST: (req, reply) => create(compute, req, reply) } };
}
