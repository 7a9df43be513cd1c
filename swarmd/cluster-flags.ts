/**
 * The flags of `swarmd init`, `swarmd join` and `swarmd run`, validated in one place: each error names the
 * flag and the rule (exit code 2).
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type LogLevel, parseLogLevel } from '../common/index.js';
import { isJoinToken, isUnspecifiedHost, type ManagerMode, parseAddress } from '../manager/index.js';
import { FlagError } from './errors.js';

/** The flags as commander hands them over (strings, unset flags absent). */
export interface ClusterFlags {
  stateDir?: string;
  listenAddr?: string;
  advertiseAddr?: string;
  httpAddr?: string;
  logLevel?: string;
  token?: string;
  autolock?: boolean;
}

/** What the daemon runs with. */
export interface DaemonConfig {
  readonly mode: ManagerMode;
  readonly stateDir: string;
  /** null: the default for a new node (0.0.0.0:4242), the recorded one on resume. */
  readonly listenAddr: string | null;
  readonly advertiseAddr: string | null;
  /** `host:port` for the HTTP endpoints; host '' listens on every interface. */
  readonly httpHost: string;
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  readonly joinAddr: string | null;
  readonly joinToken: string | null;
  /** `init --autolock`: a restarted manager needs the unlock key. */
  readonly autolock?: boolean;
  /** Where the node's agent runs containers; null: no agent (tests of the control plane alone). */
  readonly agent?: { readonly runtimeRoot: string; readonly cgroupParent: string } | null;
}

export const DEFAULT_LISTEN_ADDR = '0.0.0.0:4242';
export const DEFAULT_HTTP_ADDR = ':4243';

function address(
  flag: string,
  value: string,
  o: Parameters<typeof parseAddress>[1],
): ReturnType<typeof parseAddress> {
  try {
    return parseAddress(value, o);
  } catch (err) {
    throw new FlagError(flag, (err as Error).message);
  }
}

function isDir(path: string): boolean | null {
  try {
    return statSync(path).isDirectory();
  } catch {
    return null;
  }
}

/**
 * Checks the flags of `mode` and turns them into the daemon's config.
 * @param stateDir the state dir (the command's flag, else the global one)
 * @param joinAddr `join`'s MANAGER_ADDR argument
 * @throws FlagError naming the first bad flag
 */
export function compileClusterFlags(
  mode: ManagerMode,
  flags: ClusterFlags,
  stateDir: string,
  joinAddr?: string,
): DaemonConfig {
  if (stateDir === '') throw new FlagError('--state-dir', 'must not be empty');
  const dir = resolve(stateDir);
  const kind = isDir(dir);
  if (kind === false) throw new FlagError('--state-dir', `${dir} exists and is not a directory`);
  if (mode === 'run' && kind === null)
    throw new FlagError(
      '--state-dir',
      `${dir} does not exist (create a node with "swarmd init" or "swarmd join")`,
    );
  if (kind === null && isDir(dirname(dir)) !== true)
    throw new FlagError('--state-dir', `the parent directory ${dirname(dir)} does not exist`);
  if (flags.listenAddr !== undefined)
    address('--listen-addr', flags.listenAddr, { allowEmptyHost: true, allowPortZero: true });
  if (flags.advertiseAddr !== undefined) {
    const a = address('--advertise-addr', flags.advertiseAddr, {});
    if (isUnspecifiedHost(a.host))
      throw new FlagError('--advertise-addr', `must be an address other hosts can reach, not "${a.host}"`);
  }
  const http = address('--http-addr', flags.httpAddr ?? DEFAULT_HTTP_ADDR, {
    allowEmptyHost: true,
    allowPortZero: true,
  });
  let logLevel: LogLevel;
  try {
    logLevel = parseLogLevel(flags.logLevel ?? 'info');
  } catch {
    throw new FlagError('--log-level', `must be one of debug, info, warn, error, got "${flags.logLevel}"`);
  }
  let token: string | null = null;
  let manager: string | null = null;
  if (mode === 'join') {
    if (flags.token === undefined)
      throw new FlagError('--token', 'is required to join (the manager join token)');
    if (!isJoinToken(flags.token))
      throw new FlagError('--token', 'must be a join token such as SWMTKN-1-<50 characters>-<25 characters>');
    token = flags.token;
    if (joinAddr === undefined)
      throw new FlagError('MANAGER_ADDR', 'the address of a manager to join is required');
    const a = address('MANAGER_ADDR', joinAddr, {});
    if (isUnspecifiedHost(a.host))
      throw new FlagError('MANAGER_ADDR', `must be a manager's address, not "${a.host}"`);
    manager = joinAddr;
  }
  return {
    mode,
    stateDir: dir,
    listenAddr: flags.listenAddr ?? null,
    advertiseAddr: flags.advertiseAddr ?? null,
    httpHost: http.host,
    httpPort: http.port,
    logLevel,
    joinAddr: manager,
    joinToken: token,
    autolock: mode === 'init' && flags.autolock === true,
  };
}

/**
 * The agent's places: `--runtime-root` and `--cgroup-parent` must be absolute paths without "..", as the
 * runtime writes and removes below them.
 * @throws FlagError naming the flag
 */
export function compileAgentFlags(
  runtimeRoot: string,
  cgroupParent: string,
): { runtimeRoot: string; cgroupParent: string } {
  for (const [flag, path] of [
    ['--runtime-root', runtimeRoot],
    ['--cgroup-parent', cgroupParent],
  ] as const)
    if (!path.startsWith('/') || path.split('/').includes('..'))
      throw new FlagError(flag, `must be an absolute path without "..", got "${path}"`);
  return { runtimeRoot, cgroupParent };
}
