// Who a call to another service is made as, and which user action it belongs to. Both are said
// explicitly at each call, as oslo.context's RequestContext is passed to every client method:
//  - onBehalfOf: the user's token as X-Auth-Token with the service user's as X-Service-Token
//    (keystonemiddleware's service tokens): the callee applies the user's roles, and knows a
//    service vouches for the request (an expired user token is still honoured in the middle of a
//    long operation where the callee allows it).
//  - asService: the service user's token alone (Nova's calls to Placement, periodic tasks).
// Either way the call carries X-OpenStack-Request-ID: the id of the user's original request
// (oslo.context's global_request_id), so that one action is found in every service's log.
import type { RequestContext } from '../http/context.js';
import { newRequestId } from '../http/request_id.js';

/** The ids of the request being handled: its own, and the caller's global id when it sent one.
 * A Fastify request carries both. */
export interface RequestIds {
  requestId: string;
  globalRequestId?: string;
}

export interface Call {
  /** Sent as X-OpenStack-Request-ID. */
  globalRequestId: string;
  /** The user's token, when the call is made on the user's behalf. Never logged. */
  userToken?: string;
}

/** The id to pass on: the caller's global id, else the id of the request being handled, else (work
 * no request started, such as a periodic task) a new one. */
const globalId = (ids?: RequestIds) => ids?.globalRequestId ?? ids?.requestId ?? newRequestId();

/** A call made as the service user alone, as part of the request `ids` (if any). */
export function asService(ids?: RequestIds): Call {
  return { globalRequestId: globalId(ids) };
}

/** A call made on behalf of the user whose request `ids` is, with the service's token beside the
 * user's. */
export function onBehalfOf(ctx: RequestContext, ids: RequestIds): Call {
  if (!ctx.authToken) throw new Error("the request context has no token to act on the user's behalf with");
  return { globalRequestId: globalId(ids), userToken: ctx.authToken };
}
