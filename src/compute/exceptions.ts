// The compute domain's exceptions, with Nova's messages (nova/exception.py). Domain modules throw
// them and know nothing of HTTP; errors.ts decides the status each kind answers with, as Nova's
// exception classes carry theirs.

export class ComputeException extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Answered 404. */
export class NotFound extends ComputeException {}
/** The request is wrong: answered 400. */
export class Invalid extends ComputeException {}
/** What the request would create exists already: answered 409. */
export class AlreadyExists extends ComputeException {}
/** The resource's state forbids the request: answered 409. */
export class Conflict extends ComputeException {}
/** A quota would be exceeded: answered 403, as Nova answers it. */
export class OverQuota extends ComputeException {}

/** A value that breaks the API's rules, worded as Nova's request validation words it. */
export class ValidationError extends Invalid {}

export class InvalidInput extends Invalid {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}

export class InvalidName extends Invalid {
  constructor(reason: string) {
    super(`An invalid 'name' value was provided. The name must be: ${reason}`);
  }
}

export class MarkerNotFound extends Invalid {
  constructor(readonly marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}

export class FlavorNotFound extends NotFound {
  constructor(flavorId: string) {
    super(`Flavor ${flavorId} could not be found.`);
  }
}

export class FlavorExists extends AlreadyExists {
  constructor(name: string) {
    super(`Flavor with name ${name} already exists.`);
  }
}

export class FlavorIdExists extends AlreadyExists {
  constructor(flavorId: string) {
    super(`Flavor with ID ${flavorId} already exists.`);
  }
}

export class FlavorExtraSpecsNotFound extends NotFound {
  constructor(flavorId: string, key: string) {
    super(`Flavor ${flavorId} has no extra specs with key ${key}.`);
  }
}

export class FlavorAccessExists extends AlreadyExists {
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`);
  }
}

export class FlavorAccessNotFound extends NotFound {
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access not found for ${flavorId} / ${projectId} combination.`);
  }
}

export class InvalidKeypair extends Invalid {
  constructor(reason: string) {
    super(`Keypair data is invalid: ${reason}`);
  }
}

export class KeypairNotFound extends NotFound {
  constructor(name: string, userId: string) {
    super(`Keypair ${name} not found for user ${userId}`);
  }
}

export class KeyPairExists extends AlreadyExists {
  constructor(name: string) {
    super(`Key pair '${name}' already exists.`);
  }
}

export class KeypairLimitExceeded extends OverQuota {
  constructor() {
    super('Quota exceeded, too many key pairs.');
  }
}

export class ServiceNotFound extends NotFound {
  constructor(serviceId: string) {
    super(`Service ${serviceId} could not be found.`);
  }
}

export class HostNotFound extends NotFound {
  constructor(host: string) {
    super(`Compute host ${host} could not be found.`);
  }
}

