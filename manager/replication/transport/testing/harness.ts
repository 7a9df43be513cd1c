/**
 * Test helpers for the raft transport: a member that records what its transport reports, waits for it
 * with a bound (never sleeping), and the odd servers the tests point peers at.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { LogFields } from '../../../../common/index.js';
import { createLogger } from '../../../../common/index.js';
import type { Message, MsgApp, MsgHeartbeat, SnapshotStatus } from '../../../raft/index.js';
import type { RaftTransportOptions } from '../options.js';
import { RaftTransport } from '../raft-transport.js';

/** A transport on 127.0.0.1 with an OS-chosen port, recording every callback. */
export class TestMember {
  readonly id: bigint;
  readonly transport: RaftTransport;
  readonly received: Message[] = [];
  readonly unreachable: bigint[] = [];
  readonly snapshots: { peer: bigint; status: SnapshotStatus }[] = [];
  readonly logs: LogFields[] = [];
  /** Called before a message is recorded; a throw makes the transport see the driver refuse it. */
  onMessage: ((m: Message) => void) | null = null;
  readonly #events = new EventEmitter();

  private constructor(id: bigint, options: Partial<RaftTransportOptions>) {
    this.id = id;
    this.transport = new RaftTransport({
      id,
      listenAddress: '127.0.0.1:0',
      logger: createLogger({ level: 'debug', sink: (line) => this.logs.push(JSON.parse(line) as LogFields) }),
      handler: {
        onMessage: (m) => {
          this.onMessage?.(m);
          this.received.push(m);
          this.#events.emit('event');
        },
        reportUnreachable: (peer) => {
          this.unreachable.push(peer);
          this.#events.emit('event');
        },
        reportSnapshot: (peer, status) => {
          this.snapshots.push({ peer, status });
          this.#events.emit('event');
        },
      },
      ...options,
    });
  }

  /** Starts a member; registers it in `all` (for after.always) when given. */
  static async start(
    id: bigint,
    options: Partial<RaftTransportOptions> = {},
    all?: Set<TestMember>,
  ): Promise<TestMember> {
    const m = new TestMember(id, options);
    all?.add(m);
    await m.transport.start();
    return m;
  }

  get address(): string {
    return this.transport.address;
  }

  /** Messages received from `from`. */
  from(from: bigint): Message[] {
    return this.received.filter((m) => m.from === from);
  }

  /** Resolves once `pred()` holds, checked after every callback; rejects after `timeoutMs`. */
  waitFor(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#events.off('event', check);
      };
      this.#events.on('event', check);
    });
  }

  /** Log lines at `level` whose message is `msg`. */
  logged(level: string, msg: string): LogFields[] {
    return this.logs.filter((l) => l.level === level && l.msg === msg);
  }

  stop(): Promise<void> {
    return this.transport.stop();
  }
}

/** Sends `make()` to `member`'s peer every `everyMs` until `done()` or `timeoutMs`; for reconnect tests. */
export async function sendUntil(
  member: TestMember,
  make: () => Message,
  done: () => boolean,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms resending`);
    member.transport.send([make()]);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never answers (a hung peer). */
export async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function heartbeat(
  from: bigint,
  to: bigint,
  commit: number,
  context: Uint8Array | null = null,
): MsgHeartbeat {
  return { type: 'MsgHeartbeat', to, from, term: 1, commit, context };
}

export function append(from: bigint, to: bigint, index: number, data: Uint8Array): MsgApp {
  return {
    type: 'MsgApp',
    to,
    from,
    term: 2,
    index: index - 1,
    logTerm: 2,
    commit: index - 1,
    entries: [{ term: 2, index, type: 'normal', data }],
  };
}
