// Private flavors' access lists: GET /flavors/{flavor_id}/os-flavor-access and the
// addTenantAccess / removeTenantAccess actions (nova/api/openstack/compute/flavor_access.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { conflict, notFound } from '../errors.js';
import { authorize, dispatchAction, validate } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { getFlavor, type Flavor } from '../objects/flavor.js';
import { addFlavorAccess, flavorProjects, removeFlavorAccess } from '../objects/flavor_access.js';
import * as schema from '../schemas/flavor_access.js';
import { viewerOf } from './flavors.js';
import { verifyProjectId } from './identity.js';

async function accessList(compute: Compute, flavor: Flavor) {
  const projects = await flavorProjects(compute.db, flavor);
  return { flavor_access: projects.map((p) => ({ flavor_id: flavor.flavorid, tenant_id: p })) };
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, 'os_compute_api:os-flavor-access');
  const flavor = await getFlavor(compute.db, param(req, 'flavor_id'), viewerOf(req));
  if (flavor.is_public) throw notFound('Access list not available for public flavors.');
  return sendJson(reply, 200, await accessList(compute, flavor));
}

async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const flavorOf = () => getFlavor(compute.db, param(req, 'flavor_id'), viewerOf(req));
  const result = await dispatchAction(req, {
    addTenantAccess: async (body) => {
      const { tenant } = validate(schema.addTenantAccess, body).addTenantAccess;
      authorize(compute, req, 'os_compute_api:os-flavor-access:add_tenant_access', {});
      await verifyProjectId(compute, req, tenant);
      const flavor = await flavorOf();
      if (req.version.gte(MICROVERSION.publicFlavorAccessConflict) && flavor.is_public) {
        throw conflict('Can not add access to a public flavor.');
      }
      await addFlavorAccess(compute.db, flavor, tenant);
      return accessList(compute, flavor);
    },
    removeTenantAccess: async (body) => {
      const { tenant } = validate(schema.removeTenantAccess, body).removeTenantAccess;
      authorize(compute, req, 'os_compute_api:os-flavor-access:remove_tenant_access', {});
      await verifyProjectId(compute, req, tenant, { missingOk: true });
      const flavor = await flavorOf();
      await removeFlavorAccess(compute.db, flavor, tenant);
      return accessList(compute, flavor);
    },
  });
  return sendJson(reply, 200, result);
}

export function flavorAccessRoutes(compute: Compute): RouteTable {
  return {
    '/flavors/:flavor_id/os-flavor-access': { GET: (req, reply) => index(compute, req, reply) },
    '/flavors/:flavor_id/action': { POST: (req, reply) => action(compute, req, reply) },
  };
}
