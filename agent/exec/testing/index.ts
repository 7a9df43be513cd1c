/** @module agent/exec/testing — fakes of the exec interfaces and a bounded wait, for the agent's tests. */
export { type EventuallyOptions, eventually } from './eventually.js';
export { FakeController } from './fake-controller.js';
