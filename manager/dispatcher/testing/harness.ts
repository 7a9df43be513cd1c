/**
 * A dispatcher served for real, for tests: a MemoryStore without proposer, a FakeClock, a seeded Rand, the
 * {@link testAuthenticator}, a gRPC server on a loopback port and a client of it. Waits are bounded on
 * the wall clock (they wait for an event, never for time to pass). `close()` stops and removes it all.
 */
import * as grpc from '@grpc/grpc-js';
import { nullLogger, SeededRand, statusToError } from '../../../common/index.js';
import { FakeClock } from '../../../common/testing/index.js';
import { type dispatcherpb, loadGrpcObject } from '../../../proto/index.js';
import { MemoryStore, type ReadTx } from '../../store/index.js';
import { Dispatcher } from '../dispatcher.js';
import type { ManagerAddress } from '../errors.js';
import type { DispatcherOptions } from '../options.js';
import { testAuthenticator, testNodeMetadata } from './test-authenticator.js';

/** How long a test waits for an event before failing. */
export const WAIT_BOUND_MS = 5000;

/** The typed error of a call that must be refused; throws when it was not. */
export async function refusal(p: Promise<unknown>): Promise<ReturnType<typeof statusToError>> {
  try {
    await p;
  } catch (err) {
    return statusToError(err as grpc.ServiceError);
  }
  throw new Error('the call was not refused');
}

/** Reads a server stream message by message. */
export class StreamReader<T> {
  readonly #queue: T[] = [];
  #waiter: { resolve(v: T): void; reject(e: unknown): void } | null = null;
  #end: { error: grpc.ServiceError | null } | null = null;
  readonly #endWaiters: Array<(e: grpc.ServiceError | null) => void> = [];
  readonly stream: grpc.ClientReadableStream<T>;

