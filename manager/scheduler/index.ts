/**
 * @module manager/scheduler — places PENDING tasks on nodes (leader only): a pure placement function over
 * a node set ({@link placeTasks}: filter pipeline, spread scoring, placement preferences, batches) and the
 * {@link Scheduler} component that feeds it from the store and writes its decisions. See README.md.
 *
 * @example
 * ```ts
 * leadership.add('scheduler', (signal) => new Scheduler({ store, clock, logger }).run(signal));
 * ```
 */

export type { BatchRules, Filter } from './filters.js';
export { FILTERS, noSuitableNodeMessage } from './filters.js';
export type { NodeInfo, TaskUsage } from './node-set.js';
export { hostPortKeys, NodeSet, taskUsage } from './node-set.js';
export type { CompiledSchedulerOptions, SchedulerOptions } from './options.js';
export { compileSchedulerOptions } from './options.js';
export type { Decision, TaskBatch } from './place-tasks.js';
export { placeTasks } from './place-tasks.js';
export type { SchedulerStats } from './scheduler.js';
export { Scheduler } from './scheduler.js';
