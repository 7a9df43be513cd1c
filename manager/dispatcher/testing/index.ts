/** @module manager/dispatcher/testing — a test Authenticator and a served dispatcher for tests. */
export type { DispatcherHarnessOptions, OpenSession } from './harness.js';
export { DispatcherHarness, refusal, StreamReader, testDescription, WAIT_BOUND_MS } from './harness.js';
export {
  TEST_NODE_ID_METADATA,
  TEST_NODE_ROLE_METADATA,
  testAuthenticator,
  testNodeMetadata,
} from './test-authenticator.js';
