import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the command wrote on fd 3, with `extraFd`. */
  extra?: string;
}

export interface SpawnCommandOptions {
  /** Written to the command's stdin, which is closed afterwards. @default stdin is /dev/null */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Give the command a pipe as fd 3 and collect it into `extra`. @default false */
  extraFd?: boolean;
}

/** Runs a command to completion and collects its output; never rejects for a non-zero exit. */
export function spawnCommand(
  file: string,
  args: readonly string[],
  options: SpawnCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [
        options.input === undefined ? 'ignore' : 'pipe',
        'pipe',
        'pipe',
        ...(options.extraFd ? ['pipe' as const] : []),
      ],
      ...(options.env ? { env: options.env } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const extra: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (options.extraFd) child.stdio[3]?.on('data', (b: Buffer) => extra.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result: CommandResult = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (extra.length > 0) result.extra = Buffer.concat(extra).toString('utf8');
      resolve(result);
    });
    if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
  });
}
