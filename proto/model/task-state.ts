/**
 * Task states, after swarmkit's: spaced values that only ever increase. Managers move a task up to
 * ASSIGNED (orchestrator NEW, allocator PENDING, scheduler ASSIGNED), agents everything after; REMOVE is a
 * desired state only, ORPHANED is set by the dispatcher for a node lost for good.
 */
export const TASK_STATES = {
  NEW: 0,
  PENDING: 64,
  ASSIGNED: 192,
  ACCEPTED: 256,
  PREPARING: 320,
  READY: 384,
  STARTING: 448,
  RUNNING: 512,
  COMPLETE: 576,
  SHUTDOWN: 640,
  FAILED: 704,
  REJECTED: 768,
  REMOVE: 800,
  ORPHANED: 832,
} as const;

export type TaskState = keyof typeof TASK_STATES;

export const TASK_STATE_NAMES = Object.keys(TASK_STATES) as TaskState[];

/** The ordering value of a state: a task may move from a to b only when `taskStateValue(b) > taskStateValue(a)`. */
export function taskStateValue(s: TaskState): number {
  return TASK_STATES[s];
}

/** True for states a task never leaves on its own (it ended, or never ran). */
export function isTerminalTaskState(s: TaskState): boolean {
  return TASK_STATES[s] > TASK_STATES.RUNNING;
}

export function isTaskState(s: string): s is TaskState {
  return Object.hasOwn(TASK_STATES, s);
}
