import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../common/index.js';
import { IllegalStateError } from '../../../common/index.js';
import type { Message } from '../../raft/index.js';
import { hexId, isLocalMessage } from '../../raft/index.js';
import { ListenError, PeerExistsError, UnknownPeerError } from './errors.js';
import type { InboundStats } from './inbound.js';
import { Inbound } from './inbound.js';
import type { CompiledRaftTransportOptions, RaftTransportOptions } from './options.js';
import { checkMemberId, compileRaftTransportOptions, parseHostPort } from './options.js';
import type { PeerContext, PeerStats } from './peer.js';
import { Peer } from './peer.js';
import { raftService } from './service.js';

/**
 * The lifecycle of a transport: `new` until `start()`, `starting` while the server binds, `running`, then
 * `stopping` and `stopped` (final) after `stop()`. Peers may be added in any state before `stopping`.
 */
export type RaftTransportState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The gRPC transport between raft members (design.md §5): a server that receives the peers' messages and
 * snapshots and hands them to the driver, and one client per peer.
 *
 * - {@link send} never blocks and never throws: each peer has a bounded queue in front of one long-lived,
 *   ordered stream; messages written while the stream is busy are coalesced into one frame. A peer that is
 *   slow (queue full), down (stream broken, reconnecting with backoff from `minBackoffMs` to
 *   `maxBackoffMs`) or unknown has its messages dropped and is reported unreachable, as etcd does. Peers
 *   are independent: a dead one never delays the others.
 * - MsgSnap goes on a `Snapshot` call of its own, in chunks; the outcome is reported with
 *   `reportSnapshot(peer, 'finish' | 'failure')`.
 * - Incoming messages are validated (see codec.ts) and dropped with a warning when malformed or addressed
 *   to another member; garbage on the port does not disturb the server.
 *
 * @example
 * ```ts
 * const transport = new RaftTransport({ id, listenAddress: '0.0.0.0:4242', handler: driver, logger });
 * await transport.start();
 * transport.addPeer(2n, '10.0.0.2:4242');
 * transport.send(ready.messages); // after persisting the Ready
 * await transport.stop();
 * ```
 */
export class RaftTransport {
  readonly id: bigint;
  readonly #opts: CompiledRaftTransportOptions;
  readonly #log: Logger;
  readonly #inbound: Inbound;
  readonly #peers = new Map<bigint, Peer>();
  readonly #peerContext: PeerContext;
  #state: RaftTransportState = 'new';
  #server: grpc.Server | null = null;
  #address: string | null = null;
  #starting: Promise<string> | null = null;
  #stopping: Promise<void> | null = null;
  /** Peers to report unreachable at the next microtask (deduplicated). */
  readonly #unreachable = new Set<bigint>();
  #reportQueued = false;
  /** Peers with messages queued since the last flush; flushed together at the next microtask. */
  readonly #touched: Peer[] = [];
  #flushQueued = false;

