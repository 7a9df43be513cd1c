/**
 * A {@link CommandContext} for in-process tests of the commands: a real ControlClient to the given
 * address (a test's Control API harness), output and notices captured, a fixed clock, stdin and files
 * from memory.
 */
import { ControlClient } from '../client/control-client.js';
import { socketTarget } from '../client/target.js';
import type { CommandContext, OutputFormat } from '../context.js';

export interface TestContextOptions {
  format?: OutputFormat;
  /** The time, or a clock's reading. @default 1_700_000_000_000 (the FakeClock's start) */
  now?: number | (() => number);
  stdin?: Buffer | string;
  files?: Record<string, Buffer | string>;
  /** @default 10_000 */
  timeoutMs?: number;
}

export interface TestContext extends CommandContext {
  /** Everything written to stdout so far. */
  output(): string;
  /** Everything written as notices so far. */
  notices(): string;
  /** Forgets the output so far. */
  clear(): void;
  /** Ends long-running commands (as Ctrl-C does). */
  interrupt(): void;
  close(): void;
}

/** `address`: `unix:/path/swarmd.sock`, as the Control API harness gives it. */
export function testContext(address: string, options: TestContextOptions = {}): TestContext {
  const path = address.replace(/^unix:/, '');
  const abort = new AbortController();
  const client = new ControlClient({
    target: socketTarget(path, '/'),
    timeoutMs: options.timeoutMs ?? 10_000,
    signal: abort.signal,
  });
  let out = '';
  let notices = '';
  const files = options.files ?? {};
  return {
    client,
    format: options.format ?? 'table',
    out: (t) => {
      out += t;
    },
    notice: (t) => {
      notices += t;
    },
    now: () => (typeof options.now === 'function' ? options.now() : (options.now ?? 1_700_000_000_000)),
    readStdin: () => Promise.resolve(Buffer.from(options.stdin ?? '')),
    readFile: (p) => {
      const f = files[p];
      if (f === undefined)
        return Promise.reject(
          Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' }),
        );
      return Promise.resolve(Buffer.from(f));
    },
    signal: abort.signal,
    output: () => out,
    notices: () => notices,
    clear: () => {
      out = '';
      notices = '';
    },
    interrupt: () => abort.abort(),
    close: () => client.close(),
  };
}

/**
 * Resolves once `condition()` holds, checking every few milliseconds; rejects after `timeoutMs` with
 * `what` (a bounded wait for an event this process cannot subscribe to, such as another process's output).
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
