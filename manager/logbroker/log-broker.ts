import * as grpc from '@grpc/grpc-js';
import type { GrpcCaller, IdSource, Logger } from '../../common/index.js';
import { errorMessage, errorToStatus } from '../../common/index.js';
import { loadGrpcObject, type logspb, type Task } from '../../proto/index.js';
import { byNodeId, byServiceId, type MemoryStore } from '../store/index.js';
import { InvalidLogRequestError, NoLogLeaderError, NotSubscribedError } from './errors.js';

type SubscribeCall = grpc.ServerWritableStream<
  logspb.SubscribeLogsRequest__Output,
  logspb.SubscribeLogsMessage
>;
type ListenCall = grpc.ServerWritableStream<
  logspb.ListenSubscriptionsRequest__Output,
  logspb.SubscriptionMessage
>;
type PublishCall = grpc.ServerReadableStream<logspb.PublishLogsMessage__Output, logspb.PublishLogsResponse>;

/** What the hooks may look at in a call. */
export type Caller = GrpcCaller;

export interface LogBrokerOptions {
  store: MemoryStore;
  ids: IdSource;
  logger: Logger;
  /** Whether this manager leads now: only the leader's broker has the agents' streams. */
  isLeader(): boolean;
  /** A client of the leader's Logs service, to relay a subscription made on a follower; null: none. */
  leaderClient(): logspb.LogsClient | null;
  /** The node an agent's call comes from (its certificate); throws to refuse the call. */
  authenticateNode(call: Caller): string;
  /** Refuses a SubscribeLogs caller that may not read logs (only managers and the local socket may). */
  authorizeSubscriber(call: Caller): void;
}

/** The most service or task ids one subscription may select. */
const MAX_SELECTED = 1000;
/** The most lines of history per task a subscriber may ask for. */
const MAX_TAIL = 100_000;
/** Published messages per call and bytes per message, beyond which a publisher is refused. */
const MAX_MESSAGES = 10_000;
const MAX_MESSAGE_BYTES = 1 << 20;

interface Subscription {
  readonly id: string;
  readonly call: SubscribeCall;
  readonly selector: { serviceIds: Set<string>; taskIds: Set<string> };
  readonly options: logspb.LogSubscriptionOptions;
  /** Nodes asked to publish. */
  readonly nodes: Set<string>;
  /** Nodes asked that have not closed yet (the subscription ends when none is left, unless following). */
  readonly pending: Set<string>;
}

function checkIds(field: string, ids: readonly string[]): Set<string> {
  if (ids.length > MAX_SELECTED) throw new InvalidLogRequestError(field, `at most ${MAX_SELECTED} ids`);
  for (const [i, id] of ids.entries())
    if (!/^[0-9a-z]{1,64}$/.test(id))
      throw new InvalidLogRequestError(
        `${field}[${i}]`,
        `must be an id (lower-case letters and digits), got "${id}"`,
      );
  return new Set(ids);
}

/** Validates a SubscribeLogs request; the error names the field and the rule. */
export function compileSubscription(req: logspb.SubscribeLogsRequest__Output): {
  selector: Subscription['selector'];
  options: logspb.LogSubscriptionOptions;
} {
  const serviceIds = checkIds('selector.serviceIds', req.selector?.serviceIds ?? []);
  const taskIds = checkIds('selector.taskIds', req.selector?.taskIds ?? []);
  if (serviceIds.size === 0 && taskIds.size === 0)
    throw new InvalidLogRequestError('selector', 'must name at least one service or task');
  const tail = Number(req.options?.tail ?? -1);
  if (!Number.isInteger(tail) || tail < -1 || tail > MAX_TAIL)
    throw new InvalidLogRequestError('options.tail', `must be -1 (all) or 0..${MAX_TAIL}, got ${tail}`);
  return { selector: { serviceIds, taskIds }, options: { follow: req.options?.follow === true, tail } };
}

function selects(sub: Subscription, task: Task): boolean {
  return sub.selector.serviceIds.has(task.serviceId) || sub.selector.taskIds.has(task.id);
}

/**
 * The managers' half of `swarmctl service logs` (after swarmkit's logbroker): subscribers call
 * Logs.SubscribeLogs on any manager (a follower relays to the leader); the leader's broker sends each
 * subscription to the agents that run the selected tasks over their ListenSubscriptions streams, and
 * passes what they publish on to the subscriber. Following, it also asks nodes that get a selected task
 * later, and nodes that reconnect.
 */
