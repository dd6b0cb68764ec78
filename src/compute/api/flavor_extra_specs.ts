// /flavors/{flavor_id}/os-extra_specs[/{key}]: list, show, set (several, or one) and delete a
// flavor's extra specs, validated as Nova validates them from 2.86
// (nova/api/openstack/compute/flavors_extraspecs.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { pyRepr } from '../../common/http/pyrepr.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { FlavorExtraSpecsNotFound } from '../exceptions.js';
import { EXTRA_SPEC_VALIDATORS } from '../extra_specs/index.js';
import { authorize, readBody } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { getFlavor } from '../objects/flavor.js';
import { deleteExtraSpec, setExtraSpecs } from '../objects/flavor_extra_specs.js';
import * as schema from '../schemas/flavor_extra_specs.js';
import { viewerOf } from './flavors.js';

const POLICY = 'os_compute_api:os-flavor-extra-specs:';

/** The specs as stored (numbers as Python writes them), checked as Nova's _check_extra_specs_value:
 * a number's text at most 255 characters, and from 2.86 every spec valid. */
function checkedSpecs(req: FastifyRequest, specs: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(specs)) {
    const value = typeof raw === 'number' ? pyRepr(raw) : raw;
    if (typeof raw === 'number' && value.length > 255) {
      throw badRequest(`extra_specs value has ${value.length} characters, more than 255.`);
    }
    if (req.version.gte(MICROVERSION.extraSpecValidation)) EXTRA_SPEC_VALIDATORS.validate(key, value);
    out[key] = value;
  }
  return out;
}

async function flavorOf(compute: Compute, req: FastifyRequest) {
  return getFlavor(compute.db, param(req, 'flavor_id'), viewerOf(req));
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}index`, { project_id: req.ctx.projectId });
  const flavor = await flavorOf(compute, req);
  return sendJson(reply, 200, { extra_specs: flavor.extra_specs });
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, schema.create);
  authorize(compute, req, `${POLICY}create`, {});
  const specs = checkedSpecs(req, body.extra_specs);
  await setExtraSpecs(compute.db, await flavorOf(compute, req), specs);
  return sendJson(reply, 200, body);
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}show`, { project_id: req.ctx.projectId });
  const flavor = await flavorOf(compute, req);
  const key = param(req, 'key');
  if (!Object.hasOwn(flavor.extra_specs, key)) throw new FlavorExtraSpecsNotFound(flavor.flavorid, key);
  return sendJson(reply, 200, { [key]: flavor.extra_specs[key] });
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, schema.update);
  authorize(compute, req, `${POLICY}update`, {});
  const specs = checkedSpecs(req, body);
  if (!Object.hasOwn(body, param(req, 'key'))) throw badRequest('Request body and URI mismatch');
  await setExtraSpecs(compute.db, await flavorOf(compute, req), specs);
  return sendJson(reply, 200, body);
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}delete`, {});
  await deleteExtraSpec(compute.db, await flavorOf(compute, req), param(req, 'key'));
  return sendEmpty(reply, 200);
}

export function flavorExtraSpecRoutes(compute: Compute): RouteTable {
  return {
    '/flavors/:flavor_id/os-extra_specs': {
      GET: (req, reply) => index(compute, req, reply),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/flavors/:flavor_id/os-extra_specs/:key': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
