import { type Logger, nullLogger } from '../../../common/index.js';
import { Sealer } from './sealer.js';
import { nodeStorageFs, type StorageFs } from './storage-fs.js';

const MiB = 1024 * 1024;
const LOG_MODULE = 'manager/replication/storage';

/** Options of a {@link Wal}. */
export interface WalOptions {
  /** Start a new segment file once the current one holds at least this many bytes. @default 64 MiB */
  segmentBytes?: number;
  /**
   * Zero-fill each segment this many bytes ahead of the last record, so that the fdatasync of a save
   * overwrites allocated blocks instead of growing the file (no size change to journal: measured about a
   * third more syncs per second on ext4). 0 turns it off. @default 1 MiB
   */
  preallocateBytes?: number;
  /**
   * The manager's data encryption key (32 bytes): entries' data sealed with AES-256-GCM. Without it
   * entries are written in clear. A log is opened with the key it was written with, or fails
   * (`WrongDataKeyError`). null: none. @default none
   */
  dataKey?: Uint8Array | null;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** @default the real file system ({@link nodeStorageFs}) */
  fs?: StorageFs;
}

/** {@link WalOptions} validated, with every default filled in. */
export interface CompiledWalOptions {
  readonly segmentBytes: number;
  readonly preallocateBytes: number;
  readonly dataKey: Uint8Array | null;
  /** Seals with the data key; null: in clear. */
  readonly sealer: Sealer | null;
  readonly logger: Logger;
  readonly fs: StorageFs;
}

/** Options of a {@link Snapshotter}. */
export interface SnapshotterOptions {
  /** How many snapshot files `prune()` keeps, newest first; at least 1. @default 2 */
  keep?: number;
  /** The data encryption key (32 bytes): snapshot data sealed with AES-256-GCM. @default null (in clear) */
  dataKey?: Uint8Array | null;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** @default the real file system */
  fs?: StorageFs;
}

/** {@link SnapshotterOptions} validated, with every default filled in. */
export interface CompiledSnapshotterOptions {
  readonly keep: number;
  readonly dataKey: Uint8Array | null;
  readonly sealer: Sealer | null;
  readonly logger: Logger;
  readonly fs: StorageFs;
}

/** Options of a {@link DiskStorage}: those of its WAL and its snapshotter. */
export interface DiskStorageOptions {
  /** See {@link WalOptions.segmentBytes}. @default 64 MiB */
  segmentBytes?: number;
  /** See {@link WalOptions.preallocateBytes}. @default 1 MiB */
  preallocateBytes?: number;
  /**
   * Snapshot files kept; the WAL keeps every segment the oldest of them needs, so a corrupt newest
   * snapshot falls back to the one before it on restart. At least 1. @default 2
   */
  keepSnapshots?: number;
  /**
   * The manager's data encryption key (32 random bytes, from `loadOrCreateDataKey` of
   * `manager/replication/encryption`): every entry's data and every snapshot's data is sealed with
   * AES-256-GCM before it reaches the disk, and opened when read. The storage must always be opened with
   * the key it was written with (`WrongDataKeyError` otherwise, before anything changes). null: none.
   * @default none: everything in clear
   */
  dataKey?: Uint8Array | null;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** @default the real file system */
  fs?: StorageFs;
}

/** {@link DiskStorageOptions} validated, with every default filled in. */
export interface CompiledDiskStorageOptions {
  readonly wal: CompiledWalOptions;
  readonly snap: CompiledSnapshotterOptions;
  readonly logger: Logger;
}

function integer(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function sealerOf(dataKey: Uint8Array | null | undefined): Sealer | null {
  return dataKey === undefined || dataKey === null ? null : new Sealer(dataKey);
}

/**
 * Validates {@link WalOptions} and fills in the defaults.
 * @throws RangeError naming the first invalid option
 */
export function compileWalOptions(options: WalOptions = {}): CompiledWalOptions {
  return {
    segmentBytes: integer('segmentBytes', options.segmentBytes ?? 64 * MiB, 1024, 1024 * MiB),
    preallocateBytes: integer('preallocateBytes', options.preallocateBytes ?? MiB, 0, 256 * MiB),
    dataKey: options.dataKey ?? null,
    sealer: sealerOf(options.dataKey),
    logger: (options.logger ?? nullLogger).child({ module: LOG_MODULE }),
    fs: options.fs ?? nodeStorageFs,
  };
}

/**
 * Validates {@link SnapshotterOptions} and fills in the defaults.
 * @throws RangeError naming the first invalid option
 */
export function compileSnapshotterOptions(options: SnapshotterOptions = {}): CompiledSnapshotterOptions {
  return {
    keep: integer('keep', options.keep ?? 2, 1, 1000),
    dataKey: options.dataKey ?? null,
    sealer: sealerOf(options.dataKey),
    logger: (options.logger ?? nullLogger).child({ module: LOG_MODULE }),
    fs: options.fs ?? nodeStorageFs,
  };
}

/**
 * Validates {@link DiskStorageOptions} and fills in the defaults.
 * @throws RangeError naming the first invalid option
 */
export function compileDiskStorageOptions(options: DiskStorageOptions = {}): CompiledDiskStorageOptions {
  const logger = (options.logger ?? nullLogger).child({ module: LOG_MODULE });
  const fs = options.fs ?? nodeStorageFs;
  const wal = compileWalOptions({
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
    ...(options.preallocateBytes === undefined ? {} : { preallocateBytes: options.preallocateBytes }),
    ...(options.dataKey === undefined ? {} : { dataKey: options.dataKey }),
    logger,
    fs,
  });
  let snap: CompiledSnapshotterOptions;
  try {
    snap = compileSnapshotterOptions({
      ...(options.keepSnapshots === undefined ? {} : { keep: options.keepSnapshots }),
      ...(options.dataKey === undefined ? {} : { dataKey: options.dataKey }),
      logger,
      fs,
    });
  } catch (err) {
    throw new RangeError((err as Error).message.replace(/^keep /, 'keepSnapshots '));
  }
  return { wal, snap, logger };
}
