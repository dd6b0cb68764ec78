// Identity's domain exceptions, worded as keystone/exception.py words them (clients and tests
// match the text). Domain modules throw them and know nothing of HTTP; errors.ts decides the
// status each kind answers with, as Keystone's exception classes carry theirs.

export class KeystoneException extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is wrong (Keystone's ValidationError and its kinds): answered 400. */
export class ValidationError extends KeystoneException {}
/** Answered 401. Every authentication failure looks the same to the client, so that it tells
 * nothing about which part was wrong; `reason` says which, for the log only. */
export class Unauthorized extends KeystoneException {
  constructor(
    message = 'The request you have made requires authentication.',
    readonly reason?: string,
  ) {
    super(message);
  }
}
/** Keystone's ForbiddenNotSecurity: a 403 whose message is safe to show. */
export class Forbidden extends KeystoneException {}
/** Answered 404. */
export class NotFound extends KeystoneException {}
/** Answered 409. */
export class Conflict extends KeystoneException {}

const CLIENT_AT_FAULT =
  ' The server could not comply with the request since it is either malformed' +
  ' or otherwise incorrect. The client is assumed to be in error.';

/** ValidationError: "Expecting to find ATTRIBUTE in TARGET. ..." */
export function expecting(attribute: string, target: string): ValidationError {
  return new ValidationError(`Expecting to find ${attribute} in ${target}.${CLIENT_AT_FAULT}`);
}

/** ValidationTimeStampError. */
export function invalidTimestamp(): ValidationError {
  return new ValidationError(`Timestamp not in expected format.${CLIENT_AT_FAULT}`);
}

/** ValidationExpirationError. */
export function expiryInPast(): ValidationError {
  return new ValidationError(`The 'expires_at' must not be before now.${CLIENT_AT_FAULT}`);
}

/** SchemaValidationError and other 400s with a specific message. */
export function invalid(message: string): ValidationError {
  return new ValidationError(message);
}

export type Kind =
  | 'domain'
  | 'project'
  | 'project tag'
  | 'credential'
  | 'user'
  | 'group'
  | 'role'
  | 'region'
  | 'service'
  | 'endpoint'
  | 'Endpoint Group'
  | 'token'
  | 'Application Credential'
  | 'trust';

export function notFound(kind: Kind, id: string): NotFound {
  return new NotFound(`Could not find ${kind}: ${id}.`);
}

export function conflict(type: string, details: string): Conflict {
  return new Conflict(`Conflict occurred attempting to store ${type} - ${details}.`);
}

/** A 401 that says nothing to the client; `reason` goes to the log (never a secret). */
export function unauthorized(reason: string): Unauthorized {
  return new Unauthorized(undefined, reason);
}

export function forbidden(message: string): Forbidden {
  return new Forbidden(message);
}

/** Keystone's ForbiddenAction: a 403 naming the action refused. */
export function forbiddenAction(action: string): Forbidden {
  return forbidden(`You are not authorized to perform the requested action: ${action}.`);
}

export function assignmentNotFound(roleId: string, actorId: string, targetId: string): NotFound {
  return new NotFound(
    `Could not find role assignment with role: ${roleId}, user or group: ` +
      `${actorId}, project, domain, or system: ${targetId}.`,
  );
}
