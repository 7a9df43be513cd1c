import * as grpc from '@grpc/grpc-js';
import type { Clock, Logger, Rand, Timer } from '../../common/index.js';
import { statusToError } from '../../common/index.js';
import { type dispatcherpb, loadGrpcObject, type NodeDescription } from '../../proto/index.js';
import { Backoff } from './backoff.js';
import {
  SessionEndedError,
  SessionOptionsError,
  SessionProtocolError,
  SessionUnavailableError,
} from './errors.js';
import type { TaskStatusReport } from './status-reporter.js';

/** What the worker made of an assignments message: `'resync'` reopens the stream for a COMPLETE set. */
export type AssignmentsResult = 'applied' | 'resync';

export interface SessionOptions {
  /** Managers to try, `host:port` or `unix:/path`; the managers a dispatcher announces are added. */
  managers: string[];
  /** mTLS in production; `grpc.credentials.createInsecure()` in tests. */
  credentials: grpc.ChannelCredentials;
  /** Metadata for every call (tests name the node with `x-swarmd-test-node-id`). */
  metadata?: () => grpc.Metadata;
  /** Added to every channel's options (the TLS target name the managers' certificates carry). */
  channelOptions?: grpc.ChannelOptions;
  /** This node, sent when a session opens. */
  describe: () => Promise<NodeDescription>;
  /** Each assignments message, one at a time. */
  onAssignments: (message: dispatcherpb.AssignmentsMessage__Output) => Promise<AssignmentsResult>;
  /** A session opened (report every task's status again, retry pending reports). */
  onSession?: (info: SessionInfo) => void;
  clock: Clock;
  logger: Logger;
  rand: Rand;
  /** Timeout of a heartbeat or status call, and of the wait for the first session message. @default 5000 */
  rpcTimeoutMs?: number;
  /** Reconnect backoff. @default 100 ms doubling to 8 s, with jitter */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A session that lasted this long resets the backoff. @default 10000 */
  backoffResetAfterMs?: number;
}

/** The open session. */
export interface SessionInfo {
  sessionId: string;
  nodeId: string;
  /** The manager it is open with. */
  manager: string;
  heartbeatPeriodMs: number;
  /** `clock.now()` when it opened. */
  establishedAt: number;
  /** `clock.now()` when the last heartbeat was answered, 0 before the first. */
  lastHeartbeatAt: number;
  /** The role the managers want for this node, as the last heartbeat said ('' before the first). */
  desiredRole: string;
}

/** Error code a follower's dispatcher answers with (UNAVAILABLE), naming the managers it knows. */
export const NOT_LEADER_CODE = 'ERR_DISPATCHER_NOT_LEADER';

const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
const MAX_RESYNCS = 3;

type DispatcherCtor = ReturnType<typeof loadGrpcObject<'dispatcher'>>['swarmd']['dispatcher']['Dispatcher'];
let dispatcherCtor: DispatcherCtor | null = null;

/** One session attempt with one manager: its calls and timers end together. */
class Attempt {
  readonly addr: string;
  readonly client: dispatcherpb.DispatcherClient;
  sessionId = '';
  nodeId = '';
  periodMs = 0;
  established = false;
  establishedAt = 0;
  lastHeartbeatAt = 0;
  desiredRole = '';
  ended = false;
  resyncs = 0;
  readonly done: Promise<Error>;
  readonly #calls = new Set<{ cancel(): void }>();
  readonly #timers = new Set<Timer>();
  #resolve!: (err: Error) => void;

