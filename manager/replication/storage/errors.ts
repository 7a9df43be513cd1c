/**
 * The errors of the durable Raft storage (WAL, snapshots, {@link DiskStorage}). Each has a stable `code`
 * and structured fields; callers branch on `code` or `instanceof`, never on the message.
 *
 * Misuse (a bad option, an entry that would leave a gap, a call after `close()`) throws the built-in
 * `RangeError` or common's `IllegalStateError` instead.
 */
import { SwarmError, type SwarmErrorOptions } from '../../../common/index.js';

/**
 * The WAL on disk is damaged where a crash cannot have left it: a record that fails its checksum or
 * cannot be decoded anywhere but in the unsynced tail of the last segment, a missing segment, entries
 * missing after a snapshot. The node MUST NOT start on it; nothing was repaired or skipped.
 * `offset` is the byte offset of the bad record in `file` (null when the problem is not one record).
 */
export class WalCorruptError extends SwarmError {
  readonly file: string;
  readonly offset: number | null;

  constructor(file: string, offset: number | null, problem: string, options: SwarmErrorOptions = {}) {
    const where = offset === null ? file : `record at offset ${offset} of ${file}`;
    super('ERR_WAL_CORRUPT', `Cannot open the Raft log: ${where} ${problem}`, {
      ...options,
      fields: { ...options.fields, 'wal.file': file, ...(offset === null ? {} : { 'wal.offset': offset }) },
    });
    this.file = file;
    this.offset = offset;
  }
}

/**
 * `Wal.replay()` was asked to start from a snapshot the WAL holds no marker of (the snapshot file was
 * written but the crash came before its marker, or the log was reset by a newer snapshot since).
 */
export class WalSnapshotNotFoundError extends SwarmError {
  readonly index: number;
  readonly term: number;

  constructor(dir: string, index: number, term: number, why: string) {
    super(
      'ERR_WAL_SNAPSHOT_NOT_FOUND',
      `Cannot replay the Raft log in ${dir} from snapshot ${index} (term ${term}): ${why}`,
      {
        fields: { 'wal.dir': dir, 'raft.index': index, 'raft.term': term },
      },
    );
    this.index = index;
    this.term = term;
  }
}

/**
 * A write, fdatasync, truncate or file creation of the WAL failed. What was written since the last
 * successful sync may or may not be on disk (after a failed fsync the kernel may have dropped the dirty
 * pages), so the WAL refuses every later write with this error too: stop the node and reopen from disk.
 */
export class WalFailedError extends SwarmError {
  constructor(dir: string, op: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_WAL_FAILED', `Cannot write the Raft log in ${dir}: ${op} failed: ${reason}`, {
      cause,
      fields: { 'wal.dir': dir, 'wal.op': op },
    });
  }
}

/** One snapshot file is unreadable: bad checksum, truncated, or its name and contents disagree. */
export class SnapshotCorruptError extends SwarmError {
  readonly file: string;

  constructor(file: string, problem: string, options: SwarmErrorOptions = {}) {
    super('ERR_SNAP_CORRUPT', `Cannot load snapshot ${file}: ${problem}`, {
      ...options,
      fields: { ...options.fields, 'snap.file': file },
    });
    this.file = file;
  }
}

/**
 * Snapshot files exist but none can be used: every candidate is corrupt (or, when opening the storage, has
 * no marker in the WAL). `cause` holds the error about the newest candidate.
 */
export class NoUsableSnapshotError extends SwarmError {
  constructor(dir: string, problem: string, options: SwarmErrorOptions = {}) {
    super('ERR_SNAP_NONE_USABLE', `Cannot load a snapshot from ${dir}: ${problem}`, {
      ...options,
      fields: { ...options.fields, 'snap.dir': dir },
    });
  }
}

function keyName(id: number): string {
  return id.toString(16).padStart(8, '0');
}

/**
 * The data on disk and the data key given do not go together: sealed with another key, sealed while no
 * key was given, or in clear while a key was given. Thrown before anything was changed on disk; never
 * taken for damage (no torn-tail truncation, no snapshot fallback). Key ids are `Sealer.keyId`; null
 * means "none" (data in clear, or no key given).
 */
export class WrongDataKeyError extends SwarmError {
  readonly file: string;
  readonly onDiskKeyId: number | null;
  readonly givenKeyId: number | null;

  constructor(file: string, onDiskKeyId: number | null, givenKeyId: number | null) {
    const problem =
      onDiskKeyId === null
        ? 'is not encrypted, but a data key was given (a data directory written without one cannot be opened with one)'
        : givenKeyId === null
          ? `is encrypted with data key ${keyName(onDiskKeyId)}, and no data key was given`
          : `is encrypted with data key ${keyName(onDiskKeyId)}, not with the given key ${keyName(givenKeyId)}`;
    super('ERR_RAFT_WRONG_DATA_KEY', `Cannot open the Raft storage: ${file} ${problem}`, {
      fields: {
        file,
        'raft.dataKeyOnDisk': onDiskKeyId === null ? null : keyName(onDiskKeyId),
        'raft.dataKeyGiven': givenKeyId === null ? null : keyName(givenKeyId),
      },
    });
    this.file = file;
    this.onDiskKeyId = onDiskKeyId;
    this.givenKeyId = givenKeyId;
  }
}
