import type * as grpc from '@grpc/grpc-js';
import type { Clock, Logger } from '../../common/index.js';
import { errorMessage } from '../../common/index.js';
import type { logspb } from '../../proto/index.js';
import { ContainerLogReader, type ContainerLogRecord } from './container-log-reader.js';

/** A task this agent runs or ran, and where its container's log is. */
export interface LocalTaskLog {
  taskId: string;
  serviceId: string;
  logPath: string;
}

export interface LogPublisherOptions {
  /** A client of the LogBroker of the manager the agent's session uses now; null while it has none. */
  client(): logspb.LogBrokerClient | null;
  /** The tasks whose logs this node can serve. */
  tasks(): LocalTaskLog[];
  clock: Clock;
  logger: Logger;
  /** How often a followed log is looked at for more output. @default 200 */
  pollMs?: number;
  /** The wait before listening again after the stream to the manager broke. @default 500 */
  retryMs?: number;
}

/** Sleeps on `clock`, waking early (resolved) when `signal` aborts. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    }, ms);
    const wake = (): void => {
      timer.cancel();
      resolve();
    };
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** Records per PublishLogs message. */
const BATCH = 500;

function toMessage(task: LocalTaskLog, r: ContainerLogRecord): logspb.LogMessage {
  const t = Date.parse(r.time);
  return {
    serviceId: task.serviceId,
    taskId: task.taskId,
    timestampMs: Number.isNaN(t) ? 0 : t,
    stream: r.stream,
    data: Buffer.from(r.log, 'utf8'),
  };
}

/**
 * The agent's half of `swarmctl service logs`: listens to the manager's log broker for subscriptions, and
 * for each one publishes the selected local tasks' output (the last `tail` lines of each, then, when
 * following, new lines as they are written) on a PublishLogs stream, which it closes when done.
 */
export class LogPublisher {
  readonly #o: LogPublisherOptions;
  readonly #log: Logger;
  readonly #subs = new Map<string, AbortController>();
  readonly #stop = new AbortController();
  #listen: grpc.ClientReadableStream<logspb.SubscriptionMessage__Output> | null = null;
  #running: Promise<void> | null = null;

  constructor(options: LogPublisherOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'log-publisher' });
  }

  /** Listens until {@link stop}, reconnecting to whichever manager the session uses. */
  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#listen?.cancel();
    for (const s of this.#subs.values()) s.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const client = this.#o.client();
      if (client !== null) {
        try {
          await this.#listenOnce(client);
        } catch (err) {
          if (!signal.aborted) this.#log.debug('log subscriptions stream ended', { err: errorMessage(err) });
        }
      }
      if (signal.aborted) break;
      await pause(this.#o.clock, this.#o.retryMs ?? 500, signal);
    }
  }

  #listenOnce(client: logspb.LogBrokerClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = client.ListenSubscriptions({});
      this.#listen = stream;
      stream.on('data', (m: logspb.SubscriptionMessage__Output) => this.#onSubscription(client, m));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
  }

  #onSubscription(client: logspb.LogBrokerClient, m: logspb.SubscriptionMessage__Output): void {
    if (m.close) {
      this.#subs.get(m.id)?.abort();
      return;
    }
    if (this.#subs.has(m.id)) return;
    const abort = new AbortController();
    this.#subs.set(m.id, abort);
    void this.#serve(client, m, abort.signal)
      .catch((err: unknown) => {
        if (!abort.signal.aborted)
          this.#log.warn('cannot publish logs', { 'subscription.id': m.id, err: errorMessage(err) });
      })
      .finally(() => this.#subs.delete(m.id));
  }

  #selected(m: logspb.SubscriptionMessage__Output): LocalTaskLog[] {
    const services = new Set(m.selector?.serviceIds ?? []);
    const tasks = new Set(m.selector?.taskIds ?? []);
    return this.#o.tasks().filter((t) => services.has(t.serviceId) || tasks.has(t.taskId));
  }

  async #serve(
    client: logspb.LogBrokerClient,
    m: logspb.SubscriptionMessage__Output,
    signal: AbortSignal,
  ): Promise<void> {
    let done: (err: Error | null) => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      done = (err) => (err === null ? resolve() : reject(err));
    });
    const out = client.PublishLogs((err) => done(err));
    const send = (messages: logspb.LogMessage[], close = false): void => {
      for (let i = 0; i < messages.length || (close && i === 0); i += BATCH)
        out.write({
          subscriptionId: m.id,
          messages: messages.slice(i, i + BATCH),
          close: close && i + BATCH >= messages.length,
        });
    };
    const tail = Number(m.options?.tail ?? -1);
    const follow = m.options?.follow === true;
    const readers = new Map<string, { task: LocalTaskLog; reader: ContainerLogReader }>();
    const addTasks = async (): Promise<void> => {
      for (const task of this.#selected(m)) {
        if (readers.has(task.taskId)) continue;
        const reader = new ContainerLogReader(task.logPath);
        readers.set(task.taskId, { task, reader });
        const history = await reader.history();
        const kept = tail < 0 ? history : tail === 0 ? [] : history.slice(-tail);
        send(kept.map((r) => toMessage(task, r)));
      }
    };
    await addTasks();
    while (follow && !signal.aborted) {
      await pause(this.#o.clock, this.#o.pollMs ?? 200, signal);
      if (signal.aborted) break;
      await addTasks();
      for (const { task, reader } of readers.values())
        send((await reader.more()).map((r) => toMessage(task, r)));
    }
    send([], true);
    out.end();
    await finished;
  }
}
