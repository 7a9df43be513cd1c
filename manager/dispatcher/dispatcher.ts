/**
 * The leader's dispatcher (design.md §4 steps 3–4, swarmkit's manager/dispatcher): agents open a session,
 * heartbeat, receive their assignment set and report task status. One instance lives on every manager and
 * is registered on the cluster port at start; it serves only while `run(signal)` runs (the integrator
 * calls it from `runWhileLeader`), and answers UNAVAILABLE (ERR_DISPATCHER_NOT_LEADER) otherwise.
 *
 * Cost model (1,000 nodes × 50 tasks): a heartbeat moves a deadline (no store write, no timer churn: one
 * timer per node, re-armed only when it fires early); ONE store watcher for all nodes routes task events
 * to the node's streams by `nodeId` and each node gets at most one INCREMENTAL message per store commit,
 * computed from the ids that changed; status writes and node status writes go through group-committed
 * store batches.
 */
import * as grpc from '@grpc/grpc-js';
import { errorMessage, IllegalStateError, type Logger, type Timer } from '../../common/index.js';
import { type dispatcherpb, loadGrpcObject, type NodeDescription, TASK_STATES } from '../../proto/index.js';
import type { MemoryStore, StoreEvent, Watcher, WriteTx } from '../store/index.js';
import { AssignmentSet } from './assignment-set.js';
import { BatchWriter } from './batch-writer.js';
import {
  dispatcherErrorToStatus,
  InvalidRequestError,
  type ManagerAddress,
  NodeRemovedError,
  NotLeaderError,
  SessionUnknownError,
} from './errors.js';
import {
  type CompiledDispatcherOptions,
  compileDispatcherOptions,
  type DispatcherCall,
  type DispatcherOptions,
  type NodeIdentity,
} from './options.js';
import { descriptionFromProto, peerIp, type StatusUpdate, statusUpdateFromProto } from './validate.js';

type SessionCall = grpc.ServerWritableStream<
  dispatcherpb.SessionRequest__Output,
  dispatcherpb.SessionMessage
>;
type AssignmentsCall = grpc.ServerWritableStream<
  dispatcherpb.AssignmentsRequest__Output,
  dispatcherpb.AssignmentsMessage
>;

interface Session {
  readonly id: string;
  readonly nodeId: string;
  readonly call: SessionCall;
  /** The period last given to the agent (jitter included). */
  periodMs: number;
  ended: boolean;
  readonly streams: Set<AssignmentStream>;
}

interface AssignmentStream {
  readonly session: Session;
  readonly call: AssignmentsCall;
  readonly set: AssignmentSet;
  /** `results_in` of the last message sent. */
  seq: number;
  waitingDrain: boolean;
  ended: boolean;
}

/** A node whose heartbeats are awaited: marked down when `deadline` passes. */
interface Tracked {
  deadline: number;
  timer: Timer | null;
  timerAt: number;
  session: Session | null;
  graceMs: number;
  /** What the node failed to do, for the down message. */
  awaiting: 'heartbeat' | 'reconnect' | 'unreachable';
}

type NodeWrite =
  | { kind: 'ready'; nodeId: string; description: NodeDescription; addr: string }
  | { kind: 'down'; nodeId: string; message: string };

interface RunState {
  readonly signal: AbortSignal;
  watcher: Watcher;
  readonly nodeWriter: BatchWriter<NodeWrite>;
  readonly statusWriter: BatchWriter<StatusUpdate>;
  pollTimer: Timer | null;
  unreachableCheck: Timer | null;
  /** The managers and base period last broadcast, as JSON. */
  broadcastKey: string;
}

