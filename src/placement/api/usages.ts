// /resource_providers/{uuid}/usages and /usages (since 1.9).
import type { RouteTable } from '../../common/http/app.js';
import type { Placement } from '../context.js';
import { authorize, cacheHeaders, checkAccept, lastValues, readQuery, requireVersion, or404 } from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import { getProvider } from '../objects/resource_provider.js';
import { projectUsages, projectUsagesByType, providerUsages } from '../objects/usage.js';
import * as schema from '../schemas/usage.js';

export function usageRoutes(p: Placement): RouteTable {
  return {
    '/resource_providers/:uuid/usages': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, 'placement:resource_providers:usages');
        const uuid = param(req, 'uuid');
        const rp = await or404(getProvider(p.db, uuid), (m) => `No resource provider with uuid ${uuid} found: ${m}`);
        const usages = await providerUsages(p.db, rp);
        cacheHeaders(req, reply, null);
        return sendJson(reply, 200, {
          resource_provider_generation: rp.generation,
          usages: Object.fromEntries(usages),
        });
      },
    },
    '/usages': {
      GET: async (req, reply) => {
        requireVersion(req, '1.9');
        checkAccept(req);
        const raw = lastValues(req);
        authorize(p, req, 'placement:usages', { project_id: raw.project_id ?? null });
        const byType = req.version.gte('1.38');
        const q = readQuery(req, byType ? schema.GET_USAGES_1_38 : schema.GET_USAGES_1_9);
        const usages = byType
          ? await projectUsagesByType(p.db, q.project_id!, q.user_id, q.consumer_type)
          : Object.fromEntries(await projectUsages(p.db, q.project_id!, q.user_id));
        cacheHeaders(req, reply, null);
        return sendJson(reply, 200, { usages });
      },
    },
  };
}
