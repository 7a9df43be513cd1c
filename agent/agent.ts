import type * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { Clock, Logger, Rand } from '../common/index.js';
import { IllegalStateError } from '../common/index.js';
import type { Executor } from './exec/index.js';
import { AgentMetrics } from './metrics.js';
import { Session, type SessionInfo, StatusReporter } from './session/index.js';
import { Worker, type WorkerTask } from './worker/index.js';

export interface AgentOptions {
  /** The agent's own directory: the task DB is `<stateDir>/tasks/`. */
  stateDir: string;
  /** Managers to reach, `host:port` or `unix:/path` (the ones dispatchers announce are added). */
  managers: string[];
  /** mTLS credentials of this node (tests: insecure). */
  credentials: grpc.ChannelCredentials;
  /** Metadata for every dispatcher call. */
  metadata?: () => grpc.Metadata;
  /** Added to every channel's options (the managers' TLS target name). */
  channelOptions?: grpc.ChannelOptions;
  executor: Executor;
  /** The Prometheus registry the agent's metrics are registered in. @default a registry of its own */
  registry?: Registry;
  clock: Clock;
  logger: Logger;
  rand: Rand;
  /** Session timings, for tests. Defaults: rpc 5 s, backoff 100 ms → 8 s, reset after 10 s. */
  session?: {
    rpcTimeoutMs?: number;
    backoffInitialMs?: number;
    backoffMaxMs?: number;
    backoffResetAfterMs?: number;
  };
}

export type AgentState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface AgentStatus {
  state: AgentState;
  /** The open session, or null while (re)connecting. */
  session: SessionInfo | null;
  /** Every manager the agent knows. */
  managers: string[];
  tasks: WorkerTask[];
  /** Statuses not yet acknowledged by a dispatcher. */
  pendingStatuses: number;
}

/**
 * The agent's composition root (design.md §1, §6): the {@link Worker} (task managers and the local task
 * DB), the {@link Session} with the leader's dispatcher, and the {@link StatusReporter} between them.
 * Stopping the agent leaves the containers running: a restarted agent re-adopts them from its task DB.
 */
export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #worker: Worker;
  readonly #reporter: StatusReporter;
  readonly #session: Session;
  #state: AgentState = 'new';
  #running: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #started: Promise<void>;
  #startedSettle!: { resolve: () => void; reject: (err: unknown) => void };

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'agent' });
    this.#started = new Promise((resolve, reject) => {
      this.#startedSettle = { resolve, reject };
    });
    this.#started.catch(() => undefined);
    this.#reporter = new StatusReporter({
      send: (reports) => this.#session.updateTaskStatus(reports),
      clock: options.clock,
      rand: options.rand.fork(),
      logger: options.logger,
    });
    const metrics = new AgentMetrics(options.registry ?? new Registry());
    this.#worker = new Worker({
      stateDir: options.stateDir,
      executor: options.executor,
      clock: options.clock,
      logger: options.logger,
      report: (taskId, status) => this.#reporter.report(taskId, status),
      events: metrics.events,
    });
    const worker = this.#worker;
    metrics.bind({
      tasks: () => worker.tasks(),
      usage: async (taskId) => (await options.executor.usage?.(taskId)) ?? null,
    });
    const s = options.session ?? {};
    this.#session = new Session({
      managers: options.managers,
      credentials: options.credentials,
      ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
      ...(options.channelOptions === undefined ? {} : { channelOptions: options.channelOptions }),
      describe: () => options.executor.describe(),
      onAssignments: (message) => this.#worker.apply(message),
      onSession: () => {
        // The new dispatcher may have missed what the old one was told: say everything again.
        for (const { taskId, status } of this.#worker.statuses()) this.#reporter.report(taskId, status);
        this.#reporter.kick();
      },
      clock: options.clock,
      logger: options.logger,
      rand: options.rand.fork(),
      ...(s.rpcTimeoutMs === undefined ? {} : { rpcTimeoutMs: s.rpcTimeoutMs }),
      ...(s.backoffInitialMs === undefined ? {} : { backoffInitialMs: s.backoffInitialMs }),
      ...(s.backoffMaxMs === undefined ? {} : { backoffMaxMs: s.backoffMaxMs }),
      ...(s.backoffResetAfterMs === undefined ? {} : { backoffResetAfterMs: s.backoffResetAfterMs }),
    });
  }

  /**
   * Loads the task DB (its tasks resume at once, running containers are re-adopted), then keeps a
   * session with the managers until {@link stop}. Resolves once stopped; rejects when the task DB cannot
   * be read.
   * @throws IllegalStateError when called twice
   */
  run(): Promise<void> {
    if (this.#running !== null)
      return Promise.reject(new IllegalStateError('Cannot run the agent: already run'));
    this.#running = this.#run();
    return this.#running;
  }

  /** Resolves once the task DB is loaded and the session loop runs; rejects with what stopped the start. */
  whenStarted(): Promise<void> {
    return this.#started;
  }

  async #run(): Promise<void> {
    this.#state = 'starting';
    try {
      await this.#worker.load();
    } catch (err) {
      this.#log.error('agent failed to start', { err });
      this.#startedSettle.reject(err);
      await this.stop();
      throw err;
    }
    if (this.#stopping !== null) {
      this.#startedSettle.reject(new IllegalStateError('Cannot start the agent: it was stopped'));
      return;
    }
    this.#state = 'running';
    this.#log.info('agent running', { 'manager.addrs': this.#o.managers });
    const session = this.#session.run();
    this.#startedSettle.resolve();
    await session;
    await this.#stopping;
  }

  /** Ends the session and the task managers; containers keep running. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state !== 'new') this.#state = 'stopping';
    await this.#session.stop();
    this.#reporter.stop();
    await this.#worker.stop();
    this.#state = 'stopped';
  }

  status(): AgentStatus {
    return {
      state: this.#state,
      session: this.#session.current(),
      managers: this.#session.managers(),
      tasks: this.#worker.tasks(),
      pendingStatuses: this.#reporter.pending,
    };
  }
}
