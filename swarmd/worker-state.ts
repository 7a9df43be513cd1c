/**
 * `<state-dir>/worker.json`: what a worker (a host that joined with the worker token: an agent, no raft)
 * needs to start again — its node and cluster, and the managers it last knew. Its certificates are pki's
 * files beside it. Written atomically; a damaged file is refused naming the field.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, isId, writeFileAtomic } from '../common/index.js';
import { StateDirError } from '../manager/index.js';

export const WORKER_FILE = 'worker.json';

export interface WorkerState {
  nodeId: string;
  clusterId: string;
  /** Managers' cluster addresses (`host:port`), the join address first. */
  managers: string[];
  createdAt: number;
}

export async function writeWorkerState(dir: string, state: WorkerState): Promise<void> {
  await writeFileAtomic(
    join(dir, WORKER_FILE),
    `${JSON.stringify({ format: 'swarmd-worker', version: 1, ...state }, null, 2)}\n`,
  );
}

/** The worker state of `dir`, or null when it holds none. @throws StateDirError when damaged */
export async function readWorkerState(dir: string): Promise<WorkerState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, WORKER_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  const bad = (rule: string): never => {
    throw new StateDirError(dir, `${WORKER_FILE} is damaged: ${rule}`);
  };
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return bad('it is not JSON');
  }
  if (v.format !== 'swarmd-worker' || v.version !== 1) bad('format: expected swarmd-worker version 1');
  if (typeof v.nodeId !== 'string' || !isId(v.nodeId)) bad('nodeId: must be a 25-character id');
  if (typeof v.clusterId !== 'string' || !isId(v.clusterId)) bad('clusterId: must be a 25-character id');
  if (
    !Array.isArray(v.managers) ||
    v.managers.length === 0 ||
    !v.managers.every((m) => typeof m === 'string')
  )
    bad('managers: must be a non-empty list of host:port');
  if (typeof v.createdAt !== 'number') bad('createdAt: must be a number');
  return {
    nodeId: v.nodeId as string,
    clusterId: v.clusterId as string,
    managers: v.managers as string[],
    createdAt: v.createdAt as number,
  };
}
