/**
 * The one table that turns the manager root's errors (and the replication errors it passes on) into gRPC
 * statuses for its services (Membership, Forwarding), and the statuses of another manager back into
 * errors. The status carries the error's `code` and whether it is temporary in trailing metadata, so
 * that a follower relaying a leader's answer, or routing a write, branches on codes, never on text.
 */
import * as grpc from '@grpc/grpc-js';
import { errorMessage, isTemporary, SwarmError } from '../common/index.js';
import {
  ClusterNotReadyError,
  JoinRefusedError,
  LeaderUnreachableError,
  NodeNotFoundError,
  NoLeaderError,
  RemoteError,
} from './errors.js';
import {
  MembershipError,
  NotLeaderError,
  ProposalDroppedError,
  ReplicationTimeoutError,
  StoppedError,
} from './replication/index.js';

export const ERROR_CODE_KEY = 'x-swarmd-error-code';
export const ERROR_TEMPORARY_KEY = 'x-swarmd-error-temporary';
export const ERROR_REASON_KEY = 'x-swarmd-error-reason';

/** Request metadata of a call a follower relays to the leader: the leader never relays it again. */
export const FORWARDED_KEY = 'x-swarmd-forwarded';

/** Error codes that say the request was not carried out (a retry cannot do it twice). */
const NOT_DONE = new Set([
  'ERR_REPLICATION_NOT_LEADER',
  'ERR_REPLICATION_PROPOSAL_DROPPED',
  'ERR_REPLICATION_MEMBERSHIP',
  'ERR_MANAGER_NO_LEADER',
  'ERR_MANAGER_LEADER_UNREACHABLE',
  'ERR_MANAGER_JOIN_TOKEN',
  'ERR_MANAGER_JOIN_REFUSED',
  'ERR_MANAGER_CLUSTER_NOT_READY',
  'ERR_MANAGER_NODE_NOT_FOUND',
  'ERR_MANAGER_NOT_IMPLEMENTED',
]);

function statusOf(err: unknown): grpc.status {
  if (err instanceof RemoteError) return err.grpcCode;
  if (
    err instanceof NoLeaderError ||
    err instanceof NotLeaderError ||
    err instanceof LeaderUnreachableError ||
    err instanceof StoppedError ||
    err instanceof ProposalDroppedError ||
    err instanceof ClusterNotReadyError
  )
    return grpc.status.UNAVAILABLE;
  if (err instanceof ReplicationTimeoutError) return grpc.status.DEADLINE_EXCEEDED;
  if (err instanceof JoinRefusedError)
    return err.reason === 'token'
      ? grpc.status.PERMISSION_DENIED
      : err.reason === 'request'
        ? grpc.status.INVALID_ARGUMENT
        : err.reason === 'member'
          ? grpc.status.ALREADY_EXISTS
          : grpc.status.FAILED_PRECONDITION;
  if (err instanceof MembershipError) return grpc.status.FAILED_PRECONDITION;
  if (err instanceof NodeNotFoundError) return grpc.status.NOT_FOUND;
  if (err instanceof RangeError || err instanceof TypeError) return grpc.status.INVALID_ARGUMENT;
  return grpc.status.INTERNAL;
}

/** The status a service answers `err` with (code and temporariness in the trailers). */
export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const code =
    err instanceof SwarmError
      ? err.code
      : err instanceof RangeError || err instanceof TypeError
        ? 'ERR_INVALID_ARGUMENT'
        : 'ERR_INTERNAL';
  metadata.set(ERROR_CODE_KEY, code);
  metadata.set(ERROR_TEMPORARY_KEY, String(isTemporary(err)));
  if (err instanceof ProposalDroppedError) metadata.set(ERROR_REASON_KEY, err.reason);
  if (err instanceof RemoteError && typeof err.fields.reason === 'string')
    metadata.set(ERROR_REASON_KEY, err.fields.reason);
  return { code: statusOf(err), details: errorMessage(err), metadata };
}

function first(md: grpc.Metadata | undefined, key: string): string | null {
  const v = md?.get(key)[0];
  return typeof v === 'string' ? v : null;
}

/**
 * The error for a failed call to another manager (`what` names the call, `address` the manager). With
 * our trailers: a {@link RemoteError} with the remote code; without (the call broke on the way): code
 * `ERR_MANAGER_CALL_FAILED`, outcome unknown, temporary for UNAVAILABLE / DEADLINE_EXCEEDED / CANCELLED;
 * UNIMPLEMENTED (the manager is still registering its services) counts as not done.
 */
export function fromStatus(what: string, address: string, err: grpc.ServiceError): RemoteError {
  const code = first(err.metadata, ERROR_CODE_KEY);
  if (code !== null) {
    const reason = first(err.metadata, ERROR_REASON_KEY);
    return new RemoteError(code, err.details, err.code, NOT_DONE.has(code) ? 'not-done' : 'unknown', {
      temporary: first(err.metadata, ERROR_TEMPORARY_KEY) === 'true',
      fields: { 'peer.address': address, ...(reason === null ? {} : { reason }) },
    });
  }
  if (err.code === grpc.status.UNIMPLEMENTED)
    return new RemoteError(
      'ERR_MANAGER_NOT_IMPLEMENTED',
      `Cannot ${what}: the manager at ${address} does not serve it (yet)`,
      err.code,
      'not-done',
      { temporary: true, fields: { 'peer.address': address } },
    );
  const temporary =
    err.code === grpc.status.UNAVAILABLE ||
    err.code === grpc.status.DEADLINE_EXCEEDED ||
    err.code === grpc.status.CANCELLED;
  return new RemoteError(
    'ERR_MANAGER_CALL_FAILED',
    `Cannot ${what}: the call to the manager at ${address} failed (${grpc.status[err.code] ?? err.code}: ${err.details}); the outcome is unknown`,
    err.code,
    'unknown',
    { temporary, fields: { 'peer.address': address } },
  );
}
