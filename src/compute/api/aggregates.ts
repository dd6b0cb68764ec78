// /os-aggregates: host aggregates — list, show, create, update (name, zone), delete, and the
// add_host, remove_host and set_metadata actions, each host change mirrored into Placement
// (nova/api/openstack/compute/aggregates.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { pyRepr } from '../../common/http/pyrepr.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { InvalidAggregateAction, InvalidName, NotFound } from '../exceptions.js';
import { authorize, dispatchAction, novaTime, readBody, validate } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import {
  addAggregateHost,
  aggregateId,
  checkAggregateHost,
  createAggregate,
  deleteAggregate,
  getAggregate,
  listAggregates,
  removeAggregateHost,
  setAggregateMetadata,
  updateAggregate,
  type Aggregate,
} from '../objects/aggregate.js';
import { isValidName, NAME_RULE, printable } from '../objects/text.js';
import { mirrorHostAdded, mirrorHostRemoved } from '../placement_aggregates.js';
import * as schema from '../schemas/aggregate.js';

const POLICY = 'os_compute_api:os-aggregates:';

function view(req: FastifyRequest, a: Aggregate, full = true) {
  return {
    aggregate: {
      availability_zone: a.availability_zone,
      created_at: novaTime(a.created_at),
      deleted: false,
      deleted_at: null,
      ...(full ? { hosts: a.hosts, metadata: a.metadata } : {}),
      id: a.id,
      name: a.name,
      updated_at: a.updated_at === null ? null : novaTime(a.updated_at),
      ...(req.version.gte(MICROVERSION.aggregateUuid) ? { uuid: a.uuid } : {}),
    },
  };
}

/** Nova's az_name format: printable but ':', nothing blank at either end; in a oneOf with null,
 * so a failure is worded as the oneOf's. */
function checkZone(zone: string | null | undefined): void {
  if (zone === null || zone === undefined) return;
  const chars = [...zone];
  const ok =
    chars.length >= 1 &&
    chars.length <= 255 &&
    chars.every((ch) => ch.length === 1 && printable(ch) && ch !== ':') &&
    !/^\s|\s$/u.test(zone);
  if (!ok) {
    throw badRequest(
      `Invalid input for field/attribute availability_zone. Value: ${zone}. ${pyRepr(zone)} is not valid ` +
        'under any of the given schemas',
    );
  }
}

const idOf = (req: FastifyRequest) => aggregateId(param(req, 'id'));

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}index`, {});
  const all = await listAggregates(compute.db);
  return sendJson(reply, 200, { aggregates: all.map((a) => view(req, a).aggregate) });
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { aggregate: body } = readBody(req, schema.create);
  if (!isValidName(body.name)) throw new InvalidName(NAME_RULE);
  checkZone(body.availability_zone);
  authorize(compute, req, `${POLICY}create`, {});
  const agg = await createAggregate(compute.db, body.name.trim(), body.availability_zone?.trim() || null);
  return sendJson(reply, 200, view(req, agg, false));
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}show`, {});
  return sendJson(reply, 200, view(req, await getAggregate(compute.db, idOf(req))));
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { aggregate: body } = readBody(req, schema.update);
  if (body.name === undefined && body.availability_zone === undefined) {
    throw badRequest(
      `Invalid input for field/attribute aggregate. Value: ${pyRepr(body)}. ${pyRepr(body)} is not valid under any ` +
        'of the given schemas',
    );
  }
  if (body.name !== undefined && !body.name.trim()) {
    throw new InvalidName('printable characters with at least one non space character');
  }
  if (body.name !== undefined && !isValidName(body.name.trim())) throw new InvalidName(NAME_RULE);
  checkZone(body.availability_zone);
  authorize(compute, req, `${POLICY}update`, {});
  const agg = await updateAggregate(compute.db, idOf(req), {
    ...(body.name !== undefined ? { name: body.name.trim() } : {}),
    ...(body.availability_zone !== undefined ? { availability_zone: body.availability_zone } : {}),
  });
  compute.hostStateCache?.forget();
  return sendJson(reply, 200, view(req, agg));
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}delete`, {});
  await deleteAggregate(compute.db, idOf(req));
  compute.hostStateCache?.forget();
  return sendEmpty(reply, 200);
}

async function addHost(compute: Compute, req: FastifyRequest, body: unknown) {
  const { host } = validate(schema.addHost, body).add_host;
  authorize(compute, req, `${POLICY}add_host`, {});
  const id = idOf(req);
  let agg: Aggregate;
  try {
    agg = await addAggregateHost(compute.db, id, host);
  } catch (e) {
    // A zone conflict is a 409 here (a 400 elsewhere).
    if (e instanceof InvalidAggregateAction) throw conflict(e.message);
    throw e;
  }
  await mirrorHostAdded(compute, req, agg.uuid, host);
  return view(req, agg);
}

async function removeHost(compute: Compute, req: FastifyRequest, body: unknown) {
  const { host } = validate(schema.removeHost, body).remove_host;
  authorize(compute, req, `${POLICY}remove_host`, {});
  const id = idOf(req);
  const cannot = `Cannot remove host ${host} in aggregate ${id}`;
  try {
    const agg = await checkAggregateHost(compute.db, id, host);
    await mirrorHostRemoved(compute, req, agg.uuid, host, cannot);
    return view(req, await removeAggregateHost(compute.db, id, host));
  } catch (e) {
    if (e instanceof NotFound) {
      compute.log.error({ host, aggregate: id, err: e.message }, 'Failed to remove host from aggregate');
      throw notFound(cannot);
    }
    throw e;
  }
}

async function setMetadata(compute: Compute, req: FastifyRequest, body: unknown) {
  const { metadata } = validate(schema.setMetadata, body).set_metadata;
  authorize(compute, req, `${POLICY}set_metadata`, {});
  return view(req, await setAggregateMetadata(compute.db, idOf(req), metadata));
}

async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const result = await dispatchAction(req, {
    add_host: (body) => addHost(compute, req, body),
    remove_host: (body) => removeHost(compute, req, body),
    set_metadata: (body) => setMetadata(compute, req, body),
  });
  // The hosts' zones and aggregates changed: the scheduler's shared host states are stale.
  compute.hostStateCache?.forget();
  return sendJson(reply, 200, result);
}

export function aggregateRoutes(compute: Compute): RouteTable {
  return {
    '/os-aggregates': {
      GET: (req, reply) => index(compute, req, reply),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/os-aggregates/:id': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
    '/os-aggregates/:id/action': { POST: (req, reply) => action(compute, req, reply) },
  };
}
