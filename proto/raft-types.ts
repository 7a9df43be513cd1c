/** The generated types of `proto/raft.proto` (package `swarmd.raft`), re-exported as `raftpb` by index.ts. */
export type { ConfState, ConfState__Output } from './gen/swarmd/raft/ConfState.js';
export type { Empty, Empty__Output } from './gen/swarmd/raft/Empty.js';
export type { Entry, Entry__Output } from './gen/swarmd/raft/Entry.js';
export type { EntryType, EntryType__Output } from './gen/swarmd/raft/EntryType.js';
export type { MessageType, MessageType__Output } from './gen/swarmd/raft/MessageType.js';
export type { RaftClient, RaftDefinition, RaftHandlers } from './gen/swarmd/raft/Raft.js';
export type { RaftBatch, RaftBatch__Output } from './gen/swarmd/raft/RaftBatch.js';
export type { RaftMessage, RaftMessage__Output } from './gen/swarmd/raft/RaftMessage.js';
export type { Snapshot, Snapshot__Output } from './gen/swarmd/raft/Snapshot.js';
export type { SnapshotAck, SnapshotAck__Output } from './gen/swarmd/raft/SnapshotAck.js';
export type { SnapshotChunk, SnapshotChunk__Output } from './gen/swarmd/raft/SnapshotChunk.js';
export type { SnapshotMetadata, SnapshotMetadata__Output } from './gen/swarmd/raft/SnapshotMetadata.js';
