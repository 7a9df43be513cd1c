/**
 * A manager's Prometheus metrics (`swarmd_` prefix, base units; design.md §1): the cluster as this
 * manager's store holds it (nodes, services, tasks, unschedulable tasks), its Raft member (term,
 * leadership, indexes, proposals, leader changes, WAL syncs, snapshots), the scheduler and the
 * dispatcher. Gauges of state are read from the store and raft at each scrape, so a follower reports the
 * same cluster as the leader (as far as it has applied); counters count this manager's own events.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DispatcherMetrics } from './dispatcher/index.js';
import type { ReplicationMetrics } from './replication/index.js';
import type { MemoryStore } from './store/index.js';

/** What the metrics read at each scrape. */
export interface ManagerMetricsSources {
  store(): MemoryStore | null;
  raft(): { term: number; isLeader: boolean; leaderKnown: boolean; commit: number; applied: number } | null;
  dispatcherSessions(): number;
}

/** A histogram's buckets: `count` of them from `start`, each `factor` times the last. */
function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export class ManagerMetrics {
  readonly replication: ReplicationMetrics;
  readonly dispatcher: DispatcherMetrics;
  /** The scheduler's `onPlaced`. */
  readonly placed: (tasks: number) => void;
  #sources: Partial<ManagerMetricsSources> = {};

  /** Registers the manager's metrics in `registry` (once per registry). */
  constructor(registry: Registry) {
    const registers = [registry];
    const sources = (): Partial<ManagerMetricsSources> => this.#sources;
    const storeOf = (): MemoryStore | null => sources().store?.() ?? null;

    new Gauge({
      name: 'swarmd_nodes',
      help: 'Nodes of the cluster by state, availability and role (as this manager’s store holds them).',
      labelNames: ['state', 'availability', 'role'],
      registers,
      collect() {
        this.reset();
        const store = storeOf();
        if (store === null) return;
        for (const n of store.view((tx) => tx.nodes.find()))
          this.inc({ state: n.status.state, availability: n.spec.availability, role: n.role });
      },
    });
    new Gauge({
      name: 'swarmd_services',
      help: 'Services of the cluster by mode.',
      labelNames: ['mode'],
      registers,
      collect() {
        this.reset();
        const store = storeOf();
        if (store === null) return;
        this.set({ mode: 'replicated' }, 0);
        this.set({ mode: 'global' }, 0);
        for (const s of store.view((tx) => tx.services.find()))
          this.inc({ mode: 'replicated' in s.spec.mode ? 'replicated' : 'global' });
      },
    });
    new Gauge({
      name: 'swarmd_tasks',
      help: 'Tasks of the cluster by service (name), observed state and desired state (lower case: running, pending...).',
      labelNames: ['service', 'state', 'desired_state'],
      registers,
      collect() {
        this.reset();
        const store = storeOf();
        if (store === null) return;
        store.view((tx) => {
          const names = new Map(tx.services.find().map((s) => [s.id, s.spec.annotations.name]));
          for (const t of tx.tasks.find())
            this.inc({
              service: names.get(t.serviceId) ?? t.serviceAnnotations.name,
              state: t.status.state.toLowerCase(),
              desired_state: t.desiredState.toLowerCase(),
            });
        });
      },
    });
    new Gauge({
      name: 'swarmd_scheduler_unschedulable_tasks',
      help: 'Tasks the scheduler found no node for (pending, with its explanation).',
      registers,
      collect() {
        const store = storeOf();
        this.set(
          store === null
            ? 0
            : store.view(
                (tx) =>
                  tx.tasks
                    .find()
                    .filter(
                      (t) =>
                        t.status.state === 'PENDING' &&
                        t.desiredState === 'RUNNING' &&
                        t.schedulingMessage !== '',
                    ).length,
              ),
        );
      },
    });

    const raftGauge = (
      name: string,
      help: string,
      read: (r: NonNullable<ReturnType<ManagerMetricsSources['raft']>>) => number,
    ): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const r = sources().raft?.() ?? null;
          this.set(r === null ? 0 : read(r));
        },
      });
    };
    raftGauge('swarmd_raft_term', 'The Raft term this manager is in.', (r) => r.term);
    raftGauge('swarmd_raft_leader', '1 when this manager is the Raft leader, else 0.', (r) =>
      r.isLeader ? 1 : 0,
    );
    raftGauge('swarmd_raft_has_leader', '1 when this manager knows a leader, else 0.', (r) =>
      r.leaderKnown ? 1 : 0,
    );
    raftGauge(
      'swarmd_raft_commit_index',
      'The highest log index this manager knows committed.',
      (r) => r.commit,
    );
    raftGauge(
      'swarmd_raft_applied_index',
      'The highest log index applied to this manager’s store.',
      (r) => r.applied,
    );

    const committed = new Counter({
      name: 'swarmd_raft_proposals_committed_total',
      help: 'Proposals of this manager (while leading) applied.',
      registers,
    });
    const failed = new Counter({
      name: 'swarmd_raft_proposals_failed_total',
      help: 'Proposals of this manager refused, dropped, superseded by a new leader or timed out.',
      registers,
    });
    const leaderChanges = new Counter({
      name: 'swarmd_raft_leader_changes_total',
      help: 'Leaders this manager learnt of, each one different from the last it knew.',
      registers,
    });
    const walSync = new Histogram({
      name: 'swarmd_raft_wal_fsync_duration_seconds',
      help: 'Time to make a Raft Ready durable: the WAL write and its fdatasync.',
      buckets: exponentialBuckets(0.0005, 2, 14),
      registers,
    });
    const snapshots = new Counter({
      name: 'swarmd_raft_snapshots_total',
      help: 'Snapshots of the store this manager saved.',
      registers,
    });
    this.replication = {
      proposalCommitted: () => committed.inc(),
      proposalFailed: () => failed.inc(),
      leaderChanged: () => leaderChanges.inc(),
      walSynced: (s) => walSync.observe(s),
      snapshotSaved: () => snapshots.inc(),
    };

    const placements = new Counter({
      name: 'swarmd_scheduler_placements_total',
      help: 'Tasks the scheduler assigned to a node while this manager led.',
      registers,
    });
    this.placed = (n) => placements.inc(n);
    const latency = new Histogram({
      name: 'swarmd_scheduler_latency_seconds',
      help: 'Time from a task’s creation (NEW) to its first RUNNING report, as the leader’s dispatcher saw it.',
      buckets: exponentialBuckets(0.01, 2, 14),
      registers,
    });
    new Gauge({
      name: 'swarmd_dispatcher_sessions',
      help: 'Agents’ sessions open with this manager’s dispatcher (the leader’s).',
      registers,
      collect() {
        this.set(sources().dispatcherSessions?.() ?? 0);
      },
    });
    const heartbeats = new Counter({
      name: 'swarmd_dispatcher_heartbeats_total',
      help: 'Heartbeats this manager’s dispatcher took.',
      registers,
    });
    const missed = new Counter({
      name: 'swarmd_dispatcher_missed_heartbeats_total',
      help: 'Nodes marked down because their heartbeats stopped past the grace period.',
      registers,
    });
    this.dispatcher = {
      heartbeat: () => heartbeats.inc(),
      heartbeatsMissed: () => missed.inc(),
      taskStarted: (s) => latency.observe(s),
    };
  }

  /** Where the scrape-time gauges read from (the manager's store and raft, the dispatcher's sessions). */
  bind(sources: Partial<ManagerMetricsSources>): void {
    this.#sources = { ...this.#sources, ...sources };
  }
}
