/** @module runtime-native/testing — fixtures for tests and benchmarks that run real containers. */
export {
  hybridCgroupWrapper,
  makeBusyboxRootfs,
  probePath,
  TestHost,
  type TestHostOptions,
} from './test-host.js';
export { pollUntil, waitForFile } from './wait-for.js';
