/**
 * `npm run bench -- scheduler [--nodes N] [--tasks N] [--verbose]`: the scheduler alone. 1 000 simulated nodes (in
 * three zones) and 100 000 PENDING tasks (100 services × 1 000 replicas, each reserving some memory and
 * CPU; a tenth of the services spread over the zones, a tenth constrained away from one zone) in a real
 * MemoryStore without a proposer; then the Scheduler component starts and places them all. Measured end
 * to end, from the tasks being in the store as PENDING to all of them ASSIGNED in the store: placements
 * per second, and the process's peak RSS (sampled, and the kernel's high-water mark).
 *
 * swarmkit has no runnable peer here and publishes no placement rate for swarm mode
 * (reference/swarmkit-and-peers.md §4.3), so the JSON carries `swarmkit_reference_per_s: null` and, for
 * scale, the published rates of Nomad (C1M) and Kubernetes (GKE 130k), named as published.
 *
 * The last line is one JSON object: {"bench":"scheduler","nodes":…,"tasks":…,"placements_per_s":…,
 * "peak_rss_mb":…,"swarmkit_reference_per_s":null,…}. `runSchedulerBench` is exported for the cluster
 * benchmark.
 */
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger, nullLogger, systemClock } from '../common/index.js';
import { Scheduler } from '../manager/scheduler/index.js';
import { byTaskState, MemoryStore } from '../manager/store/index.js';
import { testNode, testService, testTask } from '../manager/store/testing/index.js';
import type { Node, Service, Task } from '../proto/index.js';
import { positiveIntArg } from './cli-args.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Published placement rates of other orchestrators (reference/swarmkit-and-peers.md §4.3). */
export const PUBLISHED_PLACEMENTS_PER_S = {
  /** Not published for swarm mode. */
  swarmkit: null,
  /** Nomad C1M: 1 000 000 containers on 5 000 hosts. */
  nomadC1M: 3750,
  /** GKE's 130 000-node experimental cluster: sustained pod creation and binding. */
  kubernetesGke130k: 1000,
} as const;

export interface SchedulerBenchOptions {
  nodes: number;
  tasks: number;
  /** @default one per 1 000 tasks */
  services?: number;
  /** Progress lines. @default console.log */
  log?: (line: string) => void;
  /** Give up after this long. @default 300 000 */
  timeoutMs?: number;
  /** The scheduler's logger (its debug lines time each pass). @default none */
  logger?: Logger;
}

export interface SchedulerBenchResult {
  nodes: number;
  tasks: number;
  services: number;
  placements_per_s: number;
  elapsed_s: number;
  setup_s: number;
  peak_rss_mb: number;
  passes: number;
}

function benchNode(i: number): Node {
  const n = testNode({
    id: `node${String(i).padStart(5, '0')}`,
    hostname: `host-${i}`,
    labels: { zone: ['a', 'b', 'c'][i % 3] as string },
  });
  return {
    ...n,
    description:
      n.description === null
        ? null
        : { ...n.description, resources: { nanoCpus: 64e9, memoryBytes: 256 * GiB } },
  };
}

function benchService(i: number, replicas: number): Service {
  const s = testService({ id: `svc${String(i).padStart(4, '0')}`, name: `svc-${i}`, replicas });
  const task = s.spec.task;
  return {
    ...s,
    spec: {
      ...s.spec,
      task: {
        ...task,
        resources: { ...task.resources, reservations: { nanoCpus: 5e7, memoryBytes: 64 * MiB } },
        placement: {
          constraints: i % 10 === 1 ? ['node.labels.zone!=c'] : [],
          preferences: i % 10 === 0 ? [{ spread: 'node.labels.zone' }] : [],
          maxReplicasPerNode: 0,
        },
      },
    },
  };
}

/** Samples the RSS; `peak()` also reads the kernel's high-water mark of the process. */
function rssSampler(): { peak(): number; stop(): void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  timer.unref();
  return {
    peak: () => Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024),
    stop: () => clearInterval(timer),
  };
}

