/**
 * swarmctl as a real process, for end-to-end tests: `node <build>/cli/main.js ARGS`, resolved relative to
 * this module so that the tests run from whichever build directory they were compiled to (the same as
 * bin/swarmctl, which imports that module).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled entry point of swarmctl in this build. */
export const SWARMCTL_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Extra environment; SWARM_SOCKET is removed unless given here. */
  env?: Record<string, string>;
  stdin?: string | Buffer;
  /** Kills the process (SIGKILL) after this long. @default 30_000 */
  timeoutMs?: number;
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SWARM_SOCKET;
  return { ...env, ...extra };
}

/** Runs swarmctl to completion. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [SWARMCTL_MAIN, ...args], {
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A swarmctl process that keeps running (`events`), with its output so far. */
export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`; rejects when the process ends first or after `timeoutMs`. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the result once it exited (SIGKILL after `timeoutMs`). */
  interrupt(timeoutMs?: number): Promise<CliResult>;
  /** SIGKILL, if still running. */
  kill(): void;
}

export function startCli(args: readonly string[], options: RunCliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [SWARMCTL_MAIN, ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    poke();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    poke();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
      poke();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput(text, timeoutMs = 15_000) {
      const has = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${String(text)} on stdout within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        function check(): void {
          if (has()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (done || child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`swarmctl exited before ${String(text)}; stdout: ${stdout}; stderr: ${stderr}`));
          }
        }
        waiters.add(check);
        check();
      });
    },
    async interrupt(timeoutMs = 15_000) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
