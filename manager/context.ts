import type * as grpc from '@grpc/grpc-js';
import type { Clock, GrpcCaller, IdSource, Logger } from '../common/index.js';
import type { PeerIdentity } from '../pki/index.js';
import type { LeaderTask } from './leadership.js';
import type { ManagerMetrics } from './metrics.js';
import type { MemberStatus } from './replication/index.js';
import type { MemoryStore } from './store/index.js';

/** Who leads, as this manager sees it. */
export interface ManagerLeaderInfo {
  readonly isLeader: boolean;
  /** The leader's raft id, or null during an election. */
  readonly leaderId: bigint | null;
  /** The leader's cluster address (`host:port`), or null when unknown. */
  readonly address: string | null;
  readonly term: number;
}

/**
 * What a service registered on the manager gets (`ManagerOptions.services`): the one gRPC server (cluster
 * port and Unix socket), the replicated store, and the few manager facts it needs. Given once, at start,
 * after the node's identity is known and before raft runs.
 */
export interface ManagerContext {
  /** The gRPC server of the cluster port and of `<state-dir>/swarmd.sock`: `server.addService(def, impl)`. */
  readonly server: grpc.Server;
  /** The cluster store: writes made on any manager reach the leader (manager/README.md, forwarding). */
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ids: IdSource;
  readonly nodeId: string;
  readonly raftId: bigint;
  readonly clusterId: string;
  /** The manager's metrics: services feed the dispatcher's and scheduler's (manager/metrics.ts). */
  readonly metrics: ManagerMetrics;
  /**
   * A linearizable read barrier: resolves once this manager's store has applied everything committed
   * when it was called (ReadIndex, through the leader), so a view afterwards sees every write that
   * completed before. Waits for a leader up to `leaderWaitMs`.
   * @throws (rejects) NoLeaderError; ReplicationTimeoutError; StoppedError
   */
  linearizableRead(): Promise<void>;
  /** Who leads now. */
  leader(): ManagerLeaderInfo;
  /** The raft members: id, address, voter or learner, and (on the leader) how far each has replicated. */
  members(): readonly MemberStatus[];
  /**
   * Registers leader-only work: `task(signal)` runs while this manager leads and `signal` aborts when it
   * stops leading (orchestrators, scheduler, dispatcher).
   */
  runWhileLeader(name: string, task: LeaderTask): void;
  /**
   * Who makes a call: the node its certificate names (the cluster port), or null for the local socket.
   * The server already refused callers whose role may not call the method (manager/cluster-authz.ts).
   */
  caller(call: GrpcCaller): PeerIdentity | null;
  /** How to reach other managers: this node's client certificate, and the TLS target name. */
  readonly dial: { readonly credentials: grpc.ChannelCredentials; readonly options: grpc.ChannelOptions };
}

/** A service of the manager: registers its gRPC handlers (and leader-only work) on the context. */
export type ManagerService = (ctx: ManagerContext) => void;
