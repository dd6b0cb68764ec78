// /v2/schemas/*: the JSON schemas clients validate images, members and metadata definitions against.
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../http.js';
import { IMAGE_SCHEMA, IMAGES_SCHEMA } from '../schemas/image.js';
import { MEMBER_SCHEMA, MEMBERS_SCHEMA } from '../schemas/member.js';
import { METADEF_SCHEMAS } from '../schemas/metadefs.js';

const SCHEMAS: Record<string, object> = {
  image: IMAGE_SCHEMA,
  images: IMAGES_SCHEMA,
  member: MEMBER_SCHEMA,
  members: MEMBERS_SCHEMA,
  ...Object.fromEntries(Object.entries(METADEF_SCHEMAS).map(([name, schema]) => [`metadefs/${name}`, schema])),
};

export function schemaRoutes(): RouteTable {
  return Object.fromEntries(
    Object.entries(SCHEMAS).map(([name, schema]) => [
      `/v2/schemas/${name}`,
      { GET: async (_req, reply) => sendJson(reply, 200, schema) },
    ]),
  );
}
