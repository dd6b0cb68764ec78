// /resource_classes and /resource_classes/{name}.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest, conflict } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import { ResourceClassCannotDeleteStandard, ResourceClassExists, ResourceClassInUse } from '../exceptions.js';
import {
  absoluteUrl,
  authorize,
  checkAccept,
  readJson,
  requireContent,
  requireVersion,
  cacheHeaders,
  latest,
} from '../http.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import { validateSchema } from '../../common/http/json-schema.js';
import * as rc from '../objects/resource_class.js';
import * as schema from '../schemas/resource_class.js';

const POLICY = 'placement:resource_classes:';

function serialize(req: FastifyRequest, r: { name: string }) {
  return { name: r.name, links: [{ rel: 'self', href: `${req.scriptName}/resource_classes/${r.name}` }] };
}

export function resourceClassRoutes(p: Placement): RouteTable {
  const name = (req: FastifyRequest) => (req.params as { name: string }).name;
  return {
    '/resource_classes': {
      GET: async (req, reply) => {
        requireVersion(req, '1.2');
        checkAccept(req);
        authorize(p, req, `${POLICY}list`);
        const all = await rc.listResourceClasses(p.db);
        let lm: string | null = null;
        for (const r of all) lm = latest(lm, r.updated_at ?? (r.id >= rc.MIN_CUSTOM_ID ? r.created_at : null));
        cacheHeaders(req, reply, lm);
        return sendJson(reply, 200, { resource_classes: all.map((r) => serialize(req, r)) });
      },
      POST: async (req, reply) => {
        requireVersion(req, '1.2');
        requireContent(req);
        const body = readJson<{ name: string }>(req, schema.POST_RC_V1_2);
        authorize(p, req, `${POLICY}create`);
        const created = await rc.createResourceClass(p.db, p.engine, body.name).catch((e: unknown) => {
          throw e instanceof ResourceClassExists
            ? conflict(`Conflicting resource class already exists: ${e.rcName}`)
            : e;
        });
        reply.header('location', absoluteUrl(req, `/resource_classes/${created.name}`));
        return sendEmpty(reply, 201);
      },
    },
    '/resource_classes/:name': {
      GET: async (req, reply) => {
        requireVersion(req, '1.2');
        checkAccept(req);
        authorize(p, req, `${POLICY}show`);
        const r = await rc.getResourceClass(p.db, name(req));
        cacheHeaders(req, reply, r.id >= rc.MIN_CUSTOM_ID ? (r.updated_at ?? r.created_at) : null);
        return sendJson(reply, 200, serialize(req, r));
      },
      PUT: async (req, reply) => {
        requireVersion(req, '1.2');
        if (req.version.gte('1.7')) {
          authorize(p, req, `${POLICY}update`);
          const err = validateSchema(schema.PUT_RC_V1_2, { name: name(req) });
          if (err) throw badRequest(`JSON does not validate: ${err}`);
          let status = 204;
          if (!(await rc.findResourceClass(p.db, name(req)))) {
            try {
              await rc.createResourceClass(p.db, p.engine, name(req));
              status = 201;
            } catch (e) {
              // Another request created it meanwhile.
              if (!(e instanceof ResourceClassExists)) throw e;
            }
          }
          reply.header('location', absoluteUrl(req, `/resource_classes/${name(req)}`));
          return sendEmpty(reply, status);
        }
        requireContent(req);
        const body = readJson<{ name: string }>(req, schema.PUT_RC_V1_2);
        authorize(p, req, `${POLICY}update`);
        const existing = await rc.getResourceClass(p.db, name(req));
        if (rc.isStandardClass(existing.name)) throw badRequest(`Cannot update standard resource class ${name(req)}`);
        const updated = await rc.renameResourceClass(p.db, existing, body.name);
        if (!updated) throw conflict(`Resource class already exists: ${body.name}`);
        return sendJson(reply, 200, serialize(req, updated));
      },
      DELETE: async (req, reply) => {
        requireVersion(req, '1.2');
        authorize(p, req, `${POLICY}delete`);
        await rc.deleteResourceClass(p.db, name(req)).catch((e: unknown) => {
          if (e instanceof ResourceClassCannotDeleteStandard)
            throw badRequest(`Error in delete resource class: ${e.message}`);
          if (e instanceof ResourceClassInUse) throw conflict(`Error in delete resource class: ${e.message}`);
          throw e;
        });
        return sendEmpty(reply, 204);
      },
    },
  };
}
