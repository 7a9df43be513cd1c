/** @module common/testing — fakes of common's interfaces, for tests only. */
export { FakeClock } from './fake-clock.js';
