/**
 * @module agent/worker — the agent's task side: reconciles the node's assignment set into one task
 * manager per task (each drives `exec.doStep()` and restarts crashed containers in place when the restart
 * policy allows), and keeps the local task DB that a restarted agent reloads (see ../README.md).
 */
export { AssignmentInvalidError, TaskRecordInvalidError } from './errors.js';
export {
  attemptAllowed,
  conditionAllows,
  DEFAULT_RESTART_DELAYS,
  emptyRestartHistory,
  planRestart,
  type RestartHistory,
} from './restart-policy.js';
export { type LoadedTasks, TaskDb } from './task-db.js';
export {
  type ContainerEvents,
  type RestartableController,
  TaskManager,
  type TaskManagerOptions,
} from './task-manager.js';
export { parseTaskRecord, TASK_ID_PATTERN, type TaskRecord, taskProblem } from './task-record.js';
export { type ApplyResult, Worker, type WorkerOptions, type WorkerTask } from './worker.js';
