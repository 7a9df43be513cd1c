import * as grpc from '@grpc/grpc-js';
import type { Logger, Timer } from '../../../common/index.js';
import type { Message, MsgSnap } from '../../raft/index.js';
import { hexId } from '../../raft/index.js';
import { encodeBatch, encodedMessageSize, encodeSnapshotChunk } from './codec.js';
import { PeerStreamError, SnapshotSendError } from './errors.js';
import type { CompiledRaftTransportOptions } from './options.js';
import type { RaftService } from './service.js';
import { METADATA_FROM, METADATA_TO } from './service.js';

/**
 * The state of the message stream to a peer:
 * - `connecting`: a stream is opening; messages queue (up to `maxQueuedMessages`) until the peer accepts it;
 * - `streaming`: the peer accepted the stream; queued messages are written, coalesced while a write is busy;
 * - `backoff`: the last stream failed; messages are dropped (and the peer reported unreachable) until the
 *   next attempt, after a delay that doubles from `minBackoffMs` to `maxBackoffMs`;
 * - `closed`: removed or stopped; everything is dropped silently.
 */
export type PeerState = 'connecting' | 'streaming' | 'backoff' | 'closed';

/** Counters of one peer, for tests, logs and metrics. */
export interface PeerStats {
  readonly state: PeerState;
  readonly address: string;
  /** Messages waiting to be written. */
  readonly queued: number;
  /** Messages handed to gRPC. */
  readonly sent: number;
  /** Frames written (each a `RaftBatch` of one or more messages). */
  readonly frames: number;
  /** Messages dropped: queue full, stream down, too large, or lost with a broken stream. */
  readonly dropped: number;
  /** Streams the peer accepted. */
  readonly connects: number;
  /** Snapshots being sent. */
  readonly snapshotsInFlight: number;
}

/** What a peer needs from the transport that owns it. */
export interface PeerContext {
  readonly options: CompiledRaftTransportOptions;
  readonly service: RaftService;
  readonly logger: Logger;
  /** Queues `reportUnreachable(id)` for the driver (deduplicated, delivered asynchronously). */
  unreachable(id: bigint): void;
  /** Delivers `reportSnapshot(id, status)` to the driver, asynchronously. */
  snapshotDone(id: bigint, status: 'finish' | 'failure'): void;
}

function encodeIdentity(buf: Buffer): Buffer {
  return buf;
}

/**
 * One remote member: a gRPC channel, one long-lived `Raft.Stream` call carrying its messages in order, a
 * bounded queue in front of it, and the `Raft.Snapshot` calls of snapshots in flight. Nothing here blocks
 * or throws towards the caller: failures become drops, reported to raft as unreachable.
 */
export class Peer {
  readonly id: bigint;
  readonly address: string;
  readonly #ctx: PeerContext;
  readonly #opts: CompiledRaftTransportOptions;
  readonly #log: Logger;
  readonly #client: grpc.Client;
  readonly #metadata: grpc.Metadata;
  #state: PeerState = 'connecting';
  #call: grpc.ClientWritableStream<Buffer> | null = null;
  /** Messages not yet written, oldest first. */
  #queue: Message[] = [];
  /** Scratch: the encoded size of each message of the frame being built. */
  readonly #sizes: number[] = [];
  /** A frame is being written; the next waits for it (and takes everything queued meanwhile). */
  #writing = false;
  /** The connect timeout while connecting, the reconnect delay while in backoff. */
  #timer: Timer | null = null;
  #backoffMs: number;
  #stats = { sent: 0, frames: 0, dropped: 0, connects: 0 };
  readonly #snapshots = new Set<grpc.ClientWritableStream<Buffer>>();

