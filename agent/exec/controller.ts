import type { NodeDescription, Task } from '../../proto/index.js';

/** How a container ended. */
export interface ContainerExit {
  exitCode: number;
  /** The signal that ended it ('SIGKILL'), or null. */
  signal: string | null;
  oomKilled: boolean;
}

/**
 * Runs one task on this node, after swarmkit's exec.Controller. Each method is called by doStep in the
 * task's lifecycle order and must be idempotent: a restarted agent calls them again for a task that may
 * already be prepared or running. A method throws {@link ExecError} (or any error) to fail the task; an
 * error marked temporary (`isTemporary` from common) makes doStep retry the same step later instead.
 */
export interface Controller {
  /** Everything up to a created container: image, network, bundle. Idempotent. */
  prepare(): Promise<void>;
  /** Starts the created container. A container already running is not an error. */
  start(): Promise<void>;
  /**
   * Resolves when the container has ended, with how. MUST reject with the signal's reason (or
   * `StepAbortedError`) when `signal` aborts, leaving the container running.
   */
  wait(signal: AbortSignal): Promise<ContainerExit>;
  /** Stops the container: SIGTERM, the grace period, then SIGKILL. Ended already is not an error. */
  shutdown(): Promise<void>;
  /** Kills it at once. */
  terminate(): Promise<void>;
  /** Removes what prepare made. Missing is not an error. */
  remove(): Promise<void>;
  /** The container's id and pid, when it exists. */
  inspect(): Promise<{ containerId: string; pid: number } | null>;
}

/** What a task's container uses now, from its cgroup. */
export interface ContainerUsage {
  /** CPU time of every process of the container, in seconds. */
  cpuSeconds: number;
  /** Time the CPU quota held the container back, in seconds. */
  cpuThrottledSeconds: number;
  memoryBytes: number;
  /** Absent when unlimited. */
  memoryLimitBytes?: number;
  pids: number;
}

/** Makes controllers for tasks and describes the node they run on, after swarmkit's exec.Executor. */
export interface Executor {
  describe(): Promise<NodeDescription>;
  controller(task: Task): Controller;
  /** The task's container's usage, or null when it has none (for metrics; optional). */
  usage?(taskId: string): Promise<ContainerUsage | null>;
}