  /** @throws RangeError, TypeError for invalid options */
  constructor(options: RaftTransportOptions) {
    this.#opts = compileRaftTransportOptions(options);
    this.id = this.#opts.id;
    this.#log = this.#opts.logger.child({
      module: 'manager/replication/transport',
      'raft.id': hexId(this.id),
    });
    this.#inbound = new Inbound(this.#opts, this.#log);
    this.#peerContext = {
      options: this.#opts,
      service: raftService(),
      logger: this.#log,
      unreachable: (id) => this.#reportUnreachable(id),
      snapshotDone: (id, status) => {
        queueMicrotask(() =>
          this.#call('reportSnapshot', () => this.#opts.handler.reportSnapshot(id, status)),
        );
      },
    };
  }

  get state(): RaftTransportState {
    return this.#state;
  }

  /**
   * The address the server listens on, with the port the OS chose for port 0.
   * @throws IllegalStateError before `start()` resolved
   */
  get address(): string {
    if (this.#address === null) throw new IllegalStateError('Cannot read the transport address: not started');
    return this.#address;
  }

  /**
   * Starts serving peers on `listenAddress`; resolves with the bound address (`host:port`).
   * @throws ListenError when the address cannot be bound
   * @throws IllegalStateError when called twice or after `stop()`
   */
  start(): Promise<string> {
    if (this.#state !== 'new')
      return Promise.reject(new IllegalStateError(`Cannot start the raft transport: it is ${this.#state}`));
    this.#state = 'starting';
    const shared = this.#opts.server;
    if (shared !== null) {
      // The owner bound it: register on it and report the address we were given.
      shared.addService(raftService().definition, this.#inbound.handlers());
      this.#address = this.#opts.listenAddress;
      this.#state = 'running';
      this.#log.info('serving raft peers on a shared server', { address: this.#address });
      this.#starting = Promise.resolve(this.#address);
      return this.#starting;
    }
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.#opts.maxMessageBytes,
      'grpc.max_send_message_length': this.#opts.maxMessageBytes,
    });
    server.addService(raftService().definition, this.#inbound.handlers());
    this.#server = server;
    const listen = this.#opts.listenAddress;
    this.#starting = new Promise<string>((resolve, reject) => {
      server.bindAsync(listen, this.#opts.serverCredentials, (err, port) => {
        if (err) {
          reject(new ListenError(listen, { cause: err }));
          return;
        }
        if (this.#state !== 'starting') {
          reject(new IllegalStateError('Cannot start the raft transport: it was stopped while starting'));
          return;
        }
        const { host } = parseHostPort(listen, true);
        this.#address = `${host}:${port}`;
        this.#state = 'running';
        this.#log.info('serving raft peers', { address: this.#address });
        resolve(this.#address);
      });
    });
    return this.#starting;
  }

  /**
   * Sends raft's messages: each to its peer's stream, in order per peer; MsgSnap on a call of its own.
   * Never blocks, never throws: what cannot be sent is dropped and its peer reported unreachable (after
   * this call returns). Local messages are refused (logged). Call it only AFTER persisting the Ready.
   */
  send(messages: readonly Message[]): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const touched = this.#touched;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Message;
      if (isLocalMessage(m.type)) {
        this.#log.error('refused to send a local raft message', { 'raft.msg': m.type });
        continue;
      }
      const peer = this.#peers.get(m.to);
      if (peer === undefined) {
        this.#log.debug('dropped raft message for an unknown peer', { 'raft.msg': m.type, to: hexId(m.to) });
        this.#reportUnreachable(m.to);
        continue;
      }
      if (m.type === 'MsgSnap') {
        peer.sendSnapshot(m);
      } else if (peer.enqueue(m)) {
        if (!touched.includes(peer)) touched.push(peer);
      } else {
        this.#reportUnreachable(m.to);
      }
    }
    if (touched.length > 0 && !this.#flushQueued) {
      // Everything sent in this turn of the event loop (several Readies, all the answers to one incoming
      // frame) leaves in one frame per peer.
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const touched = this.#touched;
    for (let i = 0; i < touched.length; i++) (touched[i] as Peer).flush();
    touched.length = 0;
  };

  /**
   * Starts streaming to a new peer at `address` (`host:port`).
   * @throws PeerExistsError when `id` is already a peer (use {@link updatePeer})
   * @throws RangeError for an invalid id, or this member's own id; TypeError for a malformed address
   */
  addPeer(id: bigint, address: string): void {
    checkMemberId('peer id', id);
    if (id === this.id) throw new RangeError(`Cannot add peer ${hexId(id)}: it is this member`);
    parseHostPort(address);
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const existing = this.#peers.get(id);
    if (existing !== undefined) throw new PeerExistsError(id, existing.address);
    this.#peers.set(id, new Peer(id, address, this.#peerContext));
    this.#log.info('added raft peer', { 'raft.peer': hexId(id), 'peer.address': address });
  }

  /**
   * Moves a peer to a new address: its stream is closed (what was queued is dropped) and reopened there.
   * Does nothing when the address is unchanged.
   * @throws UnknownPeerError when `id` is not a peer; TypeError for a malformed address
   */
  updatePeer(id: bigint, address: string): void {
    parseHostPort(address);
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const peer = this.#peers.get(id);
    if (peer === undefined) throw new UnknownPeerError(id);
    if (peer.address === address) return;
    peer.close();
    this.#peers.set(id, new Peer(id, address, this.#peerContext));
    this.#log.info('moved raft peer', {
      'raft.peer': hexId(id),
      'peer.address': address,
      'peer.previous': peer.address,
    });
  }

  /** Stops streaming to a peer and forgets it; what was queued is dropped. Does nothing for an unknown id. */
  removePeer(id: bigint): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#peers.delete(id);
    peer.close();
    this.#unreachable.delete(id);
    this.#log.info('removed raft peer', { 'raft.peer': hexId(id) });
  }

  hasPeer(id: bigint): boolean {
    return this.#peers.has(id);
  }

  /** The address of a peer, or null for an unknown one. */
  peerAddress(id: bigint): string | null {
    return this.#peers.get(id)?.address ?? null;
  }

  /** The counters of a peer's stream, or null for an unknown one. */
  peerStats(id: bigint): PeerStats | null {
    return this.#peers.get(id)?.stats() ?? null;
  }

  /** The counters of what this member received. */
  inboundStats(): InboundStats {
    return this.#inbound.stats();
  }

  /**
   * Closes every peer stream (queued messages are dropped, nothing more is reported to the driver) and the
   * server (incoming calls are cancelled); a shared server (`server` option) only loses the Raft service
   * and the peers' open streams end with UNAVAILABLE. Idempotent; resolves once the server's sockets are
   * closed.
   */
  stop(): Promise<void> {
    if (this.#stopping !== null) return this.#stopping;
    const starting = this.#starting;
    this.#state = 'stopping';
    this.#stopping = (async () => {
      for (const peer of this.#peers.values()) peer.close();
      this.#peers.clear();
      this.#touched.length = 0;
      this.#unreachable.clear();
      if (starting !== null) await starting.catch(() => {});
      if (this.#opts.server !== null) {
        // A shared server stays up for its owner's other services: only the Raft service goes.
        this.#opts.server.removeService(raftService().definition);
        this.#inbound.close();
      }
      const server = this.#server;
      this.#server = null;
      if (server !== null) {
        await new Promise<void>((resolve) => {
          server.tryShutdown(() => resolve());
          // Peers keep their streams open forever: do not wait for them to finish.
          server.forceShutdown();
        });
      }
      this.#state = 'stopped';
      this.#log.info('stopped raft transport');
    })();
    return this.#stopping;
  }

  #reportUnreachable(id: bigint): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#unreachable.add(id);
    if (this.#reportQueued) return;
    this.#reportQueued = true;
    queueMicrotask(() => {
      this.#reportQueued = false;
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      const ids = [...this.#unreachable];
      this.#unreachable.clear();
      for (const peer of ids)
        this.#call('reportUnreachable', () => this.#opts.handler.reportUnreachable(peer));
    });
  }

  #call(what: string, fn: () => void): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    try {
      fn();
    } catch (err) {
      this.#log.error('raft transport handler threw', { err, callback: what });
    }
  }
}
