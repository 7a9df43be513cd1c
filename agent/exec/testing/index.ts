/** @module agent/exec/testing — fakes of the exec interfaces, for tests only. */
export { FakeController } from './fake-controller.js';