  constructor(addr: string, client: dispatcherpb.DispatcherClient) {
    this.addr = addr;
    this.client = client;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  track<C extends { cancel(): void }>(call: C): C {
    this.#calls.add(call);
    return call;
  }
  untrack(call: { cancel(): void }): void {
    this.#calls.delete(call);
  }
  timer(clock: Clock, ms: number, fn: () => void): Timer {
    const t = clock.setTimeout(() => {
      this.#timers.delete(t);
      if (!this.ended) fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }
  cancelTimer(t: Timer): void {
    t.cancel();
    this.#timers.delete(t);
  }

  end(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    for (const c of [...this.#calls]) c.cancel();
    this.#calls.clear();
    this.client.close();
    this.#resolve(err);
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}

function addrOf(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (v !== null && typeof v === 'object') {
    const a = (v as { addr?: unknown }).addr;
    if (typeof a === 'string' && a !== '') return a;
  }
  return null;
}

function wireDescription(d: NodeDescription): dispatcherpb.NodeDescription {
  return {
    hostname: d.hostname,
    os: d.platform.os,
    architecture: d.platform.architecture,
    nanoCpus: d.resources.nanoCpus,
    memoryBytes: d.resources.memoryBytes,
    engineVersion: d.engine.version,
    engineLabels: { ...d.engine.labels },
  };
}

function wireStatus(r: TaskStatusReport): dispatcherpb.TaskStatusUpdate {
  const s = r.status;
  return {
    taskId: r.taskId,
    state: s.state,
    timestamp: s.timestamp,
    message: s.message,
    err: s.err,
    container: s.container
      ? {
          containerId: s.container.containerId,
          pid: s.container.pid,
          exitCode: s.container.exitCode,
          oomKilled: s.container.oomKilled,
        }
      : null,
    restarts: s.restarts,
  };
}

/**
 * The agent's session with the leader's dispatcher (proto/dispatcher.proto), after swarmkit's
 * agent/session.go: opens `Session` (the first message names the session, the node, the managers and
 * the heartbeat period), heartbeats at the period the dispatcher gives, streams `Assignments` into
 * `onAssignments`, and carries `UpdateTaskStatus` calls. Any failure (a follower's
 * ERR_DISPATCHER_NOT_LEADER, a stream that ends, a failed heartbeat, an unknown session) ends the session
 * and the next manager it knows is tried (the configured ones and those announced), after a backoff of
 * 100 ms doubling to 8 s with jitter, reset once a session lasted.
 */
export class Session {
  readonly #o: SessionOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #configured: string[];
  #announced: string[] = [];
  #preferred: string | null = null;
  #active: Attempt | null = null;
  #running: Promise<void> | null = null;
  #stopping = false;
  #wakeSleep: (() => void) | null = null;
  #sessions = 0;

  constructor(options: SessionOptions) {
    if (options.managers.length === 0)
      throw new SessionOptionsError('managers', 'must name at least one manager');
    for (const m of options.managers)
      if (typeof m !== 'string' || m.trim() === '')
        throw new SessionOptionsError(
          'managers',
          `must be host:port or unix:/path, got ${JSON.stringify(m)}`,
        );
    this.#o = options;
    this.#log = options.logger.child({ module: 'agent/session' });
    this.#configured = [...new Set(options.managers)];
    this.#backoff = new Backoff({
      rand: options.rand,
      ...(options.backoffInitialMs === undefined ? {} : { initialMs: options.backoffInitialMs }),
      ...(options.backoffMaxMs === undefined ? {} : { maxMs: options.backoffMaxMs }),
    });
  }

  /** Every manager it knows: the configured ones, then those the dispatchers announced. */
  managers(): string[] {
    return [...new Set([...this.#configured, ...this.#announced])];
  }

  /** The open session, or null while connecting. */
  current(): SessionInfo | null {
    const a = this.#active;
    if (a === null || !a.established || a.ended) return null;
    return {
      sessionId: a.sessionId,
      nodeId: a.nodeId,
      manager: a.addr,
      heartbeatPeriodMs: a.periodMs,
      establishedAt: a.establishedAt,
      lastHeartbeatAt: a.lastHeartbeatAt,
      desiredRole: a.desiredRole,
    };
  }

  /** How many sessions opened so far. */
  get sessionsOpened(): number {
    return this.#sessions;
  }

  /** Keeps a session open, failing over between managers, until {@link stop}. Resolves once stopped. */
  run(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /** Ends the session and the loop. Idempotent; resolves once the loop exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeSleep?.();
    this.#active?.end(new SessionEndedError(this.#active.addr, 'the agent is stopping'));
    await this.#running;
  }

  /**
   * Sends one batch of task statuses on the open session.
   * @throws SessionUnavailableError when no session is open; SessionEndedError when the call failed
   */
  async updateTaskStatus(reports: TaskStatusReport[]): Promise<void> {
    const a = this.#active;
    if (a === null || !a.established || a.ended) throw new SessionUnavailableError('report task statuses');
    const request: dispatcherpb.UpdateTaskStatusRequest = {
      sessionId: a.sessionId,
      updates: reports.map(wireStatus),
    };
    try {
      await this.#unary(a, (md, cb) => a.client.UpdateTaskStatus(request, md, cb));
    } catch (err) {
      const failure = this.#failure(a, err, 'the status update failed');
      // Only an unknown session ends it; anything else is retried by the reporter on the same session.
      if (isServiceError(err) && err.code === grpc.status.NOT_FOUND) a.end(failure);
      throw failure;
    }
  }

  async #run(): Promise<void> {
    let addr = this.managers()[0] as string;
    while (!this.#stopping) {
      const a = this.#open(addr);
      this.#active = a;
      const err = await a.done;
      this.#active = null;
      if (this.#stopping) break;
      const lasted = a.established ? this.#o.clock.now() - a.establishedAt : -1;
      if (lasted >= (this.#o.backoffResetAfterMs ?? 10_000)) this.#backoff.reset();
      addr = this.#next(addr);
      const delay = this.#backoff.next();
      this.#log.warn('session ended, trying the next manager', {
        err,
        'manager.addr': a.addr,
        'manager.next': addr,
        'retry.ms': delay,
      });
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.#o.clock.setTimeout(() => {
        this.#wakeSleep = null;
        resolve();
      }, ms);
      this.#wakeSleep = () => {
        t.cancel();
        this.#wakeSleep = null;
        resolve();
      };
    });
  }

  #next(after: string): string {
    const known = this.managers();
    const preferred = this.#preferred;
    this.#preferred = null;
    if (preferred !== null && known.includes(preferred) && preferred !== after) return preferred;
    const i = known.indexOf(after);
    return known[(i + 1) % known.length] as string;
  }

  #metadata(): grpc.Metadata {
    return this.#o.metadata?.() ?? new grpc.Metadata();
  }

  #open(addr: string): Attempt {
    dispatcherCtor ??= loadGrpcObject('dispatcher').swarmd.dispatcher.Dispatcher;
    const client = new dispatcherCtor(addr, this.#o.credentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      ...this.#o.channelOptions,
    });
    const a = new Attempt(addr, client);
    void this.#start(a).catch((err: unknown) => a.end(this.#failure(a, err, 'cannot open a session')));
    return a;
  }

