// Request schemas of /os-keypairs (nova/api/openstack/compute/schemas/keypairs.py). A name's
// characters are checked by objects/keypair.ts: checkKeypairName (Nova's formats).
import { Type } from '@sinclair/typebox';
import { multiParams, paginationParameters, querySchema } from './parameter_types.js';

const name = Type.String({ minLength: 1, maxLength: 255 });
const type = Type.Unsafe<'ssh' | 'x509'>({ type: 'string', enum: ['ssh', 'x509'] });
const publicKey = Type.String();

const body = (keypair: Parameters<typeof Type.Object>[0]) =>
  Type.Object({ keypair: Type.Object(keypair, { additionalProperties: false }) }, { additionalProperties: false });

export const create = body({ name, public_key: Type.Optional(publicKey) });
export const createV22 = body({ name, type: Type.Optional(type), public_key: Type.Optional(publicKey) });
export const createV210 = body({
  name,
  type: Type.Optional(type),
  public_key: Type.Optional(publicKey),
  user_id: Type.Optional(Type.String()),
});
/** 2.92: imports only. */
export const createV292 = body({
  name,
  type: Type.Optional(type),
  public_key: publicKey,
  user_id: Type.Optional(Type.String()),
});

const userId = { user_id: multiParams(Type.String()) };
export const anyQuery = querySchema({}, false);
export const userQuery = querySchema(userId, false);
export const userQueryV275 = querySchema(userId, true);
export const indexQueryV235 = querySchema({ ...userId, ...paginationParameters }, false);
export const indexQueryV275 = querySchema({ ...userId, ...paginationParameters }, true);
