import { constants } from 'node:os';

/** How a container ended, as its shim recorded it. */
export interface ExitRecord {
  /** The program's exit status, or 128 + the signal that killed it. */
  exitCode: number;
  /** The signal that killed the container's init (`'SIGKILL'`), or null when it exited. */
  signal: NodeJS.Signals | null;
  /** The cgroup's OOM killer ended a process of the container (the init or another). */
  oomKilled: boolean;
  oomKills: number;
  /** RFC 3339, nanoseconds, UTC. */
  finishedAt: string;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]),
);

/** Turns the shim's JSON ({"exitCode":137,"signal":9,...}) into an ExitRecord. */
export function parseExitRecord(text: string): ExitRecord {
  const raw = JSON.parse(text) as {
    exitCode: number;
    signal: number;
    oomKilled: boolean;
    oomKills: number;
    finishedAt: string;
  };
  return {
    exitCode: raw.exitCode,
    signal: raw.signal ? (SIGNAL_NAMES.get(raw.signal) ?? (`SIG${raw.signal}` as NodeJS.Signals)) : null,
    oomKilled: raw.oomKilled,
    oomKills: raw.oomKills,
    finishedAt: raw.finishedAt,
  };
}
