/**
 * Where swarmctl finds a manager: its Unix socket (`<state-dir>/swarmd.sock`) or its cluster port over TCP.
 */
import { isAbsolute, resolve } from 'node:path';
import { FlagError } from '../../common/index.js';

/** The manager's socket when neither `--socket`, `$SWARM_SOCKET` nor `--host` says otherwise. */
export const DEFAULT_SOCKET = '/var/lib/swarmd/swarmd.sock';

export interface ControlTarget {
  readonly kind: 'unix' | 'tcp';
  /** The gRPC address: `unix:/abs/path`, `dns:host:port` or `ipv6:[addr]:port`. */
  readonly address: string;
  /** For people: `the socket /var/lib/swarmd/swarmd.sock` or `10.0.0.1:4242`. */
  readonly description: string;
}

/** The Unix socket at `path` (relative to `cwd`). */
export function socketTarget(path: string, cwd: string): ControlTarget {
  if (path.trim() === '')
    throw new FlagError('--socket', 'must be the path of the manager\'s socket, got ""');
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  return { kind: 'unix', address: `unix:${abs}`, description: `the socket ${abs}` };
}

/** `HOST:PORT` or `[IPv6]:PORT`, as given to `--host`. */
export function hostTarget(text: string): ControlTarget {
  const bad = (): FlagError =>
    new FlagError('--host', `must be HOST:PORT or [IPv6]:PORT, such as 10.0.0.1:4242, got "${text}"`);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  const plain = /^([A-Za-z0-9.-]+):(\d+)$/.exec(text);
  const m = v6 ?? plain;
  if (m === null) throw bad();
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new FlagError('--host', `the port must be between 1 and 65535, got "${m[2]}"`);
  return v6 !== null
    ? { kind: 'tcp', address: `ipv6:[${m[1]}]:${port}`, description: `[${m[1]}]:${port}` }
    : { kind: 'tcp', address: `dns:${m[1]}:${port}`, description: `${m[1]}:${port}` };
}
