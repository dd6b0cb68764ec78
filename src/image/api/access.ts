// Who may see and do what with an image: the caller (with Glance's is_admin, from the
// context_is_admin rule), whether an image is visible to it (Glance's database-layer check), and
// policy checks against an image as Glance's ImageAPIPolicy makes them, where a refusal on an
// image the caller cannot see is a 404, so that nobody learns what other projects hold.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../../common/http/context.js';
import type { Image } from '../context.js';
import { findImage, type ImageRecord } from '../objects/image.js';
import { findMember, type MemberRecord } from '../objects/member.js';
import { forbidden, hiddenNotFound, imageNotFound } from '../errors.js';
import type { HttpError } from '../../common/http/errors.js';

export interface Caller {
  /** The request context, with is_admin for rules that check it. */
  ctx: RequestContext;
  /** The caller's project (Glance's context.owner). */
  project: string | null;
  isAdmin: boolean;
}

const callers = new WeakMap<FastifyRequest, Caller>();

export function callerOf(image: Image, req: FastifyRequest): Caller {
  let c = callers.get(req);
  if (!c) {
    const isAdmin = image.policy.allowed(req.ctx, 'context_is_admin', {});
    c = {
      ctx: { ...req.ctx, policyValues: { ...req.ctx.policyValues, is_admin: isAdmin } },
      project: req.ctx.projectId,
      isAdmin,
    };
    callers.set(req, c);
  }
  return c;
}

/** Glance's message for any policy refusal. */
export const notAuthorized = (rule: string) => forbidden(`You are not authorized to complete ${rule} action.`);

/** Whether the caller may look at the image at all (Glance's is_image_visible): its owner, image
 * members whatever their status, everyone for public and community images and images with no owner. */
export function isVisible(caller: Caller, rec: ImageRecord, membership: MemberRecord | undefined): boolean {
  if (caller.isAdmin || rec.owner === null) return true;
  if (rec.visibility === 'public' || rec.visibility === 'community') return true;
  if (caller.project !== null && caller.project === rec.owner) return true;
  return rec.visibility === 'shared' && membership !== undefined;
}

/** The policy target of an image: its attributes and properties, `project_id` its owner and
 * `member_id` the caller's project when that is a member. Keys without a value are left out, so
 * that they match nothing. */
export function imageTarget(rec: ImageRecord, membership?: MemberRecord): Record<string, unknown> {
  const { properties, tags: _t, ...attrs } = rec;
  // member_id is never taken from a property: an owner could otherwise make anyone a "member".
  const target: Record<string, unknown> = {
    ...properties,
    ...attrs,
    project_id: rec.owner,
    member_id: membership?.member,
  };
  return Object.fromEntries(Object.entries(target).filter(([, v]) => v !== null && v !== undefined));
}

export class ImageAccess {
  constructor(
    readonly image: Image,
    readonly caller: Caller,
    readonly record: ImageRecord,
    readonly membership: MemberRecord | undefined,
  ) {}

  allowed(rule: string, target: Record<string, unknown> = imageTarget(this.record, this.membership)): boolean {
    return this.image.policy.allowed(this.caller.ctx, rule, target);
  }

  /** Enforces a rule on this image; denied, it is a 403 if the caller can see the image, else a 404. */
  enforce(rule: string, target?: Record<string, unknown>): void {
    if (this.allowed(rule, target)) return;
    if (rule === 'get_image' || !this.allowed('get_image')) throw hiddenNotFound();
    throw notAuthorized(rule);
  }

  /** Visibility changes have their own rules (publicize_image, communitize_image). */
  enforceVisibility(visibility: unknown): void {
    if (visibility === 'public') this.enforce('publicize_image');
    else if (visibility === 'community') this.enforce('communitize_image');
  }
}

/** The image, if it exists and the caller may see it; otherwise `notFound` (Glance's message
 * differs from one API to the next). */
export async function lookupImage(
  image: Image,
  req: FastifyRequest,
  id: string,
  notFound: (id: string) => HttpError = imageNotFound,
): Promise<ImageAccess> {
  const caller = callerOf(image, req);
  const rec = await findImage(image.db, id);
  if (!rec) throw notFound(id);
  // Memberships count for shared images only (in isVisible, and in the policies, where the other
  // visibilities pass or fail on their own): for the others the look is spared.
  const membership =
    caller.project !== null && rec.visibility === 'shared' ? await findMember(image.db, id, caller.project) : undefined;
  if (!isVisible(caller, rec, membership)) throw notFound(id);
  return new ImageAccess(image, caller, rec, membership);
}
