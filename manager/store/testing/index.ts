/** @module manager/store/testing — fakes and fixtures for tests of the store and of its consumers. */

export { testTaskSpec } from '../../../proto/testing/index.js';
export { SeededIdSource } from './ids.js';
export type { MockLogEntry, MockProposerOptions } from './mock-proposer.js';
export { MockProposer } from './mock-proposer.js';
export type { TestNodeInit, TestServiceInit, TestTaskInit } from './objects.js';
export {
  TEST_ROOT_CA,
  testCluster,
  testConfig,
  testNetwork,
  testNode,
  testSecret,
  testService,
  testTask,
} from './objects.js';
