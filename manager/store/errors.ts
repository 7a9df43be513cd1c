/**
 * The errors of the cluster store. Each has a stable `code` and structured fields (`service.id`,
 * `object.kind`); callers branch on `code` or `instanceof`, never on the message. The Control API maps
 * them to gRPC statuses in its one table (name and id conflicts → ALREADY_EXISTS, not found → NOT_FOUND,
 * version conflict → FAILED_PRECONDITION or ABORTED, ambiguous reference → INVALID_ARGUMENT).
 *
 * Misuse (an object without an id, a value JSON cannot carry, an async transaction callback) throws the
 * built-in `TypeError`; using a transaction after it ended or a closed store throws common's
 * `IllegalStateError`. Errors of the {@link Proposer} (not the leader, timeout) pass through unchanged.
 */
import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';
import type { ObjectKind } from '../../proto/index.js';

/** The base of every store error. */
export class StoreError extends SwarmError {}

/** What a write was trying to do, for messages: `Cannot <op> service "x": ...`. */
export type WriteOp = 'create' | 'update' | 'delete';

/**
 * A create or a rename would give an object a name that another object of its kind already has. Names
 * are unique, case-insensitively, for services, secrets, configs, networks and clusters (as in swarmkit);
 * node and task names are not.
 */
export class NameConflictError extends StoreError {
  readonly kind: ObjectKind;
  /** The conflicting name, as written in the rejected object. */
  readonly objectName: string;
  /** The id of the object that was being written. */
  readonly id: string;
  /** The id of the object that holds the name. */
  readonly existingId: string;

  constructor(
    op: WriteOp,
    kind: ObjectKind,
    name: string,
    id: string,
    existingId: string,
    options: SwarmErrorOptions = {},
  ) {
    const subject = op === 'create' ? `create ${kind} "${name}"` : `rename ${kind} "${id}" to "${name}"`;
    super('ERR_STORE_NAME_CONFLICT', `Cannot ${subject}: name conflicts with an existing ${kind}`, {
      ...options,
      fields: {
        ...options.fields,
        'object.kind': kind,
        [`${kind}.id`]: id,
        [`${kind}.name`]: name,
        existingId,
      },
    });
    this.kind = kind;
    this.objectName = name;
    this.id = id;
    this.existingId = existingId;
  }
}

/** A create names an id that an object of the same kind already has. */
export class IdConflictError extends StoreError {
  readonly kind: ObjectKind;
  readonly id: string;

  constructor(kind: ObjectKind, id: string, options: SwarmErrorOptions = {}) {
    super('ERR_STORE_ID_CONFLICT', `Cannot create ${kind} "${id}": id conflicts with an existing ${kind}`, {
      ...options,
      fields: { ...options.fields, 'object.kind': kind, [`${kind}.id`]: id },
    });
    this.kind = kind;
    this.id = id;
  }
}

/** An update or delete names an object that does not exist (any more). */
export class NotFoundError extends StoreError {
  readonly kind: ObjectKind;
  readonly id: string;

  constructor(op: WriteOp, kind: ObjectKind, id: string, options: SwarmErrorOptions = {}) {
    super('ERR_STORE_NOT_FOUND', `Cannot ${op} ${kind} "${id}": no such ${kind}`, {
      ...options,
      fields: { ...options.fields, 'object.kind': kind, [`${kind}.id`]: id },
    });
    this.kind = kind;
    this.id = id;
  }
}

/**
 * Optimistic concurrency: an update carried the `meta.version` it read, and the object has been written
 * since. Read it again, reapply the change and retry.
 */
export class VersionConflictError extends StoreError {
  readonly kind: ObjectKind;
  readonly id: string;
  /** The version the update carried (the one its writer read). */
  readonly expected: number;
  /** The version the object is at. */
  readonly actual: number;

  constructor(
    kind: ObjectKind,
    id: string,
    expected: number,
    actual: number,
    options: SwarmErrorOptions = {},
  ) {
    super(
      'ERR_STORE_VERSION_CONFLICT',
      `Cannot update ${kind} "${id}": version ${expected} is out of date, the ${kind} is at version ${actual}`,
      {
        ...options,
        fields: { ...options.fields, 'object.kind': kind, [`${kind}.id`]: id, expected, actual },
      },
    );
    this.kind = kind;
    this.id = id;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A reference (a name or an id prefix) matches more than one object, so it does not say which one is
 * meant: node names (hostnames) are not unique, and a short id prefix may start several ids.
 */
export class AmbiguousReferenceError extends StoreError {
  readonly kind: ObjectKind;
  readonly ref: string;
  /** Some of the matching ids (at most 10), sorted. */
  readonly matches: readonly string[];

  constructor(
    kind: ObjectKind,
    ref: string,
    by: 'name' | 'id prefix',
    matches: readonly string[],
    options: SwarmErrorOptions = {},
  ) {
    const count = matches.length >= 10 ? 'at least 10' : String(matches.length);
    super(
      'ERR_STORE_AMBIGUOUS_REFERENCE',
      `Cannot resolve ${kind} "${ref}": ${count} ${kind}s match it by ${by}`,
      {
        ...options,
        fields: { ...options.fields, 'object.kind': kind, ref, matches },
      },
    );
    this.kind = kind;
    this.ref = ref;
    this.matches = matches;
  }
}

/**
 * A store entry (a list of actions) is malformed: an unknown kind or action, an object without an id, a
 * value JSON cannot carry, bytes that do not decode. Apply rejects the whole entry with it.
 */
export class InvalidActionError extends StoreError {
  /** The position of the offending action in its entry, or -1 when the entry as a whole is bad. */
  readonly position: number;

  constructor(position: number, problem: string, options: SwarmErrorOptions = {}) {
    const where = position < 0 ? 'store entry' : `store action ${position}`;
    super('ERR_STORE_INVALID_ACTION', `Cannot apply ${where}: ${problem}`, {
      ...options,
      fields: { ...options.fields, position },
    });
    this.position = position;
  }
}

/** {@link MemoryStore.restore} was given bytes that are not a store snapshot; the store is unchanged. */
export class SnapshotDecodeError extends StoreError {
  constructor(problem: string, options: SwarmErrorOptions = {}) {
    super('ERR_STORE_SNAPSHOT_DECODE', `Cannot restore store snapshot: ${problem}`, options);
  }
}

/**
 * A watcher fell so far behind that its queue reached its bound: the store closed it and dropped what it
 * held. Start again from a fresh view (`viewAndWatch`).
 */
export class WatcherOverflowError extends StoreError {
  /** The bound that was reached. */
  readonly limit: number;

  constructor(limit: number, options: SwarmErrorOptions = {}) {
    super(
      'ERR_STORE_WATCHER_OVERFLOW',
      `Cannot deliver store events to a watcher: its queue reached ${limit} events, so it was closed`,
      { ...options, fields: { ...options.fields, limit } },
    );
    this.limit = limit;
  }
}
