// GET / : version discovery (public, no token needed).
import type { RouteTable } from '../../common/http/app.js';
import type { Placement } from '../context.js';
import { PLACEMENT_MICROVERSIONS } from '../microversions.js';
import { checkAccept } from '../http.js';
import { sendJson } from '../../common/http/reply.js';

export function rootRoutes(_p: Placement): RouteTable {
  return {
    '/': {
      GET: async (req, reply) => {
        checkAccept(req);
        const version = {
          id: 'v1.0',
          max_version: PLACEMENT_MICROVERSIONS.max.toString(),
          min_version: PLACEMENT_MICROVERSIONS.min.toString(),
          status: 'CURRENT',
          links: [{ rel: 'self', href: '' }],
        };
        if (req.version.gte('1.15'))
          reply.header('cache-control', 'no-cache').header('last-modified', new Date().toUTCString());
        return sendJson(reply, 200, { versions: [version] });
      },
    },
  };
}