export class LogBroker {
  readonly #o: LogBrokerOptions;
  readonly #log: Logger;
  readonly #listeners = new Map<string, ListenCall>();
  readonly #subs = new Map<string, Subscription>();

  constructor(options: LogBrokerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'logbroker' });
  }

  /** Adds the Logs and LogBroker services to `server`. */
  register(server: grpc.Server): void {
    const { Logs, LogBroker: Broker } = loadGrpcObject('logs').swarmd.logs;
    server.addService(Logs.service, {
      SubscribeLogs: (call: SubscribeCall) => this.#subscribe(call),
    } satisfies logspb.LogsHandlers);
    server.addService(Broker.service, {
      ListenSubscriptions: (call: ListenCall) => this.#listen(call),
      PublishLogs: (call: PublishCall, cb: grpc.sendUnaryData<logspb.PublishLogsResponse>) =>
        this.#publish(call, cb),
    } satisfies logspb.LogBrokerHandlers);
  }

  /** Nodes with an open ListenSubscriptions stream (for tests and status). */
  listeners(): string[] {
    return [...this.#listeners.keys()];
  }

  /** The open subscriptions and the nodes asked to serve each (for tests and status). */
  subscriptions(): { id: string; nodes: string[] }[] {
    return [...this.#subs.values()].map((s) => ({ id: s.id, nodes: [...s.nodes] }));
  }

  /** Ends every stream (leadership lost, or the manager stops): agents reconnect to the new leader. */
  closeAll(): void {
    for (const call of this.#listeners.values()) call.end();
    this.#listeners.clear();
    for (const sub of this.#subs.values()) sub.call.end();
    this.#subs.clear();
  }

  #fail(call: grpc.ServerWritableStream<unknown, unknown>, err: unknown): void {
    call.emit('error', errorToStatus(err));
  }

  #subscribe(call: SubscribeCall): void {
    let compiled: ReturnType<typeof compileSubscription>;
    try {
      this.#o.authorizeSubscriber(call);
      compiled = compileSubscription(call.request);
    } catch (err) {
      this.#fail(call, err);
      return;
    }
    if (!this.#o.isLeader()) {
      this.#relay(call);
      return;
    }
    const sub: Subscription = {
      id: this.#o.ids.newId(),
      call,
      ...compiled,
      nodes: new Set(),
      pending: new Set(),
    };
    this.#subs.set(sub.id, sub);
    const tasks = this.#o.store.view((tx) => [
      ...[...sub.selector.serviceIds].flatMap((id) => tx.tasks.find(byServiceId(id))),
      ...[...sub.selector.taskIds].map((id) => tx.tasks.get(id)).filter((t) => t !== undefined),
    ]);
    const unreachable: string[] = [];
    for (const nodeId of new Set(tasks.map((t) => t.nodeId).filter((n) => n !== '')))
      if (!this.#ask(sub, nodeId)) unreachable.push(nodeId);
    if (unreachable.length > 0) call.write({ messages: [], unreachableNodes: unreachable });
    this.#log.debug('log subscription', { 'subscription.id': sub.id, nodes: [...sub.nodes] });
    let watcher: ReturnType<MemoryStore['watch']> | null = null;
    if (sub.options.follow) {
      // Tasks scheduled later (scale up, replacements) are followed too.
      watcher = this.#o.store.watch({
        kinds: ['task'],
        filter: (e) => e.kind === 'task' && e.object.nodeId !== '' && selects(sub, e.object as Task),
      });
      void (async () => {
        for await (const e of watcher) {
          if (e.kind === 'task' && !sub.nodes.has(e.object.nodeId)) this.#ask(sub, e.object.nodeId);
        }
      })().catch(() => {});
    }
    call.on('cancelled', () => {
      watcher?.close();
      this.#end(sub, true);
    });
    this.#maybeDone(sub);
  }

  /** Sends the subscription to a node; false when the node has no stream open. */
  #ask(sub: Subscription, nodeId: string): boolean {
    const listener = this.#listeners.get(nodeId);
    if (listener === undefined) return false;
    sub.nodes.add(nodeId);
    sub.pending.add(nodeId);
    listener.write({
      id: sub.id,
      selector: { serviceIds: [...sub.selector.serviceIds], taskIds: [...sub.selector.taskIds] },
      options: sub.options,
      close: false,
    });
    return true;
  }

  #maybeDone(sub: Subscription): void {
    if (!sub.options.follow && sub.pending.size === 0) this.#end(sub, false);
  }

  #end(sub: Subscription, cancelled: boolean): void {
    if (!this.#subs.delete(sub.id)) return;
    for (const nodeId of sub.pending)
      this.#listeners.get(nodeId)?.write({ id: sub.id, selector: null, options: null, close: true });
    if (!cancelled) sub.call.end();
  }

  #relay(call: SubscribeCall): void {
    const client = this.#o.leaderClient();
    if (client === null) {
      this.#fail(call, new NoLogLeaderError());
      return;
    }
    const upstream = client.SubscribeLogs(call.request);
    upstream.on('data', (m: logspb.SubscribeLogsMessage__Output) => call.write(m));
    upstream.on('end', () => call.end());
    upstream.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.CANCELLED) return;
      call.emit('error', { code: err.code, details: err.details, metadata: err.metadata });
    });
    call.on('cancelled', () => upstream.cancel());
  }

  #listen(call: ListenCall): void {
    let nodeId: string;
    try {
      nodeId = this.#o.authenticateNode(call);
      if (!this.#o.isLeader()) throw new NoLogLeaderError();
    } catch (err) {
      this.#fail(call, err);
      return;
    }
    this.#listeners.get(nodeId)?.end();
    this.#listeners.set(nodeId, call);
    this.#log.debug('agent listens for log subscriptions', { 'node.id': nodeId });
    // A reconnecting node gets the subscriptions still followed that select its tasks.
    const mine = this.#o.store.view((tx) => tx.tasks.find(byNodeId(nodeId)));
    for (const sub of this.#subs.values())
      if (sub.options.follow && mine.some((t) => selects(sub, t))) this.#ask(sub, nodeId);
    call.on('cancelled', () => {
      if (this.#listeners.get(nodeId) !== call) return;
      this.#listeners.delete(nodeId);
      // Whatever this node still owed is lost: do not wait for it.
      for (const sub of this.#subs.values())
        if (sub.pending.delete(nodeId)) {
          sub.call.write({ messages: [], unreachableNodes: [nodeId] });
          this.#maybeDone(sub);
        }
    });
  }

  #publish(call: PublishCall, cb: grpc.sendUnaryData<logspb.PublishLogsResponse>): void {
    let nodeId: string;
    try {
      nodeId = this.#o.authenticateNode(call);
    } catch (err) {
      cb(errorToStatus(err));
      return;
    }
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      this.#log.warn('refused published logs', { 'node.id': nodeId, err: errorMessage(err) });
      cb(errorToStatus(err));
    };
    call.on('data', (m: logspb.PublishLogsMessage__Output) => {
      if (failed) return;
      const sub = this.#subs.get(m.subscriptionId);
      if (sub === undefined) return; // ended meanwhile: drop
      if (!sub.nodes.has(nodeId)) {
        fail(new NotSubscribedError(nodeId, m.subscriptionId));
        return;
      }
      if (m.messages.length > MAX_MESSAGES) {
        fail(new InvalidLogRequestError('messages', `at most ${MAX_MESSAGES} per message`));
        return;
      }
      const messages: logspb.LogMessage[] = [];
      for (const [i, msg] of m.messages.entries()) {
        if (msg.data.length > MAX_MESSAGE_BYTES) {
          fail(new InvalidLogRequestError(`messages[${i}].data`, `at most ${MAX_MESSAGE_BYTES} bytes`));
          return;
        }
        if (msg.stream !== 'stdout' && msg.stream !== 'stderr') {
          fail(
            new InvalidLogRequestError(
              `messages[${i}].stream`,
              `must be stdout or stderr, got "${msg.stream}"`,
            ),
          );
          return;
        }
        // The node speaks for itself only.
        messages.push({ ...msg, nodeId });
      }
      if (messages.length > 0) sub.call.write({ messages, unreachableNodes: [] });
      if (m.close && sub.pending.delete(nodeId)) this.#maybeDone(sub);
    });
    call.on('end', () => {
      if (!failed) cb(null, {});
    });
    call.on('error', () => {});
  }
}
