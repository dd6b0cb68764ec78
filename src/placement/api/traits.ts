// /traits, /traits/{name} and /resource_providers/{uuid}/traits (since 1.6).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest, conflict, notFound } from '../../common/http/errors.js';
import { validateSchema } from '../../common/http/json-schema.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import { ConcurrentUpdateDetected, GenerationMismatch, NotFound } from '../exceptions.js';
import {
  absoluteUrl,
  authorize,
  requireContent,
  cacheHeaders,
  checkAccept,
  latest,
  readJson,
  readQuery,
  requireVersion,
  or404,
} from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import { getProvider } from '../objects/resource_provider.js';
import * as traitObj from '../objects/trait.js';
import * as schema from '../schemas/trait.js';

const POLICY = 'placement:traits:';
const RP_POLICY = 'placement:resource_providers:traits:';

function sendTraits(
  req: FastifyRequest,
  reply: FastifyReply,
  traits: traitObj.Trait[],
  extra: Record<string, unknown> = {},
) {
  let lm: string | null = null;
  for (const t of traits) lm = latest(lm, t.updated_at ?? t.created_at);
  cacheHeaders(req, reply, lm);
  return sendJson(reply, 200, { traits: traits.map((t) => t.name), ...extra });
}

/** ?name=in:A,B or ?name=startswith:CUSTOM_. */
function nameFilter(qs: string): traitObj.TraitFilters {
  const i = qs.indexOf(':');
  const op = i < 0 ? '' : qs.slice(0, i);
  const value = qs.slice(i + 1);
  if (i < 0 || (op !== 'in' && op !== 'startswith')) {
    throw badRequest(
      `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${qs}"`,
    );
  }
  return op === 'in' ? { nameIn: value.split(',') } : { prefix: value };
}

export function traitRoutes(p: Placement): RouteTable {
  const writeTraits = async (uuid: string, generation: number, names: string[]) => {
    try {
      return await traitObj.setProviderTraits(p.db, p.engine, uuid, generation, names);
    } catch (e) {
      if (e instanceof GenerationMismatch) {
        throw conflict(
          "Resource provider's generation already changed. Please update the generation and try again.",
          codes.CONCURRENT_UPDATE,
        );
      }
      if (e instanceof traitObj.MissingTraits) throw badRequest(e.message);
      if (e instanceof ConcurrentUpdateDetected) throw conflict(e.message, codes.CONCURRENT_UPDATE);
      throw e;
    }
  };
  return {
    '/traits': {
      GET: async (req, reply) => {
        requireVersion(req, '1.6');
        checkAccept(req);
        authorize(p, req, `${POLICY}list`);
        const q = readQuery(req, schema.LIST_TRAITS);
        let filters: traitObj.TraitFilters = {};
        if ('name' in q) filters = nameFilter(q.name);
        if ('associated' in q) {
          const a = q.associated.toLowerCase();
          if (a !== 'true' && a !== 'false')
            throw badRequest('The query parameter "associated" only accepts "true" or "false"');
          filters.associated = a === 'true';
        }
        return sendTraits(req, reply, await traitObj.listTraits(p.db, filters));
      },
    },
    '/traits/:name': {
      GET: async (req, reply) => {
        requireVersion(req, '1.6');
        authorize(p, req, `${POLICY}show`);
        const name = param(req, 'name');
        const trait = await traitObj.findTrait(p.db, name);
        if (!trait) throw notFound(`No such trait(s): ${name}.`);
        cacheHeaders(req, reply, trait.created_at);
        return sendEmpty(reply, 204);
      },
      PUT: async (req, reply) => {
        requireVersion(req, '1.6');
        authorize(p, req, `${POLICY}update`);
        const name = param(req, 'name');
        if (validateSchema(schema.CUSTOM_TRAIT, name)) {
          throw badRequest(
            'The trait is invalid. A valid trait must be no longer than 255 characters, start with the ' +
              'prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"',
          );
        }
        const { trait, created } = await traitObj.ensureTrait(p.db, name);
        reply.header('location', absoluteUrl(req, `/traits/${trait.name}`));
        cacheHeaders(req, reply, trait.created_at);
        return sendEmpty(reply, created ? 201 : 204);
      },
      DELETE: async (req, reply) => {
        requireVersion(req, '1.6');
        authorize(p, req, `${POLICY}delete`);
        try {
          await traitObj.deleteTrait(p.db, param(req, 'name'));
        } catch (e) {
          if (e instanceof NotFound) throw notFound(e.message);
          if (e instanceof traitObj.TraitCannotDeleteStandard) throw badRequest(e.message);
          if (e instanceof traitObj.TraitInUse) throw conflict(e.message);
          throw e;
        }
        return sendEmpty(reply, 204);
      },
    },
    '/resource_providers/:uuid/traits': {
      GET: async (req, reply) => {
        requireVersion(req, '1.6');
        checkAccept(req);
        authorize(p, req, `${RP_POLICY}list`);
        const uuid = param(req, 'uuid');
        const rp = await or404(getProvider(p.db, uuid), (m) => `No resource provider with uuid ${uuid} found: ${m}`);
        return sendTraits(req, reply, await traitObj.providerTraits(p.db, rp), {
          resource_provider_generation: rp.generation,
        });
      },
      PUT: async (req, reply) => {
        requireVersion(req, '1.6');
        requireContent(req);
        authorize(p, req, `${RP_POLICY}update`);
        const data = readJson<{ traits: string[]; resource_provider_generation: number }>(
          req,
          schema.SET_TRAITS_FOR_RP,
        );
        const set = await writeTraits(param(req, 'uuid'), data.resource_provider_generation, data.traits);
        return sendTraits(req, reply, set.traits, { resource_provider_generation: set.generation });
      },
      DELETE: async (req, reply) => {
        requireVersion(req, '1.6');
        authorize(p, req, `${RP_POLICY}delete`);
        const rp = await getProvider(p.db, param(req, 'uuid'));
        await writeTraits(rp.uuid, rp.generation, []);
        return sendEmpty(reply, 204);
      },
    },
  };
}
