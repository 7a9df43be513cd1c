import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Resource usage of one container, read from its cgroup files. Absent counters are omitted. */
export interface ContainerStats {
  /** CPU time used by every process of the container, in nanoseconds. */
  cpuUsageNs: number;
  /** CFS periods elapsed and periods in which the quota throttled the container. */
  cpuPeriods: number;
  cpuThrottledPeriods: number;
  cpuThrottledNs: number;
  memoryUsageBytes: number;
  /** The high-water mark of memory use. */
  memoryMaxUsageBytes?: number;
  /** The limit in force; absent when unlimited. */
  memoryLimitBytes?: number;
  pidsCurrent: number;
  pidsLimit?: number;
  /** Processes the kernel's OOM killer ended in this cgroup. */
  oomKills: number;
}

/** Controller name (memory, cpu, cpuacct, pids, ..., unified) → the container's directory. */
export type CgroupDirs = Readonly<Record<string, string>>;

async function readText(dir: string | undefined, file: string): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

async function readNumber(dir: string | undefined, file: string): Promise<number | undefined> {
  const text = await readText(dir, file);
  if (text === undefined) return undefined;
  const v = text.trim();
  if (v === 'max') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses "key value" lines (cpu.stat, memory.events, memory.oom_control). */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** Memory limits above this are the kernel's way of saying "unlimited" on cgroup v1. */
const V1_UNLIMITED = 2 ** 62;

/**
 * Reads the stats of a container from its cgroup directories: the v1 controllers when present (a v1 or
 * hybrid host), otherwise the cgroup2 directory.
 */
export async function readCgroupStats(dirs: CgroupDirs): Promise<ContainerStats> {
  const v2 = dirs.unified;
  const [
    cpuacct,
    cpuStatV1,
    cpuStatV2,
    memUsage,
    memMax,
    memLimit,
    oomControl,
    memEvents,
    memCurrent,
    memPeak,
    memMaxV2,
  ] = await Promise.all([
    readNumber(dirs.cpuacct, 'cpuacct.usage'),
    readText(dirs.cpu, 'cpu.stat'),
    readText(v2, 'cpu.stat'),
    readNumber(dirs.memory, 'memory.usage_in_bytes'),
    readNumber(dirs.memory, 'memory.max_usage_in_bytes'),
    readNumber(dirs.memory, 'memory.limit_in_bytes'),
    readText(dirs.memory, 'memory.oom_control'),
    readText(v2, 'memory.events'),
    readNumber(v2, 'memory.current'),
    readNumber(v2, 'memory.peak'),
    readNumber(v2, 'memory.max'),
  ]);
  const v1cpu = parseKeyed(cpuStatV1);
  const v2cpu = parseKeyed(cpuStatV2);
  const [pidsCurrentV1, pidsMaxV1, pidsCurrentV2, pidsMaxV2] = await Promise.all([
    readNumber(dirs.pids, 'pids.current'),
    readNumber(dirs.pids, 'pids.max'),
    dirs.pids === undefined ? readNumber(v2, 'pids.current') : Promise.resolve(undefined),
    dirs.pids === undefined ? readNumber(v2, 'pids.max') : Promise.resolve(undefined),
  ]);
  const stats: ContainerStats = {
    cpuUsageNs: cpuacct ?? (v2cpu.get('usage_usec') ?? 0) * 1000,
    cpuPeriods: v1cpu.get('nr_periods') ?? v2cpu.get('nr_periods') ?? 0,
    cpuThrottledPeriods: v1cpu.get('nr_throttled') ?? v2cpu.get('nr_throttled') ?? 0,
    cpuThrottledNs: v1cpu.get('throttled_time') ?? (v2cpu.get('throttled_usec') ?? 0) * 1000,
    memoryUsageBytes: memUsage ?? memCurrent ?? 0,
    pidsCurrent: pidsCurrentV1 ?? pidsCurrentV2 ?? 0,
    oomKills: parseKeyed(oomControl).get('oom_kill') ?? parseKeyed(memEvents).get('oom_kill') ?? 0,
  };
  const maxUsage = memMax ?? memPeak;
  if (maxUsage !== undefined) stats.memoryMaxUsageBytes = maxUsage;
  const limit = memLimit !== undefined ? (memLimit >= V1_UNLIMITED ? undefined : memLimit) : memMaxV2;
  if (limit !== undefined) stats.memoryLimitBytes = limit;
  const pidsLimit = pidsMaxV1 ?? pidsMaxV2;
  if (pidsLimit !== undefined) stats.pidsLimit = pidsLimit;
  return stats;
}
