// /v2/images/{image_id}/members: sharing an image with other projects, as Glance's
// ImageMembersController. Only shared images have members; the owner adds and removes them; each
// member accepts or rejects the image for its own project; a member sees only its own membership.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, forbidden } from '../errors.js';
import { isObject, requireJson, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import { MEMBER_QUOTA } from '../objects/attributes.js';
import { LimitExceeded } from '../exceptions.js';
import {
  addMember,
  countMembers,
  findMember,
  listMembers,
  removeMember,
  setMemberStatus,
  type MemberRecord,
} from '../objects/member.js';
import { MEMBER_STATUSES } from '../schemas/member.js';
import { lookupImage, type ImageAccess } from './access.js';
import { memberView } from './views.js';

const imageNotFound = (id: string) => new HttpError(404, `Image ${id} not found.`);
const ONLY_SHARED = 'Only shared images have members.';

/** The members the caller may know of: all of them for the owner (and administrators), else its own. */
function visibleMember(access: ImageAccess, m: MemberRecord): boolean {
  const { caller, record } = access;
  return (
    caller.isAdmin || (caller.project !== null && (caller.project === record.owner || caller.project === m.member))
  );
}

async function lookupMember(image: Image, access: ImageAccess, memberId: string): Promise<MemberRecord> {
  const m = await findMember(image.db, access.record.id, memberId);
  if (!m || !visibleMember(access, m)) {
    throw new HttpError(404, `${memberId} not found in the member list of the image ${access.record.id}.`);
  }
  return m;
}

/** Enforces a member rule; refused, it is the 403 `message` (404 if the image is hidden). */
function enforce(access: ImageAccess, rule: string, message: string): void {
  access.enforce('get_image');
  if (!access.allowed(rule)) throw forbidden(message);
}

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, imageNotFound);
  const refuse = (why: string) => forbidden(`Not allowed to list members for image ${id}: ${why}`);
  if (access.record.visibility !== 'shared') throw refuse(ONLY_SHARED);
  access.enforce('get_image');
  if (!access.allowed('get_members')) throw refuse(`You are not authorized to complete get_members action.`);
  const members = (await listMembers(image.db, id)).filter((m) => visibleMember(access, m));
  return sendJson(reply, 200, { members: members.map(memberView), schema: '/v2/schemas/members' });
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, imageNotFound);
  // Refusals are 404s here, so that nobody learns who an image is shared with.
  if (access.record.visibility !== 'shared') throw new HttpError(404, ONLY_SHARED);
  access.enforce('get_image');
  if (!access.allowed('get_member'))
    throw new HttpError(404, `You are not authorized to lookup the members of the image ${id}.`);
  return sendJson(reply, 200, memberView(await lookupMember(image, access, param(req, 'member_id'))));
}

function memberToAdd(body: unknown): string {
  if (!isObject(body)) throw badRequest('Expected a member in the form: {"member": "image_id"}');
  if (!Object.hasOwn(body, 'member')) throw badRequest('Member to be added not specified');
  const member = body.member;
  if (member === '' || member === null || member === false || member === 0) throw badRequest("Member can't be empty");
  if (typeof member !== 'string' || member.length > 255) {
    throw badRequest('Expected a member in the form: {"member": "image_id"}');
  }
  return member;
}

async function create(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const memberId = memberToAdd(requireJson(req));
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, imageNotFound);
  const refused = `Not allowed to create members for image ${id}.`;
  if (access.record.visibility !== 'shared') throw forbidden(refused);
  enforce(access, 'add_member', refused);
  const count = await countMembers(image.db, id);
  if (count >= MEMBER_QUOTA) {
    const inner = new LimitExceeded('image members for this image', count + 1, MEMBER_QUOTA).message;
    throw new HttpError(413, `Image member limit exceeded for image ${id}: ${inner}:`);
  }
  return sendJson(reply, 200, memberView(await addMember(image.db, id, memberId)));
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = requireJson(req);
  if (!isObject(body)) throw badRequest('Expected a status in the form: {"status": "status"}');
  if (!Object.hasOwn(body, 'status')) throw badRequest('Status not specified');
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, imageNotFound);
  const refused = `Not allowed to update members for image ${id}.`;
  if (access.record.visibility !== 'shared') throw forbidden(refused);
  enforce(access, 'get_member', refused);
  const m = await lookupMember(image, access, param(req, 'member_id'));
  if (!access.allowed('modify_member')) throw forbidden(refused);
  if (typeof body.status !== 'string' || !MEMBER_STATUSES.includes(body.status)) {
    throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
  }
  return sendJson(reply, 200, memberView(await setMemberStatus(image.db, m, body.status)));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, imageNotFound);
  const refused = `Not allowed to delete members for image ${id}.`;
  if (access.record.visibility !== 'shared') throw forbidden(refused);
  enforce(access, 'get_member', refused);
  const m = await lookupMember(image, access, param(req, 'member_id'));
  if (!access.allowed('delete_member')) throw forbidden(refused);
  await removeMember(image.db, m);
  return sendEmpty(reply, 204);
}

export function imageMemberRoutes(image: Image): RouteTable {
  return {
    '/v2/images/:image_id/members': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => create(image, req, reply),
    },
    '/v2/images/:image_id/members/:member_id': {
      GET: (req, reply) => show(image, req, reply),
      PUT: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
