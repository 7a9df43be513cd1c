import type * as grpc from '@grpc/grpc-js';
import type { raftpb } from '../../../proto/index.js';
import { loadProto } from '../../../proto/index.js';

/** Request metadata of both calls: the sender's and the intended receiver's member ids, in decimal. */
export const METADATA_FROM = 'x-raft-from';
export const METADATA_TO = 'x-raft-to';

function identity(buf: Buffer): Buffer {
  return buf;
}

/**
 * The `swarmd.raft.Raft` service of proto/raft.proto, as loaded with the project's loader options, except
 * that the requests of both calls (`RaftBatch`, `SnapshotChunk`) pass through as bytes: the transport
 * encodes and decodes them itself with ./codec.ts, straight from and to raft's messages. Responses
 * (`Empty`, `SnapshotAck`) use the loader's codec.
 */
export interface RaftService {
  readonly definition: grpc.ServiceDefinition;
  readonly streamPath: string;
  readonly snapshotPath: string;
  /** Decodes the `Empty` answer of Stream. */
  readonly decodeEmpty: (buf: Buffer) => raftpb.Empty__Output;
  /** Decodes the `SnapshotAck` answer of Snapshot. */
  readonly decodeSnapshotAck: (buf: Buffer) => raftpb.SnapshotAck__Output;
}

let cached: RaftService | null = null;

/** The Raft service definition (built once per process). */
export function raftService(): RaftService {
  if (cached !== null) return cached;
  const loaded = loadProto('raft')['swarmd.raft.Raft'] as unknown as raftpb.RaftDefinition;
  const definition: grpc.ServiceDefinition = {
    Stream: { ...loaded.Stream, requestSerialize: identity, requestDeserialize: identity },
    Snapshot: { ...loaded.Snapshot, requestSerialize: identity, requestDeserialize: identity },
  };
  cached = {
    definition,
    streamPath: loaded.Stream.path,
    snapshotPath: loaded.Snapshot.path,
    decodeEmpty: loaded.Stream.responseDeserialize,
    decodeSnapshotAck: loaded.Snapshot.responseDeserialize,
  };
  return cached;
}
