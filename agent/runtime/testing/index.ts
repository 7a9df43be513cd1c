/**
 * @module agent/runtime/testing — runtime-native's test host, for the agent's tests that run real
 * containers (the agent's composition root may not import runtime-native itself).
 */
export { TestHost, type TestHostOptions } from '../../../runtime-native/ts/testing/index.js';
