// The image domain's exceptions, as Glance's (glance/common/exception.py) with its messages.
// Domain modules throw them and know nothing of HTTP; errors.ts decides the status each kind
// answers with, as Glance's API layer turns them into webob errors.

export class GlanceException extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is wrong: answered 400. */
export class Invalid extends GlanceException {}
/** Not allowed (read-only or reserved attributes, protected definitions): answered 403. */
export class Forbidden extends GlanceException {}
/** In the way of another record or of the image's status: answered 409. */
export class Conflict extends GlanceException {}
/** More than a quota allows: answered 413. */
export class LimitExceeded extends GlanceException {
  constructor(what: string, attempted: number, maximum: number) {
    super(`The limit has been exceeded on the number of allowed ${what}. Attempted: ${attempted}, Maximum: ${maximum}`);
  }
}

/** A value that breaks one of Glance's schemas (its InvalidObject). */
export class InvalidObject extends Invalid {
  constructor(schemaName: string, reason: string) {
    super(`Provided object does not match schema '${schemaName}': ${reason}`);
  }
}