const WATCH_KINDS = ['task', 'secret', 'config', 'node', 'cluster'] as const;
const SESSION_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export class Dispatcher {
  readonly #o: CompiledDispatcherOptions;
  readonly #store: MemoryStore;
  readonly #log: Logger;
  #run: RunState | null = null;
  readonly #sessions = new Map<string, Session>();
  /** Status updates that were their task's first RUNNING, with the task's creation time. */
  readonly #firstRunning = new WeakMap<StatusUpdate, number>();
  readonly #sessionsById = new Map<string, Session>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #streams = new Map<string, Set<AssignmentStream>>();
  readonly #dirty = new Set<AssignmentStream>();

  constructor(options: DispatcherOptions) {
    this.#o = compileDispatcherOptions(options);
    this.#store = this.#o.store;
    this.#log = this.#o.logger.child({ module: 'manager/dispatcher' });
  }

  /** True while {@link run} runs. */
  get running(): boolean {
    return this.#run !== null;
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Adds the `swarmd.dispatcher.Dispatcher` service to `server`. */
  register(server: grpc.Server): void {
    const { swarmd } = loadGrpcObject('dispatcher');
    server.addService(swarmd.dispatcher.Dispatcher.service, this.handlers());
  }

  /** The service's handlers (what {@link register} adds). */
  handlers(): dispatcherpb.DispatcherHandlers {
    return {
      Session: (call) => {
        void this.#serveSession(call);
      },
      Heartbeat: (call, callback) => {
        try {
          callback(null, this.#heartbeat(call));
        } catch (err) {
          callback(this.#fail('Heartbeat', err));
        }
      },
      UpdateTaskStatus: (call, callback) => {
        this.#updateTaskStatus(call).then(
          () => callback(null, {}),
          (err: unknown) => callback(this.#fail('UpdateTaskStatus', err)),
        );
      },
      Assignments: (call) => {
        try {
          this.#openAssignments(call);
        } catch (err) {
          call.emit('error', this.#fail('Assignments', err));
        }
      },
    };
  }

  /**
   * Serves until `signal` aborts (leadership lost) or the store closes. At start every node that is
   * `ready` in the store gets one grace period to open a session before it is marked down. On stop, every
   * session and stream ends with UNAVAILABLE (ERR_DISPATCHER_NOT_LEADER) and queued writes are refused.
   * @throws IllegalStateError when already running
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#run !== null) throw new IllegalStateError('Cannot run the dispatcher: it is already running');
    if (signal.aborted) return;
    const { result, watcher } = this.#store.viewAndWatch(
      (tx) => ({
        ready: tx.nodes.find().filter((n) => n.status.state === 'ready'),
        period: this.#basePeriodIn(tx.clusters.find()),
      }),
      { kinds: WATCH_KINDS, maxQueue: this.#o.watchQueue },
    );
    const state: RunState = {
      signal,
      watcher,
      nodeWriter: new BatchWriter<NodeWrite>({
        store: this.#store,
        maxItems: this.#o.maxStatusBatchItems,
        write: (tx, w) => this.#writeNode(tx, w),
      }),
      statusWriter: new BatchWriter<StatusUpdate>({
        store: this.#store,
        maxItems: this.#o.maxStatusBatchItems,
        write: (tx, u) => {
          // Observed once the write committed (updateTaskStatus): a failed commit is sent again.
          const created = writeStatus(tx, u);
          if (created === null) this.#firstRunning.delete(u);
          else this.#firstRunning.set(u, created);
        },
      }),
      pollTimer: null,
      unreachableCheck: null,
      broadcastKey: JSON.stringify([this.#o.managers(), result.period]),
    };
    this.#run = state;
    const heartbeatGrace = Math.round(result.period * this.#o.heartbeatGraceMultiplier);
    const grace = Math.max(this.#o.reconnectGraceMs, heartbeatGrace);
    for (const n of result.ready) this.#track(n.id, null, grace, 'reconnect');
    // A node known unreachable otherwise (the old leader's host, say) is not waited for so long: checked
    // every period while the reconnect grace lasts.
    if (grace > heartbeatGrace) this.#checkUnreachable(state, result.period, this.#o.clock.now() + grace);
    this.#armPoll(state, result.period);
    this.#log.info('dispatcher started', { nodes: result.ready.length, 'heartbeat.periodMs': result.period });
    const onAbort = (): void => state.watcher.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#loop(state);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#shutdown(state);
    }
  }

  // ---------------------------------------------------------------- the event loop

  async #loop(state: RunState): Promise<void> {
    while (!state.signal.aborted) {
      await state.watcher.ready();
      if (state.signal.aborted) return;
      let events: StoreEvent[];
      try {
        events = state.watcher.take();
      } catch (err) {
        // The watcher overflowed: start again from the store's state.
        this.#log.warn('dispatcher watch lost, resynchronising every node', { err });
        state.watcher = this.#store.watch({ kinds: WATCH_KINDS, maxQueue: this.#o.watchQueue });
        this.#resyncAll();
        continue;
      }
      if (events.length === 0 && state.watcher.closed) return;
      for (const e of events) this.#onEvent(e);
    }
  }

  #onEvent(e: StoreEvent): void {
    switch (e.action) {
      case 'commit':
        this.#flushDirty();
        return;
      case 'restore':
        this.#resyncAll();
        return;
    }
    switch (e.kind) {
      case 'task':
        this.#markTask(e.object.nodeId, e.object.id);
        if (e.old !== null && e.old.nodeId !== e.object.nodeId) this.#markTask(e.old.nodeId, e.object.id);
        return;
      case 'secret':
      case 'config':
        for (const streams of this.#streams.values())
          for (const s of streams) {
            s.set.markRef(e.kind, e.object.id);
            if (s.set.dirty) this.#dirty.add(s);
          }
        return;
      case 'node':
        if (e.action === 'delete') this.#nodeRemoved(e.object.id);
        return;
      case 'cluster':
        if (this.#run !== null) this.#broadcastIfChanged(this.#run);
        return;
    }
  }

  #markTask(nodeId: string, taskId: string): void {
    if (nodeId === '') return;
    const streams = this.#streams.get(nodeId);
    if (streams === undefined) return;
    for (const s of streams) {
      s.set.markTask(taskId);
      this.#dirty.add(s);
    }
  }

  #flushDirty(): void {
    if (this.#dirty.size === 0) return;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const s of dirty) this.#flushStream(s);
  }

  #resyncAll(): void {
    for (const nodeId of [...this.#sessions.keys()])
      if (this.#store.view((tx) => tx.nodes.get(nodeId)) === undefined) this.#nodeRemoved(nodeId);
    for (const streams of this.#streams.values())
      for (const s of streams) {
        s.set.markAll();
        this.#dirty.add(s);
      }
    this.#flushDirty();
  }

  #nodeRemoved(nodeId: string): void {
    const t = this.#tracked.get(nodeId);
    if (t !== undefined) {
      t.timer?.cancel();
      this.#tracked.delete(nodeId);
    }
    const session = this.#sessions.get(nodeId);
    if (session !== undefined) {
      this.#log.info('node removed, ending its session', { 'node.id': nodeId });
      this.#endSession(session, new NodeRemovedError(nodeId));
    }
  }

  #shutdown(state: RunState): void {
    if (this.#run !== state) return;
    this.#run = null;
    state.pollTimer?.cancel();
    state.unreachableCheck?.cancel();
    state.watcher.close();
    const err = new NotLeaderError('serve agents', this.#o.managers());
    for (const session of [...this.#sessions.values()]) this.#endSession(session, err);
    for (const t of this.#tracked.values()) t.timer?.cancel();
    this.#tracked.clear();
    this.#dirty.clear();
    state.nodeWriter.close(err);
    state.statusWriter.close(err);
    this.#log.info('dispatcher stopped');
  }

  // ---------------------------------------------------------------- heartbeat periods and managers

  #basePeriodIn(clusters: readonly { spec: { dispatcher: { heartbeatPeriodMs: number } } }[]): number {
    const p = clusters[0]?.spec.dispatcher.heartbeatPeriodMs;
    return typeof p === 'number' && Number.isSafeInteger(p) && p > 0 ? p : this.#o.defaultHeartbeatPeriodMs;
  }

  #basePeriod(): number {
    return this.#store.view((tx) => this.#basePeriodIn(tx.clusters.find()));
  }

  /** The period an agent gets: the cluster's ± the jitter, so that agents do not beat in step. */
  #jittered(base: number): number {
    const f = 1 + (this.#o.rand.next() * 2 - 1) * this.#o.heartbeatJitter;
    return Math.max(1, Math.round(base * f));
  }

  #armPoll(state: RunState, period: number): void {
    // Raft membership (the managers list) is not in the store: look at it once a period.
    state.pollTimer = this.#o.clock.setTimeout(() => {
      if (this.#run !== state) return;
      this.#broadcastIfChanged(state);
      this.#armPoll(state, this.#basePeriod());
    }, period);
  }

  #broadcastIfChanged(state: RunState): void {
    const managers = this.#o.managers();
    const base = this.#basePeriod();
    const key = JSON.stringify([managers, base]);
    if (key === state.broadcastKey) return;
    state.broadcastKey = key;
    for (const session of this.#sessions.values()) {
      session.periodMs = this.#jittered(base);
      this.#sendSessionMessage(session, managers);
    }
  }

  #sendSessionMessage(session: Session, managers: readonly ManagerAddress[]): void {
    if (session.ended) return;
    session.call.write({
      sessionId: session.id,
      nodeId: session.nodeId,
      managers: managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr })),
      heartbeatPeriodMs: String(session.periodMs),
    });
  }

  // ---------------------------------------------------------------- node liveness

  #track(nodeId: string, session: Session | null, graceMs: number, awaiting: Tracked['awaiting']): void {
    const now = this.#o.clock.now();
    let t = this.#tracked.get(nodeId);
    if (t === undefined) {
      t = { deadline: now + graceMs, timer: null, timerAt: 0, session, graceMs, awaiting };
      this.#tracked.set(nodeId, t);
    } else {
      t.deadline = now + graceMs;
      t.session = session;
      t.graceMs = graceMs;
      t.awaiting = awaiting;
    }
    if (t.timer !== null && t.timerAt > t.deadline) {
      t.timer.cancel();
      t.timer = null;
    }
    if (t.timer === null) this.#armTracker(nodeId, t, t.deadline - now);
  }

  #armTracker(nodeId: string, t: Tracked, ms: number): void {
    t.timerAt = this.#o.clock.now() + ms;
    t.timer = this.#o.clock.setTimeout(() => {
      t.timer = null;
      if (this.#tracked.get(nodeId) !== t) return;
      const left = t.deadline - this.#o.clock.now();
      if (left > 0) this.#armTracker(nodeId, t, left);
      else this.#expire(nodeId, t);
    }, ms);
  }

  #checkUnreachable(state: RunState, periodMs: number, until: number): void {
    state.unreachableCheck = this.#o.clock.setTimeout(() => {
      state.unreachableCheck = null;
      if (this.#run !== state) return;
      let waiting = false;
      for (const [nodeId, t] of [...this.#tracked]) {
        if (t.awaiting !== 'reconnect' || t.session !== null) continue;
        if (!this.#o.unreachable(nodeId)) waiting = true;
        else {
          t.awaiting = 'unreachable';
          this.#expire(nodeId, t);
        }
      }
      if (waiting && this.#o.clock.now() + periodMs < until) this.#checkUnreachable(state, periodMs, until);
    }, periodMs);
  }

  #expire(nodeId: string, t: Tracked): void {
    this.#tracked.delete(nodeId);
    const run = this.#run;
    if (run === null) return;
    if (t.session !== null)
      this.#endSession(t.session, new SessionUnknownError(nodeId, t.session.id, 'expired'));
    const message =
      t.awaiting === 'reconnect'
        ? `heartbeat failure: the node did not reconnect within ${t.graceMs} ms after the dispatcher started`
        : t.awaiting === 'unreachable'
          ? 'heartbeat failure: the node did not reconnect after the dispatcher started, and its manager does not answer Raft either'
          : `heartbeat failure: no heartbeat for ${t.graceMs} ms`;
    this.#log.info('node missed its heartbeats, marking it down', { 'node.id': nodeId, message });
    this.#o.metrics.heartbeatsMissed();
    run.nodeWriter.submit([{ kind: 'down', nodeId, message }]).catch((err: unknown) => {
      this.#log.warn('could not mark a node down', { 'node.id': nodeId, err });
    });
  }

  #writeNode(tx: WriteTx, w: NodeWrite): void {
    const node = tx.nodes.get(w.nodeId);
    if (w.kind === 'ready') {
      if (node === undefined) throw new NodeRemovedError(w.nodeId);
      tx.nodes.update({
        ...node,
        description: w.description,
        status: { state: 'ready', message: '', addr: w.addr === '' ? node.status.addr : w.addr },
      });
      return;
    }
    // A node that opened a new session since its old one expired stays ready.
    if (node === undefined || this.#sessions.has(w.nodeId) || node.status.state === 'down') return;
    tx.nodes.update({ ...node, status: { ...node.status, state: 'down', message: w.message } });
  }

  // ---------------------------------------------------------------- calls

  #fail(method: string, err: unknown): ReturnType<typeof dispatcherErrorToStatus> {
    let status: ReturnType<typeof dispatcherErrorToStatus>;
    try {
      status = dispatcherErrorToStatus(err);
    } catch (bug) {
      this.#log.error('dispatcher error mapping failed', { method, err: bug });
      status = { code: grpc.status.INTERNAL, details: errorMessage(err), metadata: new grpc.Metadata() };
    }
    if (status.code === grpc.status.INTERNAL) this.#log.error('dispatcher call failed', { method, err });
    else this.#log.debug('dispatcher call refused', { method, message: status.details });
    return status;
  }

  #caller(call: DispatcherCall, what: string): { identity: NodeIdentity; run: RunState } {
    const identity = this.#o.authenticate(call);
    const run = this.#run;
    if (run === null) throw new NotLeaderError(what, this.#o.managers());
    return { identity, run };
  }

  #session(nodeId: string, sessionId: string): Session {
    const s = this.#sessionsById.get(sessionId);
    if (s === undefined || s.nodeId !== nodeId || s.ended)
      throw new SessionUnknownError(nodeId, sessionId, 'unknown');
    return s;
  }

  #newSessionId(): string {
    let id = '';
    for (let i = 0; i < 25; i++) id += SESSION_ID_ALPHABET[this.#o.rand.int(36)];
    return id;
  }

  async #serveSession(call: SessionCall): Promise<void> {
    let session: Session | null = null;
    try {
      const { identity, run } = this.#caller(call, 'open a session');
      const nodeId = identity.nodeId;
      const description = descriptionFromProto(
        `open a session for node "${nodeId}"`,
        call.request.description,
      );
      if (this.#store.view((tx) => tx.nodes.get(nodeId)) === undefined) throw new NodeRemovedError(nodeId);
      const previous = this.#sessions.get(nodeId);
      if (previous !== undefined)
        this.#endSession(previous, new SessionUnknownError(nodeId, previous.id, 'superseded'));
      const s: Session = {
        id: this.#newSessionId(),
        nodeId,
        call,
        periodMs: this.#jittered(this.#basePeriod()),
        ended: false,
        streams: new Set(),
      };
      session = s;
      this.#sessions.set(nodeId, s);
      this.#sessionsById.set(s.id, s);
      this.#track(nodeId, s, Math.round(s.periodMs * this.#o.heartbeatGraceMultiplier), 'heartbeat');
      call.once('cancelled', () => this.#endSession(s, null));
      const addr = peerIp(call.getPeer());
      this.#log.info('session opened', { 'node.id': nodeId, 'session.id': s.id, role: identity.role, addr });
      await run.nodeWriter.submit([{ kind: 'ready', nodeId, description, addr }]);
      this.#sendSessionMessage(s, this.#o.managers());
    } catch (err) {
      if (session !== null) this.#endSession(session, err);
      else if (!call.cancelled) call.emit('error', this.#fail('Session', err));
    }
  }

  /** Ends a session; `err` null: its stream was closed by the agent. */
  #endSession(session: Session, err: unknown): void {
    if (session.ended) return;
    session.ended = true;
    if (this.#sessions.get(session.nodeId) === session) this.#sessions.delete(session.nodeId);
    this.#sessionsById.delete(session.id);
    const t = this.#tracked.get(session.nodeId);
    if (t !== undefined && t.session === session) t.session = null;
    const streamErr = err ?? new SessionUnknownError(session.nodeId, session.id, 'closed');
    for (const s of [...session.streams]) this.#endStream(s, streamErr);
    if (session.call.cancelled) return;
    if (err === null) session.call.end();
    else session.call.emit('error', this.#fail('Session', err));
  }

  #heartbeat(
    call: grpc.ServerUnaryCall<dispatcherpb.HeartbeatRequest__Output, unknown>,
  ): dispatcherpb.HeartbeatResponse {
    const { identity } = this.#caller(call, 'heartbeat');
    const session = this.#session(identity.nodeId, call.request.sessionId);
    this.#o.metrics.heartbeat();
    session.periodMs = this.#jittered(this.#basePeriod());
    this.#track(
      session.nodeId,
      session,
      Math.round(session.periodMs * this.#o.heartbeatGraceMultiplier),
      'heartbeat',
    );
    const desiredRole = this.#o.store.view((tx) => tx.nodes.get(session.nodeId))?.spec.desiredRole ?? '';
    return { periodMs: String(session.periodMs), desiredRole };
  }

  async #updateTaskStatus(
    call: grpc.ServerUnaryCall<dispatcherpb.UpdateTaskStatusRequest__Output, unknown>,
  ): Promise<void> {
    const { identity, run } = this.#caller(call, 'update task status');
    const nodeId = identity.nodeId;
    this.#session(nodeId, call.request.sessionId);
    const what = `update task status for node "${nodeId}"`;
    const raw = call.request.updates;
    if (raw.length > this.#o.maxUpdatesPerCall)
      throw new InvalidRequestError(
        what,
        'updates',
        `must hold at most ${this.#o.maxUpdatesPerCall} updates, got ${raw.length}`,
      );
    const limits = {
      now: this.#o.clock.now(),
      maxTextLength: this.#o.maxStatusTextLength,
      maxTimestampSkewMs: this.#o.maxTimestampSkewMs,
    };
    const updates = raw.map((u, i) => statusUpdateFromProto(what, `updates[${i}]`, nodeId, u, limits));
    const known = this.#store.view((tx) =>
      updates.filter((u, i) => {
        const task = tx.tasks.get(u.taskId);
        // A task deleted since the agent learnt of it (the reaper): nothing to write, nothing wrong.
        if (task === undefined) return false;
        if (task.nodeId !== nodeId)
          throw new InvalidRequestError(
            what,
            `updates[${i}].task_id`,
            `task "${u.taskId}" is not assigned to this node`,
            { fields: { index: i, 'task.id': u.taskId } },
          );
        return true;
      }),
    );
    await run.statusWriter.submit(known);
    const now = this.#o.clock.now();
    for (const u of known) {
      const created = this.#firstRunning.get(u);
      if (created !== undefined) this.#o.metrics.taskStarted(Math.max(0, now - created) / 1000);
    }
  }

  #openAssignments(call: AssignmentsCall): void {
    const { identity } = this.#caller(call, 'stream assignments');
    const session = this.#session(identity.nodeId, call.request.sessionId);
    const set = new AssignmentSet(session.nodeId);
    const { changes } = this.#store.view((tx) => set.diff(tx));
    // Registered right after the view (same tick): the watcher delivers exactly the later changes.
    const stream: AssignmentStream = { session, call, set, seq: 1, waitingDrain: false, ended: false };
    session.streams.add(stream);
    let streams = this.#streams.get(session.nodeId);
    if (streams === undefined) {
      streams = new Set();
      this.#streams.set(session.nodeId, streams);
    }
    streams.add(stream);
    call.once('cancelled', () => this.#endStream(stream, null));
    call.on('drain', () => {
      stream.waitingDrain = false;
      this.#flushStream(stream);
    });
    if (!call.write({ type: 'COMPLETE', appliesTo: '0', resultsIn: '1', changes }))
      stream.waitingDrain = true;
  }

  #flushStream(stream: AssignmentStream): void {
    if (stream.ended || stream.waitingDrain || !stream.set.dirty) return;
    const { changes } = this.#store.view((tx) => stream.set.diff(tx));
    if (changes.length === 0) return;
    const appliesTo = stream.seq;
    stream.seq++;
    // A slow reader is not written to until it drained: its changes pile up as dirty ids, not messages.
    if (
      !stream.call.write({
        type: 'INCREMENTAL',
        appliesTo: String(appliesTo),
        resultsIn: String(stream.seq),
        changes,
      })
    )
      stream.waitingDrain = true;
  }

  #endStream(stream: AssignmentStream, err: unknown): void {
    if (stream.ended) return;
    stream.ended = true;
    stream.session.streams.delete(stream);
    this.#dirty.delete(stream);
    const streams = this.#streams.get(stream.session.nodeId);
    if (streams !== undefined) {
      streams.delete(stream);
      if (streams.size === 0) this.#streams.delete(stream.session.nodeId);
    }
    if (stream.call.cancelled) return;
    if (err === null) stream.call.end();
    else stream.call.emit('error', this.#fail('Assignments', err));
  }
}

/**
 * Takes a status update when it moves the task forward (or counts another in-place restart). Returns the
 * task's creation time when this update is its first RUNNING, else null.
 */
function writeStatus(tx: WriteTx, u: StatusUpdate): number | null {
  const task = tx.tasks.get(u.taskId);
  if (task === undefined || task.nodeId !== u.nodeId) return null;
  const cur = task.status;
  const forward = TASK_STATES[u.state] > TASK_STATES[cur.state];
  if (!forward && !(u.state === cur.state && u.restarts > cur.restarts)) return null;
  tx.tasks.update({
    ...task,
    status: {
      ...cur,
      state: u.state,
      timestamp: u.timestamp,
      message: u.message,
      err: u.err,
      container: u.container ?? cur.container,
      restarts: Math.max(u.restarts, cur.restarts),
    },
  });
  return forward && u.state === 'RUNNING' ? task.meta.createdAt : null;
}