export async function runSchedulerBench(opts: SchedulerBenchOptions): Promise<SchedulerBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const serviceCount = opts.services ?? Math.max(1, Math.round(opts.tasks / 1000));
  const rss = rssSampler();
  const store = new MemoryStore({ logger: nullLogger });
  try {
    const t0 = performance.now();
    const services: Service[] = [];
    for (let i = 0; i < serviceCount; i++) {
      const replicas = Math.floor(opts.tasks / serviceCount) + (i < opts.tasks % serviceCount ? 1 : 0);
      services.push(benchService(i, replicas));
    }
    await store.batch(async (b) => {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < opts.nodes; i++) {
        const n = benchNode(i);
        writes.push(b.update((tx) => tx.nodes.create(n)));
      }
      for (const s of services) writes.push(b.update((tx) => tx.services.create(s)));
      for (const s of services) {
        const replicas = 'replicated' in s.spec.mode ? s.spec.mode.replicated.replicas : 0;
        for (let slot = 1; slot <= replicas; slot++) {
          const task: Task = testTask({ id: `${s.id}-${slot}`, service: s, slot, state: 'PENDING' });
          writes.push(b.update((tx) => tx.tasks.create(task)));
        }
      }
      await Promise.all(writes);
    });
    const setupS = (performance.now() - t0) / 1000;
    const pending = store.view((tx) => tx.tasks.count(byTaskState('PENDING')));
    log(
      `setup: ${opts.nodes} nodes, ${serviceCount} services, ${pending} PENDING tasks in ${setupS.toFixed(2)} s`,
    );

    const scheduler = new Scheduler({ store, logger: opts.logger ?? nullLogger, clock: systemClock });
    const start = performance.now();
    const running = scheduler.run();
    const deadline = start + (opts.timeoutMs ?? 300_000);
    let assigned = 0;
    let lastReport = start;
    while (assigned < opts.tasks) {
      await new Promise((r) => setTimeout(r, 2));
      assigned = store.view((tx) => tx.tasks.count(byTaskState('ASSIGNED')));
      const now = performance.now();
      if (now - lastReport > 1000) {
        log(`  ${assigned}/${opts.tasks} assigned after ${((now - start) / 1000).toFixed(1)} s`);
        lastReport = now;
      }
      if (now > deadline) {
        await scheduler.stop();
        throw new Error(
          `scheduler bench: only ${assigned} of ${opts.tasks} tasks assigned after ${opts.timeoutMs ?? 300_000} ms (stats ${JSON.stringify(scheduler.stats)})`,
        );
      }
    }
    const elapsedS = (performance.now() - start) / 1000;
    const stats = scheduler.stats;
    await scheduler.stop();
    await running;
    const peakMb = rss.peak() / MiB;
    log(
      `placed ${opts.tasks} tasks on ${opts.nodes} nodes in ${elapsedS.toFixed(2)} s = ${(opts.tasks / elapsedS).toFixed(0)}/s (${stats.passes} passes); peak RSS ${peakMb.toFixed(0)} MiB`,
    );
    return {
      nodes: opts.nodes,
      tasks: opts.tasks,
      services: serviceCount,
      placements_per_s: Math.round(opts.tasks / elapsedS),
      elapsed_s: Number(elapsedS.toFixed(3)),
      setup_s: Number(setupS.toFixed(3)),
      peak_rss_mb: Math.round(peakMb),
      passes: stats.passes,
    };
  } finally {
    rss.stop();
    store.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number): number => positiveIntArg(argv, name, dflt);
  const result = await runSchedulerBench({
    nodes: arg('--nodes', 1000),
    tasks: arg('--tasks', 100_000),
    ...(argv.includes('--verbose') ? { logger: createLogger({ level: 'debug' }) } : {}),
  });
  console.log(
    'reference: swarmkit publishes no placement rate for swarm mode; Nomad C1M 3 750/s and GKE 130k 1 000/s are published cluster-wide figures (not run here)',
  );
  console.log(
    JSON.stringify({
      bench: 'scheduler',
      nodes: result.nodes,
      tasks: result.tasks,
      placements_per_s: result.placements_per_s,
      peak_rss_mb: result.peak_rss_mb,
      swarmkit_reference_per_s: PUBLISHED_PLACEMENTS_PER_S.swarmkit,
      nomad_c1m_published_per_s: PUBLISHED_PLACEMENTS_PER_S.nomadC1M,
      kubernetes_gke130k_published_per_s: PUBLISHED_PLACEMENTS_PER_S.kubernetesGke130k,
      elapsed_s: result.elapsed_s,
      setup_s: result.setup_s,
      services: result.services,
      passes: result.passes,
    }),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
