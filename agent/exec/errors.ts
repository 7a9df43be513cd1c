import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';

/** A controller could not do what a task needs (pull an image, create a container...). */
export class ExecError extends SwarmError {
  constructor(message: string, options: SwarmErrorOptions = {}) {
    super('ERR_EXEC_FAILED', message, options);
  }
}

/** The container ended with a non-zero status (or a signal). */
export class ExitError extends SwarmError {
  readonly exitCode: number;
  readonly oomKilled: boolean;

  constructor(exitCode: number, signal: string | null, oomKilled: boolean) {
    const how = oomKilled
      ? `was OOM-killed at its memory limit (exit code ${exitCode})`
      : signal
        ? `was killed by ${signal} (exit code ${exitCode})`
        : `exited with code ${exitCode}`;
    super('ERR_EXEC_EXIT', `task: the container ${how}`, { fields: { exitCode, signal, oomKilled } });
    this.exitCode = exitCode;
    this.oomKilled = oomKilled;
  }
}

/** doStep was stopped (the task manager is shutting down, or the desired state changed mid-wait). */
export class StepAbortedError extends SwarmError {
  constructor() {
    super('ERR_EXEC_ABORTED', 'task: the step was aborted');
  }
}
