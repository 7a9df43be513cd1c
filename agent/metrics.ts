/**
 * The agent's Prometheus metrics (`swarmd_agent_` prefix): its tasks by state, the containers that ended,
 * were OOM-killed or restarted in place, and each running container's CPU, memory and pids from its
 * cgroup, labelled with the service (name) and the task id. Usage is read at each scrape.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerUsage } from './exec/index.js';
import type { ContainerEvents, WorkerTask } from './worker/index.js';

export interface AgentMetricsSources {
  tasks(): readonly WorkerTask[];
  usage(taskId: string): Promise<ContainerUsage | null>;
}

type Labels = { service: string; task: string };

/** One gauge (or absolute counter) per usage figure, refreshed from the same reads at each scrape. */
const USAGE: readonly {
  name: string;
  help: string;
  counter: boolean;
  read: (u: ContainerUsage) => number | undefined;
}[] = [
  {
    name: 'swarmd_agent_container_cpu_seconds_total',
    help: 'CPU time used by every process of the container.',
    counter: true,
    read: (u) => u.cpuSeconds,
  },
  {
    name: 'swarmd_agent_container_cpu_throttled_seconds_total',
    help: 'Time the container’s CPU quota held it back.',
    counter: true,
    read: (u) => u.cpuThrottledSeconds,
  },
  {
    name: 'swarmd_agent_container_memory_bytes',
    help: 'Memory the container uses now (its cgroup’s usage).',
    counter: false,
    read: (u) => u.memoryBytes,
  },
  {
    name: 'swarmd_agent_container_memory_limit_bytes',
    help: 'The container’s memory limit (absent when unlimited).',
    counter: false,
    read: (u) => u.memoryLimitBytes,
  },
  {
    name: 'swarmd_agent_container_pids',
    help: 'Processes and threads in the container.',
    counter: false,
    read: (u) => u.pids,
  },
];

export class AgentMetrics {
  /** The worker's container events. */
  readonly events: ContainerEvents;
  #sources: AgentMetricsSources | null = null;

  constructor(registry: Registry) {
    const registers = [registry];
    const sources = (): AgentMetricsSources | null => this.#sources;
    new Gauge({
      name: 'swarmd_agent_tasks',
      help: 'Tasks this node’s agent runs, by observed state (lower case).',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const t of sources()?.tasks() ?? []) this.inc({ state: t.state.toLowerCase() });
      },
    });
    const exits = new Counter({
      name: 'swarmd_agent_container_exits_total',
      help: 'Running containers that ended (crashed, exited or were OOM-killed), by service.',
      labelNames: ['service'],
      registers,
    });
    const ooms = new Counter({
      name: 'swarmd_agent_oom_kills_total',
      help: 'Containers the kernel’s OOM killer ended at their memory limit, by service.',
      labelNames: ['service'],
      registers,
    });
    const restarts = new Counter({
      name: 'swarmd_agent_container_restarts_total',
      help: 'Containers the agent restarted in place after they ended, by service.',
      labelNames: ['service'],
      registers,
    });
    this.events = {
      containerEnded: (task, exit) => {
        const service = task.serviceAnnotations.name;
        exits.inc({ service });
        if (exit.oomKilled) ooms.inc({ service });
      },
      restartedInPlace: (task) => restarts.inc({ service: task.serviceAnnotations.name }),
    };

    // One read of every running container's cgroup per scrape, shared by the usage metrics (a scrape
    // collects them all at once): a read younger than half a second is used again.
    let lastRead: Promise<{ labels: Labels; usage: ContainerUsage }[]> | null = null;
    let lastReadAt = 0;
    const readAll = async (): Promise<{ labels: Labels; usage: ContainerUsage }[]> => {
      const src = sources();
      if (src === null) return [];
      const running = src.tasks().filter((t) => t.state === 'RUNNING');
      const read = await Promise.all(
        running.map(async (t) => ({
          labels: { service: t.serviceName, task: t.id },
          usage: await src.usage(t.id).catch(() => null),
        })),
      );
      return read.flatMap((r) => (r.usage === null ? [] : [{ labels: r.labels, usage: r.usage }]));
    };
    for (const m of USAGE) {
      const collect = async function (this: Gauge | Counter): Promise<void> {
        if (lastRead === null || performance.now() - lastReadAt > 500) {
          lastRead = readAll();
          lastReadAt = performance.now();
        }
        const all = await lastRead;
        this.reset();
        for (const { labels, usage } of all) {
          const v = m.read(usage);
          if (v !== undefined) this.inc(labels, v);
        }
      };
      const config = { name: m.name, help: m.help, labelNames: ['service', 'task'], registers, collect };
      if (m.counter) new Counter(config);
      else new Gauge(config);
    }
  }

  /** Where the scrape-time metrics read from (the agent's worker and executor). */
  bind(sources: AgentMetricsSources): void {
    this.#sources = sources;
  }
}
