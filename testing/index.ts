/** @module testing — cross-cutting harnesses for e2e tests and benchmarks (real processes). */

export { waitUntil } from '../manager/replication/testing/index.js';
export * from './control-api.js';
export {
  SwarmdCluster,
  type SwarmdClusterOptions,
  type SwarmdHealth,
  SwarmdProcess,
} from './swarmd-cluster.js';
export {
  Testnet,
  TestnetError,
  type TestnetHealth,
  type TestnetHost,
} from './testnet.js';
