/**
 * `npm run bench -- cluster`: the running cluster (issue 6), each part through real `swarmd` processes.
 * (a) one manager with its agent, `service create --replicas 50` of `sleep` on the host image: s until all
 *     50 tasks are RUNNING;
 * (b) kill -9 of one container until the task runs again (repaired in place), median of 20;
 * (c) a manager (drained) and two workers, 6 replicas, kill -9 of one worker's swarmd until all its tasks run
 *     on the other (the heartbeat grace, 3 × 1 s, is most of it);
 * (d) the scheduler alone: 1,000 simulated nodes, 100,000 tasks (bench/scheduler.ts).
 * The peer, in the same run: (a) and (b) with `docker service create` on a single-node swarm (Debian's
 * docker.io in a network namespace of its own, bench/docker-peer.ts); null with the reason printed where
 * Docker cannot run. Last line: {"bench":"cluster",...} with the ratios ours/Docker.
 */
import * as grpc from '@grpc/grpc-js';
import { loadGrpcObject } from '../proto/index.js';
import { SwarmdCluster, type SwarmdProcess, waitUntil } from '../testing/index.js';
import { runDockerPeer } from './docker-peer.js';
import { runSchedulerBench } from './scheduler.js';

type Client = grpc.Client &
  Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>;

interface TaskOut {
  id: string;
  serviceId: string;
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

/**
 * The tasks of the cluster as the Watch stream reports them (event-driven: polling ListTasks every few ms
 * would load the manager — and its agent, in the same process — while it works).
 */
class TaskWatch {
  readonly #tasks = new Map<string, TaskOut>();
  readonly #stream: grpc.ClientReadableStream<unknown>;
  #waiters: (() => void)[] = [];

  constructor(client: Client) {
    const watch = (client as unknown as { Watch(req: unknown): grpc.ClientReadableStream<unknown> }).Watch;
    this.#stream = watch.call(client, { kinds: ['OBJECT_KIND_TASK'] });
    this.#stream.on('data', (e: { action: string; object?: { task?: TaskOut | null } }) => {
      const t = e.object?.task;
      if (t === undefined || t === null) return;
      if (e.action === 'WATCH_ACTION_REMOVE') this.#tasks.delete(t.id);
      else this.#tasks.set(t.id, t);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#stream.on('error', () => {});
  }

  /** Resolves once `pred` holds for the tasks of `serviceId`, checked on every task event. */
  async until(serviceId: string, pred: (ts: TaskOut[]) => boolean, timeoutMs = 120_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (pred([...this.#tasks.values()].filter((t) => t.serviceId === serviceId))) return;
      if (performance.now() > deadline) throw new Error(`timed out waiting on the tasks of ${serviceId}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  close(): void {
    this.#stream.cancel();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const round = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

async function oneNode(): Promise<{ create50Ms: number; crashRepairMs: number; crashRuns: number }> {
  const cluster = await SwarmdCluster.start({ managers: 1 });
  try {
    const node = cluster.nodes[0] as SwarmdProcess;
    const client = control(node);
    const watch = new TaskWatch(client);
    await new Promise((r) => setTimeout(r, 200)); // the stream is open
    const t0 = performance.now();
    const id = await createService(client, 'bench50', 50);
    await watch.until(id, (ts) => running(ts).length === 50);
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
      await watch.until(id, (ts) => {
        const t = ts.find((x) => x.id === victim.id);
        return (
          t !== undefined && Number(t.status.restarts) > before && t.status.state === 'TASK_STATE_RUNNING'
        );
      });
      repairs.push(performance.now() - k0);
    }
    const crashRepairMs = median(repairs);
    console.log(`(b) kill -9 → running again: median ${round(crashRepairMs)} ms of ${repairs.length}`);
    await call(client, 'RemoveService', { serviceId: id });
    watch.close();
    client.close();
    return { create50Ms, crashRepairMs, crashRuns: repairs.length };
  } finally {
    await cluster.destroy();
  }
}

async function nodeLoss(): Promise<number> {
  const cluster = await SwarmdCluster.start({ managers: 1 });
  try {
    const manager = cluster.nodes[0] as SwarmdProcess;
    const client = control(manager);
    const managerId = (await manager.health())?.nodeId ?? '';
    const { node } = await call<{ node: { meta: { version: unknown }; spec: Record<string, unknown> } }>(
      client,
      'GetNode',
      { nodeId: managerId },
    );
    await call(client, 'UpdateNode', {
      nodeId: managerId,
      nodeVersion: node.meta.version,
      spec: { ...node.spec, availability: 'NODE_AVAILABILITY_DRAIN' },
    });
    const [w1, w2] = [await cluster.addWorker('w1'), await cluster.addWorker('w2')];
    const id = await createService(client, 'bench-loss', 6);
    await waitUntil('6 running', async () => running(await tasksOf(client, id)).length === 6, 60_000);
    const lostId = ((await w1.health()) as { session?: { nodeId: string } } | null)?.session?.nodeId ?? '';
    const t0 = performance.now();
    await w1.kill('SIGKILL');
    await waitUntil(
      'the lost tasks running on the other worker',
      async () => {
        const now = running(await tasksOf(client, id));
        return now.length === 6 && now.every((t) => t.nodeId !== lostId);
      },
      60_000,
      10,
    );
    const ms = performance.now() - t0;
    console.log(
      `(c) a worker killed → its tasks running on the other after ${round(ms)} ms (${w2.name} took them)`,
    );
    client.close();
    return ms;
  } finally {
    await cluster.destroy();
  }
}

const ratio = (ours: number, theirs: number | null): number | null =>
  theirs === null || theirs === 0 ? null : Math.round((ours / theirs) * 1000) / 1000;

async function main(): Promise<void> {
  const a = await oneNode();
  const c = await nodeLoss();
  const d = await runSchedulerBench({ nodes: 1000, tasks: 100_000 });
  console.log(`(d) scheduler: ${Math.round(d.placements_per_s)} placements/s, peak RSS ${d.peak_rss_mb} MB`);
  const dk = await runDockerPeer({
    replicas: 50,
    crashRuns: 20,
    log: (line) => console.log(`docker: ${line}`),
  });
  const docker = 'unavailable' in dk ? null : dk;
  if ('unavailable' in dk) console.log(`docker: not measured: ${dk.unavailable}`);
  else
    console.log(
      `docker ${dk.docker_version}: (a) ${round(dk.create_running_ms)} ms, (b) median ${round(dk.crash_repair_median_ms)} ms`,
    );
  const create50 = a.create50Ms / 1000;
  const dockerCreate50 = docker === null ? null : docker.create_running_ms / 1000;
  const dockerCrash = docker === null ? null : docker.crash_repair_median_ms;
  console.log(
    JSON.stringify({
      bench: 'cluster',
      create50_s: round2(create50),
      crash_replace_ms: round(a.crashRepairMs),
      crash_runs: a.crashRuns,
      node_loss_s: round2(c / 1000),
      placements_per_s: Math.round(d.placements_per_s),
      sched_tasks: d.tasks,
      sched_nodes: d.nodes,
      sched_peak_rss_mb: d.peak_rss_mb,
      docker_create50_s: dockerCreate50 === null ? null : round2(dockerCreate50),
      docker_crash_replace_ms: dockerCrash === null ? null : round(dockerCrash),
      docker_version: docker?.docker_version ?? null,
      ratio_create50_vs_docker: ratio(create50, dockerCreate50),
      ratio_crash_replace_vs_docker: ratio(a.crashRepairMs, dockerCrash),
    }),
  );
}

await main();
