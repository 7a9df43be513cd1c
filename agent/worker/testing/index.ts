/** @module agent/worker/testing — fakes and builders for tests of the worker and the agent. */
export { type EventuallyOptions, eventually } from '../../exec/testing/index.js';
export { FakeExecutor } from './fake-executor.js';
export { assignedTask, changes, completeSet, withDesired } from './tasks.js';
