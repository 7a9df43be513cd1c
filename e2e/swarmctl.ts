/**
 * swarmctl as the e2e tests use it: the real program against a node's Unix socket, and the task views the
 * tests check (`service ps --format json`).
 */
import { type CliResult, runCli } from '../cli/testing/index.js';

/** A task as `--format json` prints it (int64 as strings). */
export interface TaskJson {
  id: string;
  nodeId: string;
  slot: string;
  desiredState: string;
  schedulingMessage: string;
  status: { state: string; restarts: string; container: { pid: string } | null };
}

/** A manager swarmctl reaches through its Unix socket (a SwarmdProcess, a testnet host). */
export interface ManagerSocket {
  readonly socket: string;
}

export function swarmctl(node: ManagerSocket, ...args: string[]): Promise<CliResult> {
  return runCli(['--socket', node.socket, ...args]);
}

/** swarmctl's output; throws with its stderr when it fails. */
export async function ok(node: ManagerSocket, ...args: string[]): Promise<string> {
  const r = await swarmctl(node, ...args);
  if (r.code !== 0) throw new Error(`swarmctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function tasks(node: ManagerSocket, service: string): Promise<TaskJson[]> {
  return JSON.parse(await ok(node, 'service', 'ps', service, '--format', 'json')) as TaskJson[];
}

/** The tasks that should run and do. */
export function running(ts: TaskJson[]): TaskJson[] {
  return ts.filter((t) => t.desiredState === 'TASK_STATE_RUNNING' && t.status.state === 'TASK_STATE_RUNNING');
}

/** Whether a process exists (a container's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
