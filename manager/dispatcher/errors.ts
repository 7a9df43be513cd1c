/**
 * The dispatcher's errors and the ONE table that turns them into gRPC statuses for agents
 * ({@link dispatcherErrorToStatus}). Statuses carry the error's code (`x-swarmd-error-code`) and fields
 * (`x-swarmd-error-fields-bin`) in the trailers exactly as common/grpc-status-errors.ts writes them, so an
 * agent reads them back with common's `statusToError`. Codes not in this table (the store's, the
 * replication layer's, reaching the handlers through a write) fall back to common's table.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type ErrorStatus,
  errorCode,
  errorMessage,
  errorToStatus,
  type StatusRule,
  SwarmError,
  type SwarmErrorOptions,
} from '../../common/index.js';

/** The base of every dispatcher error. */
export class DispatcherError extends SwarmError {}

/** A manager address as sent to agents (SessionMessage.managers, NotLeaderError.fields.managers). */
export interface ManagerAddress {
  nodeId: string;
  addr: string;
}

/**
 * This manager's dispatcher is not running (it does not lead, or leadership is changing): the agent tries
 * another manager. `fields.managers` lists the managers this one knows.
 */
export class NotLeaderError extends DispatcherError {
  constructor(what: string, managers: readonly ManagerAddress[]) {
    super(
      'ERR_DISPATCHER_NOT_LEADER',
      `Cannot ${what}: this manager's dispatcher is not running (it is not the leader)`,
      { temporary: true, fields: { managers: managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr })) } },
    );
  }
}

/** The caller has no usable identity (no certificate, or not a node's). */
export class UnauthenticatedError extends DispatcherError {
  constructor(reason: string, options: SwarmErrorOptions = {}) {
    super('ERR_DISPATCHER_UNAUTHENTICATED', `Cannot identify the calling node: ${reason}`, options);
  }
}

/** The calling node has no Node object: it was removed from the cluster (or never joined). */
export class NodeRemovedError extends DispatcherError {
  readonly nodeId: string;

  constructor(nodeId: string, options: SwarmErrorOptions = {}) {
    super(
      'ERR_DISPATCHER_NODE_REMOVED',
      `Node "${nodeId}" is not a member of the cluster: it was removed, or never joined`,
      { ...options, fields: { ...options.fields, 'node.id': nodeId } },
    );
    this.nodeId = nodeId;
  }
}

/** Why a session id is not (or no longer) valid. */
export type SessionEndReason = 'unknown' | 'superseded' | 'expired' | 'closed';

const SESSION_REASONS: Record<SessionEndReason, string> = {
  unknown: 'no such session on this dispatcher',
  superseded: 'the node opened a newer session',
  expired: 'the node missed its heartbeats',
  closed: 'the session stream was closed',
};

/**
 * A call carries a session id that is unknown, superseded or expired (also how a superseded or expired
 * Session stream ends): the agent opens a new session.
 */
export class SessionUnknownError extends DispatcherError {
  readonly reason: SessionEndReason;

  constructor(nodeId: string, sessionId: string, reason: SessionEndReason) {
    super(
      'ERR_DISPATCHER_SESSION_UNKNOWN',
      `Session "${sessionId}" of node "${nodeId}" is not valid: ${SESSION_REASONS[reason]}`,
      { fields: { 'node.id': nodeId, 'session.id': sessionId, reason } },
    );
    this.reason = reason;
  }
}

/**
 * A request breaks a rule: the message names the field (as in proto/dispatcher.proto) and the rule,
 * `Cannot update task status of node "n1": updates[3].state: must be ..., got "BOGUS"`.
 */
export class InvalidRequestError extends DispatcherError {
  /** The field at fault, `updates[3].state`. */
  readonly field: string;

  constructor(what: string, field: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_DISPATCHER_INVALID_REQUEST', `Cannot ${what}: ${field}: ${rule}`, {
      ...options,
      fields: { ...options.fields, field },
    });
    this.field = field;
  }
}

const openSession = (): string => '; open a new session';

/** The table: dispatcher error codes → gRPC statuses. */
export const DISPATCHER_STATUS_BY_CODE: Readonly<Record<string, StatusRule>> = Object.freeze({
  ERR_DISPATCHER_NOT_LEADER: { status: grpc.status.UNAVAILABLE, hint: () => '; try another manager' },
  ERR_DISPATCHER_UNAUTHENTICATED: { status: grpc.status.UNAUTHENTICATED },
  ERR_DISPATCHER_NODE_REMOVED: { status: grpc.status.PERMISSION_DENIED },
  ERR_DISPATCHER_SESSION_UNKNOWN: { status: grpc.status.NOT_FOUND, hint: openSession },
  ERR_DISPATCHER_INVALID_REQUEST: { status: grpc.status.INVALID_ARGUMENT },
});

/** The status the dispatcher answers `err` with: this module's table, else common's. */
export function dispatcherErrorToStatus(err: unknown): ErrorStatus {
  const base = errorToStatus(err);
  const code = errorCode(err);
  const rule = code === undefined ? undefined : DISPATCHER_STATUS_BY_CODE[code];
  if (rule === undefined) return base;
  return { ...base, code: rule.status, details: errorMessage(err) + (rule.hint?.(err) ?? '') };
}
