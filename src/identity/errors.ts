// Keystone's errors, worded as keystone/exception.py words them (clients and tests match them).
import { HttpError } from '../common/http/errors.js';

const CLIENT_AT_FAULT = ' The server could not comply with the request since it is either malformed'
  + ' or otherwise incorrect. The client is assumed to be in error.';

/** ValidationError: "Expecting to find ATTRIBUTE in TARGET. ..." */
export function expecting(attribute: string, target: string): HttpError {
  return new HttpError(400, `Expecting to find ${attribute} in ${target}.${CLIENT_AT_FAULT}`);
}

/** ValidationTimeStampError. */
export function invalidTimestamp(): HttpError {
  return new HttpError(400, `Timestamp not in expected format.${CLIENT_AT_FAULT}`);
}

/** ValidationExpirationError. */
export function expiryInPast(): HttpError {
  return new HttpError(400, `The 'expires_at' must not be before now.${CLIENT_AT_FAULT}`);
}

/** SchemaValidationError and other 400s with a specific message. */
export function invalid(message: string): HttpError {
  return new HttpError(400, message);
}

export type Kind = 'domain' | 'project' | 'project tag' | 'credential' | 'user' | 'group' | 'role' | 'region' | 'service'
  | 'endpoint' | 'Endpoint Group' | 'token' | 'Application Credential' | 'trust';

export function notFound(kind: Kind, id: string): HttpError {
  return new HttpError(404, `Could not find ${kind}: ${id}.`);
}

export function conflict(type: string, details: string): HttpError {
  return new HttpError(409, `Conflict occurred attempting to store ${type} - ${details}.`);
}

/** Every authentication failure looks the same, so that it tells nothing about which part was
 * wrong; which one it was goes to the log. */
export { unauthorized } from '../common/http/errors.js';

/** Keystone's ForbiddenNotSecurity: a 403 whose message is safe to show. */
export function forbidden(message: string): HttpError {
  return new HttpError(403, message);
}

/** Keystone's ForbiddenAction: a 403 naming the action refused. */
export function forbiddenAction(action: string): HttpError {
  return forbidden(`You are not authorized to perform the requested action: ${action}.`);
}

export function assignmentNotFound(roleId: string, actorId: string, targetId: string): HttpError {
  return new HttpError(404, `Could not find role assignment with role: ${roleId}, user or group: `
    + `${actorId}, project, domain, or system: ${targetId}.`);
}