  constructor(id: bigint, address: string, ctx: PeerContext) {
    this.id = id;
    this.address = address;
    this.#ctx = ctx;
    this.#opts = ctx.options;
    this.#log = ctx.logger.child({ 'raft.peer': hexId(id), 'peer.address': address });
    this.#backoffMs = this.#opts.minBackoffMs;
    this.#client = new grpc.Client(address, this.#opts.channelCredentials, {
      // Our own backoff drives reconnection; the channel's must not be slower.
      'grpc.initial_reconnect_backoff_ms': this.#opts.minBackoffMs,
      'grpc.max_reconnect_backoff_ms': this.#opts.maxBackoffMs,
      // A retried stream would buffer every message written to it, for nothing: raft retransmits.
      'grpc.enable_retries': 0,
      // Each transport owns its connections (two members in one process must not share one).
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_send_message_length': this.#opts.maxMessageBytes,
      'grpc.max_receive_message_length': this.#opts.maxMessageBytes,
      'grpc.keepalive_time_ms': this.#opts.keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(this.#opts.keepaliveMs / 2)),
      ...this.#opts.channelOptions,
    });
    this.#metadata = new grpc.Metadata();
    this.#metadata.set(METADATA_FROM, this.#opts.id.toString());
    this.#metadata.set(METADATA_TO, id.toString());
    this.#open();
  }

  get state(): PeerState {
    return this.#state;
  }

  stats(): PeerStats {
    return {
      state: this.#state,
      address: this.address,
      queued: this.#queue.length,
      ...this.#stats,
      snapshotsInFlight: this.#snapshots.size,
    };
  }

  /**
   * Queues `m` for the stream. Returns false when it was dropped instead (stream down, queue full,
   * closed); the caller reports the peer unreachable. Call {@link flush} after queuing a batch.
   */
  enqueue(m: Message): boolean {
    if (
      this.#state === 'backoff' ||
      this.#state === 'closed' ||
      this.#queue.length >= this.#opts.maxQueuedMessages
    ) {
      this.#stats.dropped++;
      return false;
    }
    this.#queue.push(m);
    return true;
  }

  /** Writes what is queued, as one frame (or a few, by size), unless a write is already in progress. */
  flush(): void {
    const call = this.#call;
    if (this.#state !== 'streaming' || this.#writing || call === null) return;
    const q = this.#queue;
    while (q.length > 0) {
      const sizes = this.#sizes;
      let bytes = 0;
      let n = 0;
      let bad = -1;
      for (; n < q.length; n++) {
        let size: number;
        try {
          size = encodedMessageSize(q[n] as Message);
        } catch (err) {
          bad = n;
          this.#log.error('dropped a raft message that cannot be encoded', { err, 'raft.msg': q[n]?.type });
          break;
        }
        const framed = size + 6;
        if (n > 0 && bytes + framed > this.#opts.maxFrameBytes) break;
        bytes += framed;
        sizes[n] = size;
      }
      if (n === 0 && bad === 0) {
        q.shift();
        this.#stats.dropped++;
        continue;
      }
      if (n === 1 && bytes > this.#opts.maxMessageBytes) {
        const m = q.shift() as Message;
        this.#stats.dropped++;
        this.#log.warn('dropped a raft message over the size limit', {
          'raft.msg': m.type,
          size: bytes,
          limit: this.#opts.maxMessageBytes,
        });
        this.#ctx.unreachable(this.id);
        continue;
      }
      const frame = encodeBatch(q, 0, n, sizes);
      if (n === q.length) q.length = 0;
      else q.splice(0, n);
      this.#stats.sent += n;
      this.#stats.frames++;
      this.#writing = true;
      call.write(frame, () => {
        if (this.#call !== call) return;
        this.#writing = false;
        this.flush();
      });
      return;
    }
  }

  /**
   * Sends a snapshot on a `Raft.Snapshot` call of its own, in chunks of `snapshotChunkBytes`, each written
   * once the previous one left; the outcome goes to the driver through `reportSnapshot` (and a failure
   * also through `reportUnreachable`, as etcd does).
   */
  sendSnapshot(m: MsgSnap): void {
    if (this.#state === 'closed') return;
    const data = m.snapshot.data;
    const total = data.byteLength;
    const chunkBytes = this.#opts.snapshotChunkBytes;
    const started = this.#opts.clock.monotonic();
    let settled = false;
    const finish = (err: SnapshotSendError | null): void => {
      if (settled) return;
      settled = true;
      this.#snapshots.delete(call);
      if (this.#state === 'closed') return;
      if (err === null) {
        this.#log.info('sent snapshot', {
          'raft.index': m.snapshot.metadata.index,
          bytes: total,
          ms: Math.round(this.#opts.clock.monotonic() - started),
        });
        this.#ctx.snapshotDone(this.id, 'finish');
      } else {
        this.#log.warn('failed to send snapshot', { err, 'raft.index': m.snapshot.metadata.index });
        this.#ctx.unreachable(this.id);
        this.#ctx.snapshotDone(this.id, 'failure');
      }
    };
    const service = this.#ctx.service;
    const call = this.#client.makeClientStreamRequest<Buffer, { received: string }>(
      service.snapshotPath,
      encodeIdentity,
      service.decodeSnapshotAck,
      this.#metadata,
      {},
      (err, ack) => {
        timeout.cancel();
        if (err) finish(new SnapshotSendError(this.id, err.details || err.message, { cause: err }));
        else if (ack === undefined || Number(ack.received) !== total)
          finish(new SnapshotSendError(this.id, `the peer acknowledged ${ack?.received} of ${total} bytes`));
        else finish(null);
      },
    );
    call.on('error', () => {});
    this.#snapshots.add(call);
    const timeout = this.#opts.clock.setTimeout(() => {
      if (settled) return;
      call.cancel();
      finish(new SnapshotSendError(this.id, `not acknowledged within ${this.#opts.snapshotTimeoutMs} ms`));
    }, this.#opts.snapshotTimeoutMs);
    let offset = 0;
    let first = true;
    const writeNext = (): void => {
      if (settled) return;
      if (!first && offset >= total) {
        call.end();
        return;
      }
      const end = Math.min(offset + chunkBytes, total);
      const frame = encodeSnapshotChunk(first ? m : null, first ? total : 0, data.subarray(offset, end));
      first = false;
      offset = end;
      call.write(frame, writeNext);
    };
    writeNext();
  }

  /** Drops everything and closes the channel; nothing is reported to the driver any more. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#timer?.cancel();
    this.#timer = null;
    const call = this.#call;
    this.#call = null;
    this.#queue.length = 0;
    call?.cancel();
    // Cancelling settles each snapshot's call; `finish` then reports nothing (closed).
    for (const s of [...this.#snapshots]) s.cancel();
    this.#client.close();
  }

  #open(): void {
    this.#state = 'connecting';
    const service = this.#ctx.service;
    const call = this.#client.makeClientStreamRequest<Buffer, unknown>(
      service.streamPath,
      encodeIdentity,
      service.decodeEmpty,
      this.#metadata,
      {},
      (err) => this.#onStreamEnd(call, err),
    );
    this.#call = call;
    // The peer sends its response headers as soon as it accepts the stream.
    call.on('metadata', () => this.#onStreamUp(call));
    // Failures arrive through the status callback; a late write must not become an uncaught error.
    call.on('error', () => {});
    this.#timer = this.#opts.clock.setTimeout(() => {
      this.#timer = null;
      if (this.#call === call && this.#state === 'connecting') call.cancel();
    }, this.#opts.connectTimeoutMs);
  }

  #onStreamUp(call: grpc.ClientWritableStream<Buffer>): void {
    if (this.#call !== call || this.#state !== 'connecting') return;
    this.#timer?.cancel();
    this.#timer = null;
    this.#state = 'streaming';
    this.#backoffMs = this.#opts.minBackoffMs;
    this.#stats.connects++;
    this.#log.info('connected to raft peer');
    this.flush();
  }

  #onStreamEnd(call: grpc.ClientWritableStream<Buffer>, err: grpc.ServiceError | null): void {
    if (this.#call !== call) return;
    this.#call = null;
    this.#writing = false;
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#state === 'closed') return;
    const wasStreaming = this.#state === 'streaming';
    const lost = this.#queue.length;
    this.#stats.dropped += lost;
    this.#queue.length = 0;
    const detail = err ? err.details || err.message : 'the peer ended the stream';
    const delay = Math.round(this.#backoffMs * (0.8 + 0.4 * this.#opts.rand.next()));
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#opts.maxBackoffMs);
    // A broken stream is news; the failures of every reconnect attempt after it are not.
    const fields = {
      err: new PeerStreamError(this.id, this.address, detail, { cause: err }),
      dropped: lost,
      'retry.ms': delay,
    };
    if (wasStreaming) this.#log.warn('lost raft peer stream', fields);
    else this.#log.debug('cannot open raft peer stream', fields);
    this.#state = 'backoff';
    // Messages may have been lost with the stream: raft probes the peer again once it is back.
    if (wasStreaming || lost > 0) this.#ctx.unreachable(this.id);
    this.#timer = this.#opts.clock.setTimeout(() => {
      this.#timer = null;
      if (this.#state === 'backoff') this.#open();
    }, delay);
  }
}
