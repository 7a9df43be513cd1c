/**
 * `npm run bench -- cluster`: the running cluster (issue 6).
 * (a) one manager with its agent (a real `swarmd`), `service create --replicas 50` of `sleep` on the host
 *     image: ms until all 50 tasks are RUNNING;
 * (b) kill -9 of one container until the task runs again (restarted in place), median of 20;
 * (c) three managers with their agents, 6 replicas, kill -9 of one node's swarmd until all its tasks run on
 *     the other two (the heartbeat grace, 3 × 1 s, is most of it);
 * (d) the scheduler alone: 1,000 simulated nodes, 100,000 tasks (bench/scheduler.ts).
 * The Docker peer ((a) and (b) with `docker service create`) needs docker.io, which this benchmark does not
 * install: its figures are null with the reason, and no ratio is printed for them.
 * Last line: {"bench":"cluster",...}.
 */
import * as grpc from '@grpc/grpc-js';
import { loadGrpcObject } from '../proto/index.js';
import { SwarmdCluster, type SwarmdProcess, waitUntil } from '../testing/index.js';
import { runSchedulerBench } from './scheduler.js';

type Client = grpc.Client &
  Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>;

interface TaskOut {
  id: string;
  nodeId: string;
  desiredState: string;
  status: { state: string; restarts: string; container: { pid: string } | null };
}

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]?.call(client, req, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

function control(node: SwarmdProcess): Client {
  const { Control } = loadGrpcObject('control').swarmd.control;
  return new Control(`unix:${node.socket}`, grpc.credentials.createInsecure()) as unknown as Client;
}

async function tasksOf(client: Client, serviceId: string): Promise<TaskOut[]> {
  return (await call<{ tasks: TaskOut[] }>(client, 'ListTasks', { serviceIds: [serviceId] })).tasks;
}

const running = (ts: TaskOut[]): TaskOut[] =>
  ts.filter((t) => t.desiredState === 'TASK_STATE_RUNNING' && t.status.state === 'TASK_STATE_RUNNING');

async function createService(client: Client, name: string, replicas: number): Promise<string> {
  const { service } = await call<{ service: { id: string } }>(client, 'CreateService', {
    spec: {
      annotations: { name, labels: {} },
      task: { container: { image: 'host', command: ['sleep', '3600'], stopGracePeriodMs: 1000 } },
      replicated: { replicas },
    },
  });
  return service.id;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const round = (x: number): number => Math.round(x * 10) / 10;

async function oneNode(): Promise<{ create50Ms: number; crashRepairMs: number; crashRuns: number }> {
  const cluster = await SwarmdCluster.start({ managers: 1 });
  try {
    const node = cluster.nodes[0] as SwarmdProcess;
    const client = control(node);
    const t0 = performance.now();
    const id = await createService(client, 'bench50', 50);
    await waitUntil('50 running', async () => running(await tasksOf(client, id)).length === 50, 120_000, 5);
    const create50Ms = performance.now() - t0;
    console.log(`(a) 50 replicas running after ${round(create50Ms)} ms`);
    const repairs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ts = running(await tasksOf(client, id));
      const victim = ts[i % ts.length] as TaskOut;
      const before = Number(victim.status.restarts);
      const pid = Number(victim.status.container?.pid);
      const k0 = performance.now();
      process.kill(pid, 'SIGKILL');
      await waitUntil(
        'the container restarted',
        async () => {
          const t = (await tasksOf(client, id)).find((x) => x.id === victim.id);
          return (
            t !== undefined && Number(t.status.restarts) > before && t.status.state === 'TASK_STATE_RUNNING'
          );
        },
        30_000,
        2,
      );
      repairs.push(performance.now() - k0);
    }
    const crashRepairMs = median(repairs);
    console.log(`(b) kill -9 → running again: median ${round(crashRepairMs)} ms of ${repairs.length}`);
    await call(client, 'RemoveService', { serviceId: id });
    client.close();
    return { create50Ms, crashRepairMs, crashRuns: repairs.length };
  } finally {
    await cluster.destroy();
  }
}

async function nodeLoss(): Promise<number> {
  const cluster = await SwarmdCluster.start({ managers: 3 });
  try {
    const leader = await cluster.leader();
    const client = control(leader);
    await waitUntil(
      'three agents registered',
      async () => {
        const { nodes } = await call<{
          nodes: { status: { state: string }; description: { resources: { nanoCpus: string } } | null }[];
        }>(client, 'ListNodes', {});
        return (
          nodes.length === 3 &&
          nodes.every(
            (n) => n.status.state === 'NODE_STATE_READY' && Number(n.description?.resources.nanoCpus) > 0,
          )
        );
      },
      60_000,
    );
    const id = await createService(client, 'bench-loss', 6);
    await waitUntil('6 running', async () => running(await tasksOf(client, id)).length === 6, 60_000);
    const [lost] = await cluster.followers();
    if (lost === undefined) throw new Error('no follower');
    const lostId = (await lost.health())?.nodeId ?? '';
    const t0 = performance.now();
    await lost.kill('SIGKILL');
    await waitUntil(
      'the lost tasks running elsewhere',
      async () => {
        const now = running(await tasksOf(client, id));
        return now.length === 6 && now.every((t) => t.nodeId !== lostId);
      },
      60_000,
      10,
    );
    const ms = performance.now() - t0;
    console.log(`(c) a node killed → its tasks running on the others after ${round(ms)} ms`);
    client.close();
    return ms;
  } finally {
    await cluster.destroy();
  }
}

async function main(): Promise<void> {
  const a = await oneNode();
  const c = await nodeLoss();
  const d = await runSchedulerBench({ nodes: 1000, tasks: 100_000 });
  console.log(`(d) scheduler: ${Math.round(d.placements_per_s)} placements/s, peak RSS ${d.peak_rss_mb} MB`);
  console.log(
    JSON.stringify({
      bench: 'cluster',
      create_50_running_ms: round(a.create50Ms),
      crash_repair_median_ms: round(a.crashRepairMs),
      crash_runs: a.crashRuns,
      node_loss_recovered_ms: round(c),
      scheduler_nodes: d.nodes,
      scheduler_tasks: d.tasks,
      scheduler_placements_per_s: Math.round(d.placements_per_s),
      scheduler_peak_rss_mb: d.peak_rss_mb,
      docker_create_50_running_ms: null,
      docker_crash_repair_median_ms: null,
      docker_note: 'not measured: docker.io is not installed by this benchmark yet',
    }),
  );
}

await main();
