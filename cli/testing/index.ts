/** @module cli/testing — swarmctl for tests: an in-process command context, and the CLI as a process. */
export type { TestContext, TestContextOptions } from './cli-context.js';
export { testContext, until } from './cli-context.js';
export type { CliResult, RunCliOptions, RunningCli } from './run-cli.js';
export { runCli, SWARMCTL_MAIN, startCli } from './run-cli.js';