export class ServiceHostsInstances extends Conflict {
  constructor() {
    super('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
  }
}

export class HypervisorNotFound extends NotFound {
  constructor(id: string) {
    super(`Hypervisor with ID '${id}' could not be found.`);
  }
}

/** Limits that a change would exceed (Nova's OverQuota): what each resource's limit is and what
 * there would be, for callers that word their own message (servers: TooManyInstances). */
export class QuotaExceeded extends OverQuota {
  constructor(
    readonly overs: string[],
    readonly quotas: Record<string, number>,
    readonly usages: Record<string, number>,
    readonly headroom: Record<string, number>,
  ) {
    super(`Quota exceeded for resources: [${overs.map((o) => `'${o}'`).join(', ')}]`);
  }
}

export class QuotaLimitOutOfRange extends Invalid {}

/** What an aggregate action would break (Nova's InvalidAggregateAction*): `action` words it. */
export class InvalidAggregateAction extends Invalid {
  constructor(action: 'add' | 'delete' | 'update' | 'update_meta', id: number | string, reason: string) {
    const what = {
      add: 'add host to aggregate',
      delete: 'remove host from aggregate',
      update: 'update aggregate',
      update_meta: 'update metadata of aggregate',
    }[action];
    super(`Cannot ${what} ${id}. Reason: ${reason}.`);
  }
}

export class AggregateNotFound extends NotFound {
  constructor(id: string) {
    super(`Aggregate ${id} could not be found.`);
  }
}

export class AggregateNameExists extends AlreadyExists {
  constructor(name: string) {
    super(`Aggregate ${name} already exists.`);
  }
}

export class AggregateHostExists extends AlreadyExists {
  constructor(id: string, host: string) {
    super(`Aggregate ${id} already has host ${host}.`);
  }
}

export class AggregateHostNotFound extends NotFound {
  constructor(id: string, host: string) {
    super(`Aggregate ${id} has no host ${host}.`);
  }
}

export class InstanceNotFound extends NotFound {
  constructor(uuid: string) {
    super(`Instance ${uuid} could not be found.`);
  }
}

export class InstanceIsLocked extends Conflict {
  constructor(uuid: string) {
    super(`Instance ${uuid} is locked`);
  }
}

/** An action the instance's state does not allow (Nova's InstanceInvalidState as the API words it). */
export class InstanceInvalidState extends Conflict {
  constructor(action: string, uuid: string, attr: string, state: string | null) {
    super(`Cannot '${action}' instance ${uuid} while it is in ${attr} ${state ?? 'None'}`);
  }
}

/** An unshelve that names a zone or a host of a server that is not offloaded (Nova's
 * UnshelveInstanceInvalidState). */
export class UnshelveInstanceInvalidState extends Conflict {
  constructor(uuid: string, state: string | null) {
    super(
      `Specifying an availability zone or a host when unshelving server "${uuid}" with status "${state ?? 'None'}" ` +
        'is not supported. The server status must be SHELVED_OFFLOADED.',
    );
  }
}

/** An unshelve to a host outside the zone the server will be in (Nova's UnshelveHostNotInAZ, a 409). */
export class UnshelveHostNotInAZ extends Conflict {
  constructor(host: string, zone: string) {
    super(`Host "${host}" is not in the availability zone "${zone}".`);
  }
}

export class TooManyInstances extends OverQuota {
  constructor(overs: string, req: string, used: string, allowed: string) {
    super(`Quota exceeded for ${overs}: Requested ${req}, but already used ${used} of ${allowed} ${overs}`);
  }
}

export class MetadataLimitExceeded extends OverQuota {
  constructor(allowed: number) {
    super(`Maximum number of metadata items exceeds ${allowed}`);
  }
}

export class CannotMigrateToSameHost extends Invalid {
  constructor() {
    super('Cannot migrate to the host where the instance exists.');
  }
}

/** Nova's ComputeHostNotFound as a move's requested destination meets it: a bad request. */
export class ComputeHostNotFound extends Invalid {
  constructor(host: string) {
    super(`Compute host ${host} could not be found.`);
  }
}

export class CannotResizeToSameFlavor extends Invalid {
  constructor() {
    super('When resizing, instances must change flavor!');
  }
}

export class AutoDiskConfigDisabledByImage extends Invalid {
  constructor(image: string) {
    super(`Requested image ${image} has automatic disk resize disabled.`);
  }
}

export class CannotResizeDisk extends Invalid {
  constructor(reason: string) {
    super(`Server disk was unable to be resized because: ${reason}`);
  }
}

export class MigrationNotFoundByStatus extends NotFound {
  constructor(instanceUuid: string, status: string) {
    super(`Migration not found for instance ${instanceUuid} with status ${status}.`);
  }
}

export class MigrationNotFoundForInstance extends NotFound {
  constructor(migrationId: string, instanceUuid: string) {
    super(`Migration ${migrationId} not found for instance ${instanceUuid}`);
  }
}

/** A live migration's step asked of a migration not in a status that allows it (400). */
export class InvalidMigrationState extends Invalid {
  constructor(migrationId: number | string, instanceUuid: string, state: string, method: string) {
    super(
      `Migration ${migrationId} state of instance ${instanceUuid} is ${state}. Cannot ${method} while the migration is in this state.`,
    );
  }
}

/** The live migration's pre-checks, as the conductor words them (Nova's LiveMigrationTask): each
 * a reason the server stays where it is (400 while the API waits for them, before 2.34). */
export class InstanceNotRunning extends Invalid {
  constructor(uuid: string, powerState: string) {
    super(`Instance ${uuid} in power_state ${powerState}. Cannot live migrate while the instance is in this state.`);
  }
}

export class ComputeServiceUnavailable extends Invalid {
  constructor(host: string) {
    super(`Compute service of ${host} is unavailable at this time.`);
  }
}

/** An evacuation of a server whose host's compute service is still up (Nova's ComputeServiceInUse,
 * which its API answers 400). */
export class ComputeServiceInUse extends Invalid {
  constructor(host: string) {
    super(`Compute service of ${host} is still in use.`);
  }
}

/** An evacuation told the server's disk is on shared storage where the destination finds none
 * (Nova's InvalidSharedStorage as the compute manager raises it). */
export class InvalidSharedStorage extends Invalid {
  constructor() {
    super('Invalid state of instance files on shared storage');
  }
}

export class UnableToMigrateToSelf extends Invalid {
  constructor(uuid: string, host: string) {
    super(`Unable to migrate instance (${uuid}) to current host (${host}).`);
  }
}

export class InvalidHypervisorType extends Invalid {
  constructor() {
    super('The supplied hypervisor type of is invalid.');
  }
}

export class DestinationHypervisorTooOld extends Invalid {
  constructor() {
    super('The instance requires a newer hypervisor version than has been provided.');
  }
}

export class MigrationPreCheckError extends Invalid {
  constructor(reason: string) {
    super(`Migration pre-check error: ${reason}`);
  }
}

/** A forced destination that cannot take the source's allocations (Nova's NoValidHost with a reason). */
export class NoValidHostForMove extends Invalid {
  constructor(reason: string) {
    super(`No valid host was found. ${reason}`);
  }
}

export class MetadataItemNotFound extends NotFound {
  constructor() {
    super('Metadata item was not found');
  }
}

/** What needs the instance's host before it has one (Nova's InstanceNotReady, a 409 where the API
 * catches it). */
export class InstanceNotReady extends Conflict {
  constructor(uuid: string) {
    super(`Instance ${uuid} is not ready`);
  }
}

/** The instance's compute service is down (Nova's ServiceUnavailable: the host's name is not
 * told to users). */
export class ServiceUnavailable extends Conflict {
  constructor() {
    super('Service is unavailable at this time.');
  }
}

/** A compute host did not answer a call within [DEFAULT] rpc_response_timeout (Nova's
 * MessagingTimeout, which Nova lets through as a 500): answered 504. */
export class HostCallTimeout extends ComputeException {
  constructor(of: 'instance' | 'hypervisor') {
    super(`The compute host of the ${of} did not answer in time.`);
  }
}

/** A compute host answered a call with a failure (Nova's RemoteError, a 500 there): answered 502. */
export class HostCallFailed extends ComputeException {
  constructor(of: 'instance' | 'hypervisor') {
    super(`The compute host of the ${of} failed to answer.`);
  }
}

/** What the host's virt driver cannot do (Nova's NotImplementedError, which the API answers 501). */
export class FeatureNotSupported extends ComputeException {
  constructor() {
    super('The requested functionality is not supported.');
  }
}

export class UnsupportedRescueImage extends Invalid {
  constructor(image: string) {
    super(`Requested rescue image '${image}' is not supported`);
  }
}

/** Nova's OperationNotSupportedForVTPM: a NotSupported, which Nova's API answers 400. */
export class OperationNotSupportedForVTPM extends Invalid {
  constructor(uuid: string, operation: string) {
    super(`Operation '${operation}' not supported for vTPM-enabled instance (${uuid}).`);
  }
}