  constructor(stream: grpc.ClientReadableStream<T>) {
    this.stream = stream;
    stream.on('data', (m: T) => {
      const w = this.#waiter;
      this.#waiter = null;
      if (w !== null) w.resolve(m);
      else this.#queue.push(m);
    });
    stream.on('error', (err: grpc.ServiceError) => this.#finish(err));
    stream.on('end', () => this.#finish(null));
  }

  #finish(error: grpc.ServiceError | null): void {
    if (this.#end !== null) return;
    this.#end = { error };
    const w = this.#waiter;
    this.#waiter = null;
    w?.reject(error ?? new Error('the stream ended'));
    for (const e of this.#endWaiters.splice(0)) e(error);
  }

  /** Messages received and not read. */
  get pending(): number {
    return this.#queue.length;
  }

  /** The next message; rejects with the stream's error when it ended first. */
  next(what = 'a stream message'): Promise<T> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#end !== null) return Promise.reject(this.#end.error ?? new Error('the stream ended'));
    return bounded(
      new Promise<T>((resolve, reject) => {
        this.#waiter = { resolve, reject };
      }),
      what,
    );
  }

  /** Resolves with the error the stream ended with (null: it ended OK). */
  ended(): Promise<grpc.ServiceError | null> {
    if (this.#end !== null) return Promise.resolve(this.#end.error);
    return bounded(new Promise((resolve) => this.#endWaiters.push(resolve)), 'the end of a stream');
  }

  cancel(): void {
    this.stream.cancel();
  }
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_BOUND_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface OpenSession {
  reader: StreamReader<dispatcherpb.SessionMessage__Output>;
  first: dispatcherpb.SessionMessage__Output;
  sessionId: string;
}

export function testDescription(hostname: string): dispatcherpb.NodeDescription {
  return {
    hostname,
    os: 'linux',
    architecture: 'x86_64',
    nanoCpus: 4e9,
    memoryBytes: 8 * 2 ** 30,
    engineVersion: 'swarmd-test',
    engineLabels: { disk: 'ssd' },
  };
}

export interface DispatcherHarnessOptions {
  /** Other dispatcher options. */
  options?: Partial<Omit<DispatcherOptions, 'store' | 'clock' | 'rand' | 'authenticate' | 'managers'>>;
}

export class DispatcherHarness {
  readonly clock = new FakeClock();
  readonly store = new MemoryStore({ clock: this.clock });
  readonly managers: ManagerAddress[] = [{ nodeId: 'manager1', addr: '127.0.0.1:4242' }];
  readonly dispatcher: Dispatcher;
  readonly server = new grpc.Server();
  client!: dispatcherpb.DispatcherClient;
  #abort: AbortController | null = null;
  #running: Promise<void> | null = null;

  constructor(options: DispatcherHarnessOptions = {}) {
    this.dispatcher = new Dispatcher({
      ...options.options,
      store: this.store,
      clock: this.clock,
      rand: new SeededRand(7),
      logger: nullLogger,
      authenticate: testAuthenticator,
      managers: () => this.managers,
    });
    this.dispatcher.register(this.server);
  }

  static async start(options: DispatcherHarnessOptions = {}): Promise<DispatcherHarness> {
    const h = new DispatcherHarness(options);
    const port = await new Promise<number>((resolve, reject) =>
      h.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    const { swarmd } = loadGrpcObject('dispatcher');
    h.client = new swarmd.dispatcher.Dispatcher(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return h;
  }

  /** Starts the dispatcher (as a new leader would). */
  run(): void {
    if (this.#abort !== null) throw new Error('already running');
    this.#abort = new AbortController();
    this.#running = this.dispatcher.run(this.#abort.signal);
  }

  /** Stops it (leadership lost) and waits until it stopped. */
  async stopRun(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#abort = null;
    this.#running = null;
  }

  async session(nodeId: string, description = testDescription(nodeId)): Promise<OpenSession> {
    const reader = new StreamReader(this.client.Session({ description }, testNodeMetadata(nodeId)));
    const first = await reader.next(`the first session message of ${nodeId}`);
    return { reader, first, sessionId: first.sessionId };
  }

  /** Opens a session stream without waiting for its first message. */
  sessionStream(nodeId: string, description: dispatcherpb.NodeDescription | null = testDescription(nodeId)) {
    return new StreamReader(this.client.Session({ description }, testNodeMetadata(nodeId)));
  }

  heartbeat(nodeId: string, sessionId: string): Promise<dispatcherpb.HeartbeatResponse__Output> {
    return new Promise((resolve, reject) =>
      this.client.Heartbeat({ sessionId }, testNodeMetadata(nodeId), (err, res) =>
        err !== null ? reject(err) : res === undefined ? reject(new Error('no response')) : resolve(res),
      ),
    );
  }

  updateStatus(nodeId: string, sessionId: string, updates: dispatcherpb.TaskStatusUpdate[]): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.UpdateTaskStatus({ sessionId, updates }, testNodeMetadata(nodeId), (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
  }

  assignments(nodeId: string, sessionId: string): StreamReader<dispatcherpb.AssignmentsMessage__Output> {
    return new StreamReader(this.client.Assignments({ sessionId }, testNodeMetadata(nodeId)));
  }

  /** Waits until `check` (run on the store after every commit) returns something other than undefined. */
  async waitFor<T>(what: string, check: (tx: ReadTx) => T | undefined): Promise<T> {
    const now = this.store.view(check);
    if (now !== undefined) return now;
    const w = this.store.watch();
    try {
      return await bounded(
        (async () => {
          for (;;) {
            await w.ready();
            w.take();
            if (w.closed) throw new Error('the store closed');
            const v = this.store.view(check);
            if (v !== undefined) return v;
          }
        })(),
        what,
      );
    } finally {
      w.close();
    }
  }

  /** Waits until `pred()` holds, checking after each turn of the event loop (for state outside the store). */
  until(what: string, pred: () => boolean): Promise<void> {
    return bounded(
      (async () => {
        while (!pred()) await new Promise((resolve) => setImmediate(resolve));
      })(),
      what,
    );
  }

  async close(): Promise<void> {
    await this.stopRun();
    this.client.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.store.close();
  }
}
