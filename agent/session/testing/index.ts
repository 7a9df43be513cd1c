/** @module agent/session/testing — a fake Dispatcher server for tests of the agent's session. */
export { type EventuallyOptions, eventually } from '../../exec/testing/index.js';
export { FakeDispatcher, type FakeDispatcherOptions } from './fake-dispatcher.js';
