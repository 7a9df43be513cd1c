import { mkdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { errorCode, type Logger, nullLogger } from '../../common/index.js';
import { cgroupDirsFor } from './cgroup-paths.js';
import { type CgroupDirs, type ContainerStats, readCgroupStats } from './cgroup-stats.js';
import {
  ContainerExistsError,
  ContainerNotFoundError,
  ExitUnknownError,
  RuntimeCommandError,
} from './errors.js';
import { type ExitRecord, parseExitRecord } from './exit-record.js';
import { readBundleSpec } from './oci/index.js';
import { swarmRuntimePath } from './paths.js';
import { type CommandResult, spawnCommand } from './spawn-command.js';

/** Which OCI runtime a binary is: ours, or one of the two it stands in for. */
export type RuntimeKind = 'swarm-runtime' | 'crun' | 'runc';

export interface OciRuntimeOptions {
  /** Path of the runtime binary. @default the swarm-runtime built in runtime-native/build */
  binary?: string;
  /** What the binary is. @default derived from the binary's file name (anything else is swarm-runtime) */
  kind?: RuntimeKind;
  /** The runtime's state root (`--root`), absolute. */
  root: string;
  /**
   * crun and runc only: where our shim keeps each container's exit record, output log and control
   * socket (swarm-runtime keeps them in its own root). @default `${root}-shim`
   */
  shimRoot?: string;
  /** The swarm-runtime binary whose `shim` command wraps crun and runc. @default the bundled one */
  shimBinary?: string;
  /** swarm-runtime only: the cgroup driver. @default 'auto' (from the mount table) */
  cgroupDriver?: 'auto' | 'v1' | 'v2';
  logger?: Logger;
}

export interface CreateOptions {
  /** The bundle directory holding config.json. */
  bundle: string;
  /** Where to write the init's pid. */
  pidFile?: string;
  /** The container's stdout/stderr as JSON lines. @default `<container dir>/container.log` */
  containerLog?: string;
  logMaxBytes?: number;
  logMaxFiles?: number;
}

/** The OCI state of a container, plus what swarm-runtime adds. */
export interface ContainerState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'stopped';
  bundle: string;
  created?: string;
  annotations?: Record<string, string>;
  /** swarm-runtime: the container's cgroup directories. */
  cgroups?: Record<string, string>;
  containerLog?: string;
  /** swarm-runtime, once stopped: how it ended. */
  exit?: ExitRecord;
}

export interface ExecOptions {
  env?: readonly string[];
  cwd?: string;
  user?: { uid: number; gid?: number };
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const ERRNO_ENOENT = 2;
const ERRNO_EEXIST = 17;

/**
 * A typed front for an OCI runtime command line: swarm-runtime, or crun/runc by path. Every call spawns
 * the binary, as an orchestrator agent does. For crun and runc, `create` goes through swarm-runtime's
 * shim, so all three give the same exit records, logs and `wait`.
 */
export class OciRuntime {
  readonly binary: string;
  readonly kind: RuntimeKind;
  readonly root: string;
  readonly shimRoot: string;
  readonly #shimBinary: string;
  readonly #cgroupDriver: 'auto' | 'v1' | 'v2';
  readonly #log: Logger;

  constructor(options: OciRuntimeOptions) {
    if (!options.root.startsWith('/'))
      throw new RangeError(`root: must be an absolute path, got "${options.root}"`);
    this.binary = options.binary ?? swarmRuntimePath();
    const name = basename(this.binary);
    this.kind = options.kind ?? (name === 'crun' || name === 'runc' ? name : 'swarm-runtime');
    this.root = options.root;
    this.shimRoot = options.shimRoot ?? `${options.root}-shim`;
    this.#shimBinary = options.shimBinary ?? swarmRuntimePath();
    this.#cgroupDriver = options.cgroupDriver ?? 'auto';
    this.#log = (options.logger ?? nullLogger).child({ module: 'runtime-native', runtime: this.kind });
  }

  /** The directory holding the container's exit record, log and shim socket. */
  containerDir(id: string): string {
    return join(this.kind === 'swarm-runtime' ? this.root : this.shimRoot, id);
  }

  #globalArgs(): string[] {
    const args = ['--root', this.root];
    if (this.kind === 'swarm-runtime') {
      args.push('--log-format', 'json');
      if (this.#cgroupDriver !== 'auto') args.push('--cgroup-driver', this.#cgroupDriver);
    }
    return args;
  }

