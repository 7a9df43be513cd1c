/**
 * @module manager/orchestrator — leader-only components that keep the store's tasks matching the
 * services: the replicated and global orchestrators, the restart supervisor (restart policy, default
 * backoff, delayed restarts and their promotion), node-loss replacement, the task reaper and the
 * constraint enforcer. {@link Orchestrators} runs them all. See README.md.
 */
export { ConstraintEnforcer, tasksToEvict } from './constraint-enforcer.js';
export type { OrchestratorDeps } from './deps.js';
export type { GlobalNodeFit } from './global-orchestrator.js';
export { GlobalOrchestrator, globalNodeFit } from './global-orchestrator.js';
export { Orchestrators } from './orchestrators.js';
export { RETRY_MS } from './reconcile-loop.js';
export { pickSlotsToRemove, ReplicatedOrchestrator } from './replicated-orchestrator.js';
export type { RestartDecision } from './restart-supervisor.js';
export { RESTART_BACKOFF, RestartSupervisor } from './restart-supervisor.js';
export { DEFAULT_TASK_HISTORY, TaskReaper } from './task-reaper.js';
export { deepEqual, endedOnItsOwn, isGivenUp, isLostNode, isOutdated, isRunnable, newTask } from './tasks.js';
