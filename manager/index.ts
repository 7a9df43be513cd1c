/**
 * @module manager — the manager's composition root (manager.ts) and what the daemon needs of it: the
 * {@link Manager}, its options, the {@link ManagerContext} services register with, and the errors. See
 * README.md in this folder.
 */

export type { HostPort } from './address.js';
export { formatAddress, isUnspecifiedHost, parseAddress } from './address.js';
export { serveRunningCluster } from './cluster-services.js';
export type { ManagerContext, ManagerLeaderInfo, ManagerService } from './context.js';
export {
  ClusterNotReadyError,
  JoinRefusedError,
  LeaderUnreachableError,
  ListenFailedError,
  ManagerError,
  NodeNotFoundError,
  NoLeaderError,
  RemoteError,
  StateDirError,
} from './errors.js';
export { isJoinToken } from './join-token.js';
export type { LeaderTask } from './leadership.js';
export type { ManagerState, ManagerStatus } from './manager.js';
export { Manager } from './manager.js';
export { joinWithToken } from './node-identity.js';
export type { NodeState, PeerAddress } from './node-state.js';
export { NODE_FILE, readNodeState } from './node-state.js';
export type { CompiledManagerOptions, ManagerMode, ManagerOptions, ManagerRaftOptions } from './options.js';
export { compileManagerOptions } from './options.js';
export { loadOrCreateDataKey, readDataKeyState } from './replication/index.js';
