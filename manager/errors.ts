/**
 * The errors of the manager's composition root: routing to the leader, joining, the state dir. Each has a
 * stable `code`; they become gRPC statuses only in grpc-status.ts (one table).
 */
import { errorMessage, SwarmError, type SwarmErrorOptions } from '../common/index.js';

/** The base of every error of the manager root. */
export class ManagerError extends SwarmError {}

/**
 * No leader could be reached within the election wait (`leaderWaitMs`, 5 s by default): an election is
 * under way, or this manager is cut off from a quorum. Nothing was done. Temporary: retry later.
 */
/** Why a request found no leader, as the operator should read it on the manager they asked. */
export const NO_LEADER =
  'this manager knows no leader (an election is under way, or it cannot reach a majority of the managers)';

export class NoLeaderError extends ManagerError {
  readonly waitedMs: number;

  constructor(what: string, waitedMs: number, detail = NO_LEADER, options: SwarmErrorOptions = {}) {
    super('ERR_MANAGER_NO_LEADER', `Cannot ${what}: ${detail} (waited ${waitedMs} ms for one)`, {
      ...options,
      temporary: true,
      fields: { ...options.fields, 'wait.ms': waitedMs },
    });
    this.waitedMs = waitedMs;
  }
}

/**
 * A manager (the leader, or the one a joiner asked) could not be connected to before the request was
 * sent: certainly not done; the router retries.
 */
export class LeaderUnreachableError extends ManagerError {
  readonly address: string;

  constructor(what: string, address: string, options: SwarmErrorOptions = {}) {
    super('ERR_MANAGER_LEADER_UNREACHABLE', `Cannot ${what}: the manager at ${address} does not answer`, {
      ...options,
      temporary: true,
      fields: { ...options.fields, 'leader.address': address },
    });
    this.address = address;
  }
}

/**
 * An error another manager answered with, carried over gRPC: `code` is the remote error's code (so that
 * callers branch on it as on a local one), `grpcCode` the status. `outcome` says whether the request may
 * have taken effect: `unknown` when the call broke after it was sent.
 */
export class RemoteError extends ManagerError {
  readonly grpcCode: number;
  readonly outcome: 'not-done' | 'unknown';

  constructor(
    code: string,
    message: string,
    grpcCode: number,
    outcome: 'not-done' | 'unknown',
    options: SwarmErrorOptions = {},
  ) {
    super(code, message, { ...options, fields: { ...options.fields, 'grpc.code': grpcCode, outcome } });
    this.grpcCode = grpcCode;
    this.outcome = outcome;
  }
}

/**
 * A join was refused; nothing changed in the cluster. `token`: not the cluster's manager token;
 * `worker-token`: the worker token (workers join with the agents); `request`: a malformed request (the
 * address, the node id); `member`: the node or its address already belongs to a manager.
 */
export class JoinRefusedError extends ManagerError {
  readonly reason: 'token' | 'worker-token' | 'request' | 'member';

  constructor(reason: JoinRefusedError['reason'], detail: string, options: SwarmErrorOptions = {}) {
    const code =
      reason === 'token' || reason === 'worker-token' ? 'ERR_MANAGER_JOIN_TOKEN' : 'ERR_MANAGER_JOIN_REFUSED';
    super(code, `Cannot join the cluster: ${detail}`, {
      ...options,
      fields: { ...options.fields, reason },
    });
    this.reason = reason;
  }
}

/** The cluster's objects are not there yet (a leader was just elected in a new cluster). Temporary. */
export class ClusterNotReadyError extends ManagerError {
  constructor(what: string) {
    super('ERR_MANAGER_CLUSTER_NOT_READY', `Cannot ${what}: the cluster is still being created`, {
      temporary: true,
    });
  }
}

/**
 * The state dir cannot be used as asked: `swarmd join` on a dir that already belongs to a cluster, `run`
 * on an empty one, a damaged `node.json`, another swarmd on the same dir.
 */
export class StateDirError extends ManagerError {
  readonly dir: string;

  constructor(dir: string, problem: string, options: SwarmErrorOptions = {}) {
    super('ERR_MANAGER_STATE_DIR', `Cannot use state dir ${dir}: ${problem}`, {
      ...options,
      fields: { ...options.fields, 'state.dir': dir },
    });
    this.dir = dir;
  }
}

/** A request names a node that has no Node object. */
export class NodeNotFoundError extends ManagerError {
  constructor(what: string, nodeId: string) {
    super('ERR_MANAGER_NODE_NOT_FOUND', `Cannot ${what}: node "${nodeId}" not found`, {
      fields: { 'node.id': nodeId },
    });
  }
}

/** The cluster port or the Unix socket cannot be bound (in use, no such address, no permission). */
export class ListenFailedError extends ManagerError {
  readonly address: string;

  constructor(address: string, options: SwarmErrorOptions = {}) {
    super('ERR_MANAGER_LISTEN', `Cannot listen on ${address}: ${errorMessage(options.cause)}`, {
      ...options,
      fields: { ...options.fields, address },
    });
    this.address = address;
  }
}
