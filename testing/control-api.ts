/**
 * The Control API served over a real Unix socket against a real store (manager/controlapi/testing), and
 * the store's object fixtures, for the tests of its clients: cli/ may not import manager/, and tests of
 * any folder may import this one (design.md §2).
 */
export {
  type ControlHarness,
  type ControlHarnessOptions,
  startControlHarness,
} from '../manager/controlapi/testing/index.js';
export { testCluster, testNode, testService, testTask } from '../manager/store/testing/index.js';