  async #start(a: Attempt): Promise<void> {
    const description = wireDescription(await this.#o.describe());
    if (a.ended) return;
    const timeoutMs = this.#o.rpcTimeoutMs ?? 5000;
    const first = a.timer(this.#o.clock, timeoutMs, () =>
      a.end(new SessionEndedError(a.addr, `no session message within ${timeoutMs} ms`)),
    );
    const call = a.track(a.client.Session({ description }, this.#metadata()));
    call.on('data', (m: dispatcherpb.SessionMessage__Output) => {
      if (a.ended) return;
      const problem = this.#onSessionMessage(a, m);
      if (problem !== null) {
        a.end(new SessionProtocolError(a.addr, problem));
        return;
      }
      if (a.established) return;
      a.cancelTimer(first);
      a.established = true;
      a.establishedAt = this.#o.clock.now();
      this.#sessions++;
      this.#log.info('session open', {
        'manager.addr': a.addr,
        'node.id': a.nodeId,
        'session.id': a.sessionId,
        'heartbeat.period_ms': a.periodMs,
      });
      this.#scheduleHeartbeat(a);
      this.#openAssignments(a);
      const info = this.current();
      if (info !== null) this.#o.onSession?.(info);
    });
    call.on('error', (err: Error) => {
      a.untrack(call);
      a.end(this.#failure(a, err, 'the session stream failed'));
    });
    call.on('end', () => {
      a.untrack(call);
      a.end(new SessionEndedError(a.addr, 'the dispatcher closed the session stream'));
    });
  }

  /** Applies a session message; returns what breaks the contract, or null. */
  #onSessionMessage(a: Attempt, m: dispatcherpb.SessionMessage__Output): string | null {
    if (m.sessionId === '') return 'session_id: must not be empty';
    const period = Number(m.heartbeatPeriodMs);
    if (!Number.isFinite(period) || period <= 0)
      return `heartbeat_period_ms: must be a positive number, got "${m.heartbeatPeriodMs}"`;
    a.sessionId = m.sessionId;
    a.nodeId = m.nodeId;
    a.periodMs = period;
    const announced = m.managers.map((x) => x.addr).filter((x) => x !== '');
    if (announced.length > 0) this.#announced = announced;
    return null;
  }

