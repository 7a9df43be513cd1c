/**
 * @module agent/exec — how an agent runs a task: the `Executor`/`Controller` interfaces a runtime
 * implements and the `doStep()` task state machine (see README.md for the diagram).
 */
export type { ContainerExit, ContainerUsage, Controller, Executor } from './controller.js';
export { doStep, type StepOptions, type StepResult } from './do-step.js';
export { ExecError, ExitError, StepAbortedError } from './errors.js';
