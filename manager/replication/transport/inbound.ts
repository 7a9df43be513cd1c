import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../common/index.js';
import type { raftpb } from '../../../proto/index.js';
import type { Message, MsgSnap } from '../../raft/index.js';
import { hexId } from '../../raft/index.js';
import type { DecodedBatch, DecodedSnapshotChunk, DecodeLimits } from './codec.js';
import { decodeBatch, decodeSnapshotChunk } from './codec.js';
import { MalformedMessageError } from './errors.js';
import type { CompiledRaftTransportOptions } from './options.js';
import { METADATA_FROM, METADATA_TO } from './service.js';

type StreamCall = grpc.ServerReadableStream<Buffer, raftpb.Empty>;
type SnapshotCall = grpc.ServerReadableStream<Buffer, raftpb.SnapshotAck>;

/** Counters of what the server received, for tests, logs and metrics. */
export interface InboundStats {
  /** Message streams open now. */
  readonly streams: number;
  /** Messages handed to the driver (snapshots included). */
  readonly delivered: number;
  /** Messages and frames dropped: malformed, addressed to another member, refused by the driver. */
  readonly dropped: number;
}

/**
 * The server side of the Raft service: decodes and validates what peers send and hands each message to
 * the driver. Bad input (garbage frames, unknown types, missing fields, oversized entries, messages for
 * another member) is dropped with a warning; the stream and the server carry on.
 */
export class Inbound {
  readonly #id: bigint;
  readonly #idText: string;
  readonly #opts: CompiledRaftTransportOptions;
  readonly #log: Logger;
  readonly #limits: DecodeLimits;
  /** Open message streams, with the callback that ends each. */
  readonly #streams = new Map<StreamCall, grpc.sendUnaryData<raftpb.Empty>>();
  #closed = false;
  #delivered = 0;
  #dropped = 0;

  constructor(options: CompiledRaftTransportOptions, logger: Logger) {
    this.#id = options.id;
    this.#idText = options.id.toString();
    this.#opts = options;
    this.#log = logger;
    this.#limits = { maxEntryBytes: options.maxEntryBytes };
  }

  /** The implementation of the Raft service for `grpc.Server.addService`. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Stream: (call: StreamCall, callback: grpc.sendUnaryData<raftpb.Empty>) => this.#stream(call, callback),
      Snapshot: (call: SnapshotCall, callback: grpc.sendUnaryData<raftpb.SnapshotAck>) =>
        this.#snapshot(call, callback),
    };
  }

  /** Ends every open message stream with UNAVAILABLE (the transport stopped on a shared server). */
  close(): void {
    this.#closed = true;
    const open = [...this.#streams.values()];
    this.#streams.clear();
    for (const callback of open)
      callback({ code: grpc.status.UNAVAILABLE, details: 'the raft transport stopped' });
  }

  stats(): InboundStats {
    return { streams: this.#streams.size, delivered: this.#delivered, dropped: this.#dropped };
  }

  /** The sender named in the request metadata (hex), or the socket's address. */
  #sender(call: grpc.ServerReadableStream<Buffer, unknown>): string {
    const from = call.metadata.get(METADATA_FROM)[0];
    if (typeof from === 'string' && /^\d{1,20}$/.test(from)) return hexId(BigInt(from));
    return call.getPeer();
  }

  /** Refuses a call meant for another member (a peer with a stale address book). */
  #misaddressed(call: grpc.ServerReadableStream<Buffer, unknown>): Partial<grpc.StatusObject> | null {
    const to = call.metadata.get(METADATA_TO)[0];
    if (to === undefined || to === this.#idText) return null;
    const details = `this is member ${hexId(this.#id)}, not ${typeof to === 'string' ? to : 'binary'}`;
    this.#log.warn('refused raft call for another member', { peer: this.#sender(call), to: String(to) });
    return { code: grpc.status.FAILED_PRECONDITION, details };
  }

  #stream(call: StreamCall, callback: grpc.sendUnaryData<raftpb.Empty>): void {
    const refused = this.#misaddressed(call);
    if (refused !== null) {
      callback(refused);
      return;
    }
    const sender = this.#sender(call);
    // Accepting: the headers tell the sender its stream is up.
    call.sendMetadata(new grpc.Metadata());
    this.#streams.set(call, callback);
    const done = (): void => {
      this.#streams.delete(call);
    };
    call.on('data', (frame: Buffer) => this.#onFrame(frame, sender));
    call.on('end', () => {
      done();
      if (!this.#closed) callback(null, {});
    });
    call.on('error', done);
    call.on('cancelled', done);
    call.on('close', done);
  }

  #onFrame(frame: Buffer, sender: string): void {
    if (this.#closed) return;
    let batch: DecodedBatch;
    try {
      batch = decodeBatch(frame, this.#limits);
    } catch (err) {
      this.#dropped++;
      this.#log.warn('dropped malformed raft frame', { err, peer: sender, bytes: frame.byteLength });
      return;
    }
    for (const err of batch.errors) {
      this.#dropped++;
      this.#log.warn('dropped malformed raft message', { err, peer: sender });
    }
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Message;
      if (m.to !== this.#id) {
        this.#dropped++;
        this.#log.warn('dropped raft message for another member', {
          peer: sender,
          'raft.msg': m.type,
          to: hexId(m.to),
        });
      } else if (m.type === 'MsgSnap') {
        this.#dropped++;
        this.#log.warn('dropped snapshot sent outside the Snapshot call', { peer: sender });
      } else {
        this.#deliver(m, sender);
      }
    }
  }

