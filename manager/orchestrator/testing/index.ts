/** @module manager/orchestrator/testing — a fake scheduler and agents, and a harness, for orchestrator tests. */
export { converge, FakeCluster } from './fake-cluster.js';
export { Harness } from './harness.js';
