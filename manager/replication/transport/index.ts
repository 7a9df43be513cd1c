/**
 * @module manager/replication/transport — raft messages between managers over gRPC (`proto/raft.proto`).
 *
 * ```
 *  driver ── send(ready.messages) ──▶ RaftTransport ──▶ Peer 2: queue ─▶ Raft.Stream (one frame per write,
 *    ▲                                     │                           coalescing what queued meanwhile)
 *    │                                     ├─────────▶ Peer 3: queue ─▶ Raft.Stream
 *    │                                     └─ MsgSnap ▶ Raft.Snapshot (chunks of 1 MiB, own call)
 *    │ onMessage(m) / reportUnreachable(id) / reportSnapshot(id, status)
 *    └──────────────── Inbound (server: decode, validate, drop bad input with a warning)
 * ```
 *
 * Messages are encoded by codec.ts straight from raft's `Message` union to the protobuf wire format of
 * `RaftBatch`/`SnapshotChunk` (checked against proto-loader's codec in the tests); raft never sees
 * protobuf. TLS: pass `serverCredentials`/`channelCredentials` (insecure by default).
 */
export type { DecodedBatch, DecodedSnapshotChunk, DecodeLimits } from './codec.js';
export {
  decodeBatch,
  decodeMessage,
  decodeSnapshotChunk,
  encodeBatch,
  encodedMessageSize,
  encodeMessage,
  encodeSnapshotChunk,
  MESSAGE_TYPE_NUMBERS,
} from './codec.js';
export {
  ListenError,
  MalformedMessageError,
  PeerExistsError,
  PeerStreamError,
  SnapshotSendError,
  TransportError,
  UnknownPeerError,
} from './errors.js';
export type { InboundStats } from './inbound.js';
export type {
  CompiledRaftTransportOptions,
  RaftTransportHandler,
  RaftTransportOptions,
} from './options.js';
export { compileRaftTransportOptions, parseHostPort } from './options.js';
export type { PeerState, PeerStats } from './peer.js';
export type { RaftTransportState } from './raft-transport.js';
export { RaftTransport } from './raft-transport.js';