  async #run(op: string, id: string | null, args: readonly string[]): Promise<CommandResult> {
    const result = await spawnCommand(this.binary, [...this.#globalArgs(), ...args]);
    if (result.code !== 0) throw this.#error(op, id, result);
    return result;
  }

  #error(op: string, id: string | null, result: CommandResult, binary = this.binary): Error {
    let message = result.stderr.trim();
    let errno: number | undefined;
    const last = message.split('\n').filter(Boolean).pop() ?? '';
    if (last.startsWith('{')) {
      try {
        const parsed = JSON.parse(last) as { msg?: string; errno?: number };
        message = parsed.msg ?? message;
        errno = parsed.errno;
      } catch {
        // not JSON after all: keep the text
      }
    }
    if (id !== null) {
      const notFound = errno === ERRNO_ENOENT && /does not exist/.test(message);
      if (
        notFound ||
        (errno === undefined && /does not exist|No such file or directory/.test(message) && op !== 'create')
      )
        return new ContainerNotFoundError(id, op);
      if (op === 'create' && (errno === ERRNO_EEXIST || /^container `[^`]*` already exists/.test(message)))
        return new ContainerExistsError(id);
    }
    const err = new RuntimeCommandError(
      op,
      message || `${basename(binary)} exited with ${result.code ?? result.signal}`,
      {
        runtime: this.kind,
        errno,
        exitCode: result.code,
      },
    );
    this.#log.debug('runtime command failed', { op, 'container.id': id, err });
    return err;
  }

  /** Creates the container; its init waits for {@link start}. */
  async create(id: string, options: CreateOptions): Promise<void> {
    const logArgs: string[] = [];
    if (options.containerLog !== undefined) logArgs.push('--container-log', options.containerLog);
    if (options.logMaxBytes !== undefined)
      logArgs.push('--container-log-max-bytes', String(options.logMaxBytes));
    if (options.logMaxFiles !== undefined)
      logArgs.push('--container-log-max-files', String(options.logMaxFiles));
    if (this.kind === 'swarm-runtime') {
      const pid = options.pidFile === undefined ? [] : ['--pid-file', options.pidFile];
      await this.#run('create', id, ['create', '--bundle', options.bundle, ...pid, ...logArgs, id]);
      return;
    }
    const spec = await readBundleSpec(options.bundle);
    await mkdir(this.shimRoot, { recursive: true, mode: 0o700 });
    const cgroupsPath = spec.linux?.cgroupsPath;
    const args = [
      'shim',
      '--runtime',
      this.binary,
      '--runtime-root',
      this.root,
      '--state-dir',
      this.containerDir(id),
      ...(cgroupsPath ? ['--cgroup-path', cgroupsPath] : []),
      ...(options.containerLog === undefined ? [] : ['--container-log', options.containerLog]),
      '--bundle',
      options.bundle,
      id,
    ];
    const result = await spawnCommand(this.#shimBinary, ['--log-format', 'json', ...args]);
    if (result.code !== 0) throw this.#error('create', id, result, this.#shimBinary);
  }

  async start(id: string): Promise<void> {
    await this.#run('start', id, ['start', id]);
  }

  async state(id: string): Promise<ContainerState> {
    const result = await this.#run('get the state of', id, ['state', id]);
    return this.#parseState(JSON.parse(result.stdout) as Record<string, unknown>);
  }

  #parseState(raw: Record<string, unknown>): ContainerState {
    const state: ContainerState = {
      id: String(raw.id),
      pid: Number(raw.pid ?? 0),
      status: raw.status as ContainerState['status'],
      bundle: String(raw.bundle ?? ''),
    };
    if (typeof raw.created === 'string') state.created = raw.created;
    if (raw.annotations && typeof raw.annotations === 'object')
      state.annotations = raw.annotations as Record<string, string>;
    if (raw.cgroups && typeof raw.cgroups === 'object') state.cgroups = raw.cgroups as Record<string, string>;
    if (typeof raw.containerLog === 'string') state.containerLog = raw.containerLog;
    if (raw.exit && typeof raw.exit === 'object') state.exit = parseExitRecord(JSON.stringify(raw.exit));
    return state;
  }

  async list(): Promise<ContainerState[]> {
    const result = await this.#run('list', null, ['list', '--format', 'json']);
    const parsed = JSON.parse(result.stdout || '[]') as Record<string, unknown>[] | null;
    return (parsed ?? []).map((r) => this.#parseState(r));
  }

  /** Sends a signal to the init, or with `all` to every process in the container's cgroup. */
  async kill(
    id: string,
    signal: NodeJS.Signals | number = 'SIGTERM',
    options: { all?: boolean } = {},
  ): Promise<void> {
    const sig = typeof signal === 'number' ? String(signal) : signal.replace(/^SIG/, '');
    await this.#run('kill', id, ['kill', ...(options.all ? ['--all'] : []), id, sig]);
  }

  /**
   * Removes a stopped or created container (a running one with `force`, killing it first) and everything
   * it left. With `force`, a container that does not exist is not an error (as with crun and runc).
   */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#run('delete', id, ['delete', ...(options.force ? ['--force'] : []), id]);
    if (this.kind !== 'swarm-runtime') {
      // Our shim records the end once the runtime's delete killed the init; let it finish, then clean up.
      await this.wait(id).catch(() => undefined);
      await rm(this.containerDir(id), { recursive: true, force: true });
    }
  }

  /** Runs a command inside the running container, in the foreground, and collects its output. */
  async exec(id: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (args.length === 0) throw new RangeError('exec: args must hold at least one argument');
    const flags: string[] = [];
    for (const e of options.env ?? []) flags.push('--env', e);
    if (options.cwd !== undefined) flags.push('--cwd', options.cwd);
    if (options.user !== undefined) flags.push('--user', `${options.user.uid}:${options.user.gid ?? 0}`);
    // swarm-runtime reports its own failures on fd 3, which the process it starts never gets: the
    // command's stderr, whatever it prints, cannot pass for a runtime error.
    const errorChannel = this.kind === 'swarm-runtime' ? ['--error-fd', '3'] : [];
    const result = await spawnCommand(
      this.binary,
      [...this.#globalArgs(), ...errorChannel, 'exec', ...flags, id, '--', ...args],
      {
        extraFd: this.kind === 'swarm-runtime',
      },
    );
    if (result.code === null) throw this.#error('exec in', id, result);
    if (result.extra) throw this.#error('exec in', id, { ...result, stderr: result.extra });
    // (crun and runc give no such channel: their failures to start the command read as its exit status.)
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr };
  }

  /** Resolves with how the container ended, once it has; rejects with the signal's reason when aborted. */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitRecord> {
    const dir = this.containerDir(id);
    try {
      const line = await askShim(join(dir, 'shim.sock'), 'wait', options.signal);
      return parseExitRecord(line);
    } catch (err) {
      const code = errorCode(err);
      // The shim is gone, or went while we asked: it writes the record before it goes.
      if (
        options.signal?.aborted ||
        (code !== 'ENOENT' && code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'EPIPE')
      )
        throw err;
    }
    // The shim is gone: it exits after writing the record, so the record is there, unless it was killed.
    try {
      return parseExitRecord(await readFile(join(dir, 'exit.json'), 'utf8'));
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    throw new ExitUnknownError(id);
  }

  /**
   * Stops the container the way an orchestrator must: SIGTERM to the init, then, if it has not ended
   * within the grace period, SIGKILL to everything in its cgroup (a PID 1 without a handler ignores
   * SIGTERM). Resolves with how it ended.
   */
  async stop(id: string, options: { graceMs?: number } = {}): Promise<ExitRecord> {
    const graceMs = options.graceMs ?? 10_000;
    const waiting = this.wait(id);
    try {
      await this.kill(id, 'SIGTERM');
    } catch (err) {
      if (!(err instanceof RuntimeCommandError)) throw err;
      // already stopped: the wait below has the answer
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([waiting, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    await this.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
    return waiting;
  }

  /** CPU, memory, pids and OOM counters from the container's cgroup files. */
  async stats(id: string): Promise<ContainerStats> {
    let dirs: CgroupDirs | undefined;
    if (this.kind === 'swarm-runtime') {
      dirs = (await this.state(id)).cgroups;
    } else {
      const state = await this.state(id);
      const spec = await readBundleSpec(state.bundle);
      if (spec.linux?.cgroupsPath) dirs = await cgroupDirsFor(spec.linux.cgroupsPath);
    }
    if (dirs === undefined)
      throw new RuntimeCommandError('read the stats of', 'its cgroup is unknown', {
        runtime: this.kind,
        exitCode: null,
      });
    return readCgroupStats(dirs);
  }
}

/** Sends one request line to a shim and resolves with its one-line answer. */
function askShim(socketPath: string, request: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const sock = connect(socketPath);
    const onAbort = (): void => {
      sock.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('close', () => signal?.removeEventListener('abort', onAbort));
    let data = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${request}\n`));
    sock.on('data', (chunk: string) => {
      data += chunk;
      const nl = data.indexOf('\n');
      if (nl >= 0) {
        sock.destroy();
        const line = data.slice(0, nl);
        if (line.startsWith('err '))
          reject(new RuntimeCommandError(request, line.slice(4), { runtime: 'shim', exitCode: null }));
        else resolve(line);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => {
      if (!data.includes('\n'))
        reject(Object.assign(new Error('the shim closed the connection'), { code: 'ECONNRESET' }));
    });
  });
}
