/**
 * @module manager/replication/storage — the durable Raft storage under the replication driver: a
 * write-ahead log of CRC-checked records in segment files with group commit ({@link Wal}), snapshot files
 * written atomically ({@link Snapshotter}), and the two put together behind raft's `Storage` interface
 * ({@link DiskStorage}); with a data key, every entry's and snapshot's data sealed with AES-256-GCM
 * ({@link Sealer}). See README.md for the on-disk formats and the recovery rules.
 */

export type { ReadyToPersist, RecoveredState } from './disk-storage.js';
export { DiskStorage } from './disk-storage.js';
export {
  NoUsableSnapshotError,
  SnapshotCorruptError,
  WalCorruptError,
  WalFailedError,
  WalSnapshotNotFoundError,
  WrongDataKeyError,
} from './errors.js';
export type {
  CompiledDiskStorageOptions,
  CompiledSnapshotterOptions,
  CompiledWalOptions,
  DiskStorageOptions,
  SnapshotterOptions,
  WalOptions,
} from './options.js';
export { compileDiskStorageOptions, compileSnapshotterOptions, compileWalOptions } from './options.js';
export type { SnapshotMarker } from './record.js';
export { DATA_KEY_BYTES, Sealer } from './sealer.js';
export type { SnapshotFile } from './snapshotter.js';
export { Snapshotter, snapshotName } from './snapshotter.js';
export type { StorageFs } from './storage-fs.js';
export { nodeStorageFs } from './storage-fs.js';
export type { WalSaveOptions, WalSegment } from './wal.js';
export { segmentName, Wal } from './wal.js';
export type { WalRecovery } from './wal-replay.js';