  #scheduleHeartbeat(a: Attempt): void {
    // A heartbeat unanswered for two periods means the manager is gone (crashed, partitioned away): the
    // agent moves on at once, well within the grace a new leader's dispatcher gives it to reconnect.
    const timeoutMs = Math.min(this.#o.rpcTimeoutMs ?? 5000, Math.max(1000, 2 * a.periodMs));
    a.timer(this.#o.clock, a.periodMs, () => {
      this.#unary<dispatcherpb.HeartbeatResponse__Output>(
        a,
        (md, cb) => a.client.Heartbeat({ sessionId: a.sessionId }, md, cb),
        timeoutMs,
      ).then(
        (res) => {
          const next = Number(res.periodMs);
          if (Number.isFinite(next) && next > 0) a.periodMs = next;
          a.lastHeartbeatAt = this.#o.clock.now();
          a.desiredRole = res.desiredRole;
          if (!a.ended) this.#scheduleHeartbeat(a);
        },
        (err: unknown) => a.end(this.#failure(a, err, 'the heartbeat failed')),
      );
    });
  }

  #openAssignments(a: Attempt): void {
    if (a.ended) return;
    const call = a.track(a.client.Assignments({ sessionId: a.sessionId }, this.#metadata()));
    let closed = false;
    let complete = false;
    const close = (): void => {
      closed = true;
      a.untrack(call);
      call.cancel();
    };
    call.on('data', (m: dispatcherpb.AssignmentsMessage__Output) => {
      if (closed || a.ended) return;
      call.pause();
      void (async () => {
        let result: AssignmentsResult = 'resync';
        // A stream starts with the whole set; anything else cannot be applied.
        if (complete || m.type === 'COMPLETE') {
          try {
            result = await this.#o.onAssignments(m);
          } catch (err) {
            this.#log.error('cannot apply assignments, asking for them again', { err });
          }
        }
        if (closed || a.ended) return;
        if (result === 'applied') {
          complete = true;
          a.resyncs = 0;
          call.resume();
          return;
        }
        close();
        if (++a.resyncs > MAX_RESYNCS) {
          a.end(new SessionProtocolError(a.addr, 'the assignments keep arriving out of sequence'));
          return;
        }
        this.#openAssignments(a);
      })();
    });
    call.on('error', (err: Error) => {
      if (closed) return;
      closed = true;
      a.untrack(call);
      a.end(this.#failure(a, err, 'the assignments stream failed'));
    });
    call.on('end', () => {
      if (closed) return;
      closed = true;
      a.untrack(call);
      a.end(new SessionEndedError(a.addr, 'the dispatcher closed the assignments stream'));
    });
  }

  /** A unary call with the RPC timeout (or `timeoutMs`), on the injected clock. */
  #unary<R>(
    a: Attempt,
    invoke: (md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: R) => void) => grpc.ClientUnaryCall,
    timeoutMs = this.#o.rpcTimeoutMs ?? 5000,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let timedOut = false;
      let timer: Timer | null = null;
      const call = invoke(this.#metadata(), (err, res) => {
        a.untrack(call);
        if (timer !== null) a.cancelTimer(timer);
        if (timedOut) reject(new SessionEndedError(a.addr, `no answer within ${timeoutMs} ms`));
        else if (err) reject(err);
        else resolve(res as R);
      });
      a.track(call);
      timer = a.timer(this.#o.clock, timeoutMs, () => {
        timedOut = true;
        call.cancel();
      });
    });
  }

  /** Turns what failed into the session's error, learning the managers a follower names. */
  #failure(a: Attempt, err: unknown, what: string): Error {
    if (err instanceof SessionEndedError || err instanceof SessionProtocolError) return err;
    if (!isServiceError(err)) return new SessionEndedError(a.addr, `${what}: ${String(err)}`, { cause: err });
    const received = statusToError(err);
    if (received.code === NOT_LEADER_CODE) this.#learn(received.fields);
    return new SessionEndedError(a.addr, `${what}: ${grpc.status[err.code] ?? err.code}: ${err.details}`, {
      cause: err,
      fields: { 'grpc.code': err.code, 'error.code': received.code },
    });
  }

  /** A follower's hint: `managers` (addresses or {addr, leader}) and `leader`/`leaderAddr`. */
  #learn(fields: Readonly<Record<string, unknown>>): void {
    const list = Array.isArray(fields.managers) ? fields.managers : [];
    const addrs = list.map(addrOf).filter((x): x is string => x !== null);
    if (addrs.length > 0) this.#announced = [...new Set([...this.#announced, ...addrs])];
    const leader =
      addrOf(fields.leader) ??
      addrOf(fields.leaderAddr) ??
      addrOf(
        list.find((m) => m !== null && typeof m === 'object' && (m as { leader?: unknown }).leader === true),
      );
    if (leader !== null) {
      if (!this.managers().includes(leader)) this.#announced.push(leader);
      this.#preferred = leader;
    }
  }
}
