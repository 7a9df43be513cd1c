/**
 * The errors of the Control API. Each has a stable `code` and structured fields; they become gRPC statuses
 * only at the edge, in the one table of `common/grpc-status-errors.ts` (with the store's and the replication
 * layer's errors, which reach the handlers unchanged). Messages follow design.md §7:
 * `Cannot create service "web": spec.mode.replicated.replicas: must be between 0 and 100000, got 100001`.
 */
import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';
import type { ObjectKind } from '../../proto/index.js';

/** The base of every Control API error. */
export class ControlApiError extends SwarmError {}

/**
 * A spec breaks one or more rules. `problems` lists each as `<field path>: <rule>, got <value>`, in field
 * order; the message joins them with "; " after `Cannot <op> <kind> "<name>"`.
 */
export class InvalidSpecError extends ControlApiError {
  readonly kind: ObjectKind;
  readonly problems: readonly string[];

  /** @param what the refused action, for the message: `create service "web"` */
  constructor(what: string, kind: ObjectKind, problems: readonly string[], options: SwarmErrorOptions = {}) {
    super('ERR_CONTROLAPI_INVALID_SPEC', `Cannot ${what}: ${problems.join('; ')}`, {
      ...options,
      fields: { ...options.fields, 'object.kind': kind, problems },
    });
    this.kind = kind;
    this.problems = problems;
  }
}

/**
 * A request is malformed outside its spec: a missing object reference or version, an unknown enum value in
 * a filter.
 */
export class InvalidRequestError extends ControlApiError {
  constructor(what: string, problem: string, options: SwarmErrorOptions = {}) {
    super('ERR_CONTROLAPI_INVALID_REQUEST', `Cannot ${what}: ${problem}`, options);
  }
}

/** The object a request names (by id, name or id prefix) does not exist. */
export class ObjectNotFoundError extends ControlApiError {
  readonly kind: ObjectKind;
  readonly ref: string;

  /** @param op the refused action: `get`, `update`, `remove`... */
  constructor(op: string, kind: ObjectKind, ref: string, options: SwarmErrorOptions = {}) {
    super(
      'ERR_CONTROLAPI_NOT_FOUND',
      ref === ''
        ? `Cannot ${op} ${kind}: the ${kind} does not exist`
        : `Cannot ${op} ${kind} "${ref}": no ${kind} has this id, name or id prefix`,
      { ...options, fields: { ...options.fields, 'object.kind': kind, ref } },
    );
    this.kind = kind;
    this.ref = ref;
  }
}

/** An object cannot be removed while others refer to it (a secret, config or network used by services). */
export class ObjectInUseError extends ControlApiError {
  readonly kind: ObjectKind;
  readonly id: string;
  /** The names of the services that refer to it, sorted. */
  readonly users: readonly string[];

  constructor(kind: ObjectKind, name: string, id: string, users: readonly string[]) {
    const list = users.map((u) => `"${u}"`).join(', ');
    super(
      'ERR_CONTROLAPI_IN_USE',
      `Cannot remove ${kind} "${name}": it is in use by service${users.length === 1 ? '' : 's'} ${list}`,
      { fields: { 'object.kind': kind, [`${kind}.id`]: id, users } },
    );
    this.kind = kind;
    this.id = id;
    this.users = users;
  }
}

/**
 * The request is well formed but the cluster's state refuses it: removing a manager, or a node that is
 * still up without `force`; demoting the last manager.
 */
export class FailedPreconditionError extends ControlApiError {
  constructor(what: string, reason: string, options: SwarmErrorOptions = {}) {
    super('ERR_CONTROLAPI_FAILED_PRECONDITION', `Cannot ${what}: ${reason}`, options);
  }
}

/**
 * The Control API was stopped (the manager is shutting down or lost its role), or a watch cannot go on
 * (the store was replaced from a snapshot, so events were missed). Temporary: call again, possibly on
 * another manager.
 */
export class ControlApiUnavailableError extends ControlApiError {
  constructor(what: string, reason: string, options: SwarmErrorOptions = {}) {
    super('ERR_CONTROLAPI_UNAVAILABLE', `Cannot ${what}: ${reason}`, { ...options, temporary: true });
  }
}
