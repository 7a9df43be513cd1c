/** @module manager/controlapi/testing — a Control API served over a real socket, for tests. */
export { assertStatus } from './assert.js';
export type { ControlHarness, ControlHarnessOptions, RequestOf, ResponseOf, UnaryMethod } from './harness.js';
export { startControlHarness } from './harness.js';
