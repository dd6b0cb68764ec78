// GET /allocation_candidates (since 1.10).
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import { requestGroups, requestWide } from '../candidates/request.js';
import { renderCandidates } from '../candidates/response.js';
import { findCandidates } from '../candidates/search.js';
import { ResourceClassNotFound, TraitNotFound } from '../exceptions.js';
import { authorize, byVersion, cacheHeaders, checkAccept, readQuery, requireVersion, sendJsonBody } from '../http.js';
import * as schema from '../schemas/allocation_candidate.js';

const querySchema = (req: FastifyRequest) =>
  byVersion<object>(
    req,
    [
      ['1.36', schema.GET_1_36],
      ['1.35', schema.GET_1_35],
      ['1.33', schema.GET_1_33],
      ['1.31', schema.GET_1_31],
      ['1.25', schema.GET_1_25],
      ['1.21', schema.GET_1_21],
      ['1.17', schema.GET_1_17],
      ['1.16', schema.GET_1_16],
    ],
    schema.GET_1_10,
  );

export function allocationCandidateRoutes(p: Placement): RouteTable {
  return {
    '/allocation_candidates': {
      GET: async (req, reply) => {
        requireVersion(req, '1.10');
        checkAccept(req);
        authorize(p, req, 'placement:allocation_candidates:list');
        readQuery(req, querySchema(req));
        const wide = requestWide(req);
        const groups = requestGroups(req, wide);
        if (!wide.groupPolicy && [...groups.values()].filter((g) => g.useSameProvider).length > 1) {
          throw badRequest(
            'The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.',
          );
        }
        await p.index.sync();
        let result;
        try {
          result = findCandidates(p.index, groups, wide, {
            nestedAware: req.version.gte('1.29'),
            randomize: p.config.randomizeAllocationCandidates,
          });
        } catch (e) {
          if (e instanceof ResourceClassNotFound)
            throw badRequest(`Invalid resource class in resources parameter: ${e.message}`);
          if (e instanceof TraitNotFound) throw badRequest(e.message);
          throw e;
        }
        const requested = new Set([...groups.values()].flatMap((g) => [...g.resources.keys()]));
        cacheHeaders(req, reply, null);
        return sendJsonBody(reply, 200, renderCandidates(p.index, result, req.version, requested));
      },
    },
  };
}
