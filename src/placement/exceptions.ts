// Placement's domain exceptions. The objects layer raises these; each handler decides the HTTP
// status and wraps the message in its own words, as upstream's handlers do (the same
// InventoryInUse is a 409 "update conflict: ..." on one route and a plain 409 on another).

export class PlacementException extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends PlacementException {}
export class ResourceClassNotFound extends NotFound {
  constructor(readonly rcName: string) {
    super(`No such resource class ${rcName}.`);
  }
}
export class TraitNotFound extends NotFound {
  constructor(names: string[]) {
    super(`No such trait(s): ${names.join(', ')}.`);
  }
}
export class InventoryWithResourceClassNotFound extends NotFound {
  constructor(rc: string) {
    super(`No inventory of class ${rc} found.`);
  }
}
export class ConsumerTypeNotFound extends NotFound {
  constructor(name: string) {
    super(`No such consumer type: ${name}.`);
  }
}

export class ResourceClassExists extends PlacementException {
  constructor(readonly rcName: string) {
    super(`Resource class ${rcName} already exists.`);
  }
}
export class ResourceClassCannotDeleteStandard extends PlacementException {
  constructor(rcName: string) {
    super(`Cannot delete standard resource class ${rcName}: Resource class is a standard class.`);
  }
}
export class ResourceClassInUse extends PlacementException {
  constructor(rcName: string) {
    super(`Unable to delete resource class ${rcName}. Class is in use in inventory.`);
  }
}

export class ConcurrentUpdateDetected extends PlacementException {
  constructor(message = 'Another thread concurrently updated the data. Please retry your update') {
    super(message);
  }
}
/** The generation a client wrote against is not the provider's (it read a stale one). */
export class GenerationMismatch extends ConcurrentUpdateDetected {}

export class ResourceProviderConcurrentUpdateDetected extends ConcurrentUpdateDetected {
  constructor() {
    super('Another thread concurrently updated the resource provider data. Please retry your update');
  }
}

export class InvalidInventory extends PlacementException {}
export class InvalidInventoryCapacity extends InvalidInventory {
  constructor(rc: string, rp: string, reservedMayEqualTotal: boolean) {
    super(
      `Invalid inventory for '${rc}' on resource provider '${rp}'. The reserved value is greater than ${
        reservedMayEqualTotal ? '' : 'or equal to '
      }total.`,
    );
  }
}
export class InventoryInUse extends InvalidInventory {
  constructor(rcs: string[], rp: string) {
    super(`Inventory for '${rcs.join(', ')}' on resource provider '${rp}' in use.`);
  }
}
export class InvalidAllocationCapacityExceeded extends InvalidInventory {
  constructor(rc: string, rp: string) {
    super(
      `Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would exceed the capacity.`,
    );
  }
}
export class InvalidAllocationConstraintsViolated extends InvalidInventory {
  constructor(rc: string, rp: string) {
    super(
      `Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would violate inventory constraints.`,
    );
  }
}

export class ObjectActionError extends PlacementException {
  constructor(action: string, reason: string) {
    super(`Object action ${action} failed because: ${reason}`);
  }
}
export class DuplicateEntry extends PlacementException {
  constructor(readonly columns: string[]) {
    super(`Duplicate entry for ${columns.join(', ')}`);
  }
}
export class CannotDeleteParentResourceProvider extends PlacementException {
  constructor() {
    super('Cannot delete resource provider that is a parent of another. Delete child providers first.');
  }
}
export class ResourceProviderInUse extends PlacementException {
  constructor() {
    super('Resource provider has allocations.');
  }
}