  #deliver(m: Message, sender: string): boolean {
    try {
      this.#opts.handler.onMessage(m);
      this.#delivered++;
      return true;
    } catch (err) {
      this.#dropped++;
      this.#log.warn('raft refused a peer message', { err, peer: sender, 'raft.msg': m.type });
      return false;
    }
  }

  #snapshot(call: SnapshotCall, callback: grpc.sendUnaryData<raftpb.SnapshotAck>): void {
    const refused = this.#misaddressed(call);
    if (refused !== null) {
      callback(refused);
      return;
    }
    const sender = this.#sender(call);
    let header: MsgSnap | null = null;
    let data: Buffer | null = null;
    let total = 0;
    let received = 0;
    let over = false;
    const fail = (code: grpc.status, reason: string, err?: unknown): void => {
      if (over) return;
      over = true;
      data = null;
      this.#dropped++;
      this.#log.warn('dropped snapshot', { peer: sender, reason, ...(err === undefined ? {} : { err }) });
      callback({ code, details: `Cannot receive snapshot: ${reason}` });
    };
    call.on('data', (frame: Buffer) => {
      if (over) return;
      let chunk: DecodedSnapshotChunk;
      try {
        chunk = decodeSnapshotChunk(frame, this.#limits);
      } catch (err) {
        fail(
          grpc.status.INVALID_ARGUMENT,
          err instanceof MalformedMessageError ? err.reason : String(err),
          err,
        );
        return;
      }
      if (header === null) {
        if (chunk.header === null) return fail(grpc.status.INVALID_ARGUMENT, 'the first chunk has no header');
        if (chunk.header.to !== this.#id)
          return fail(grpc.status.FAILED_PRECONDITION, `addressed to ${hexId(chunk.header.to)}`);
        if (chunk.totalSize > this.#opts.maxSnapshotBytes)
          return fail(
            grpc.status.RESOURCE_EXHAUSTED,
            `${chunk.totalSize} bytes is over the limit of ${this.#opts.maxSnapshotBytes}`,
          );
        header = chunk.header;
        total = chunk.totalSize;
        data = Buffer.allocUnsafe(total);
      } else if (chunk.header !== null) {
        return fail(grpc.status.INVALID_ARGUMENT, 'a second header');
      }
      if (received + chunk.data.byteLength > total)
        return fail(grpc.status.INVALID_ARGUMENT, `more than the ${total} bytes announced`);
      (data as Buffer).set(chunk.data, received);
      received += chunk.data.byteLength;
    });
    call.on('end', () => {
      if (over) return;
      if (header === null || data === null) return fail(grpc.status.INVALID_ARGUMENT, 'no chunk');
      if (received !== total) return fail(grpc.status.INVALID_ARGUMENT, `${received} of ${total} bytes`);
      const m: MsgSnap = { ...header, snapshot: { metadata: header.snapshot.metadata, data } };
      data = null;
      if (!this.#deliver(m, sender)) {
        over = true;
        callback({ code: grpc.status.UNAVAILABLE, details: 'Cannot receive snapshot: raft refused it' });
        return;
      }
      over = true;
      callback(null, { received: String(received) });
    });
    call.on('cancelled', () => {
      over = true;
      data = null;
    });
    call.on('error', () => {
      over = true;
      data = null;
    });
  }
}
