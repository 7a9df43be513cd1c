/**
 * What every command gets from the composition root (cli/main.ts): the Control API client, where to
 * write, the output format, the clock, the inputs, and a signal for Ctrl-C. Commands never read flags,
 * environment or process state themselves.
 */
import type { ControlClient } from './client/control-client.js';

/** `table` (for people, the default) or `json` (for scripts: the objects as the API returns them). */
export type OutputFormat = 'table' | 'json';

export interface CommandContext {
  readonly client: ControlClient;
  /** Writes to standard output. */
  out(text: string): void;
  /** A notice for people on standard error (not for scripts); may be a no-op. */
  notice(text: string): void;
  readonly format: OutputFormat;
  /** Milliseconds since the epoch, for "3 seconds ago". */
  now(): number;
  /** All of standard input. */
  readStdin(): Promise<Buffer>;
  readFile(path: string): Promise<Buffer>;
  /** Aborted when the user interrupts (Ctrl-C): long-running commands end cleanly. */
  readonly signal: AbortSignal;
}
