/**
 * The logger raft writes to: structurally the subset of common's `Logger` raft uses, so the driver passes
 * `logger.child({ module: 'manager/raft' })` as is. Raft writes etcd-style formatted lines
 * (`1 became leader at term 2`, ids in hex) with no fields: the driver's child logger carries `raft.id`.
 */
export interface RaftLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Drops every line: the default when no logger is given. */
export const nullRaftLogger: RaftLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
