/**
 * @module manager/replication/testing — fixtures of the replication driver's tests and benchmark: the
 * key-value state machine, the kv-node process (`kv-node.ts`), its HTTP client and a cluster of such
 * processes, and the in-process cluster of {@link ReplicatedNode}s. Test and benchmark code only.
 */

export type { InProcessClusterOptions, InProcessMember } from './in-process-cluster.js';
export { InProcessCluster } from './in-process-cluster.js';
export type { KvWriteResult } from './kv-client.js';
export { KvClient, KvClientError } from './kv-client.js';
export type { KvClusterOptions, KvProcess } from './kv-cluster.js';
export { freeLoopbackPorts, KvCluster, KvNodeStartError, waitUntil } from './kv-cluster.js';
export type { KvNodeStatus } from './kv-node.js';
export type { KvCommand, KvResult, KvValue } from './kv-state-machine.js';
export { decodeKvCommand, encodeKvCommand, KvStateMachine } from './kv-state-machine.js';
export type { WalDamage } from './wal-tamper.js';
export { flipByteInMiddleRecord } from './wal-tamper.js';
