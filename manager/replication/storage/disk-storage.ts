import { join } from 'node:path';
import { IllegalStateError } from '../../../common/index.js';
import {
  type ConfState,
  type Entry,
  type HardState,
  type InitialState,
  MemoryStorage,
  type Ready,
  type Snapshot,
  SnapshotOutOfDateError,
  type Storage,
} from '../../raft/index.js';
import { NoUsableSnapshotError, WalCorruptError, WalSnapshotNotFoundError } from './errors.js';
import {
  type CompiledDiskStorageOptions,
  compileDiskStorageOptions,
  type DiskStorageOptions,
} from './options.js';
import type { SnapshotMarker } from './record.js';
import { Snapshotter } from './snapshotter.js';
import { Wal } from './wal.js';
import type { WalRecovery } from './wal-replay.js';

/** What {@link DiskStorage.open} found on disk: what the driver needs to restart the node. */
export interface RecoveredState {
  /** No WAL existed: a new member, which bootstraps or joins (and has no snapshot nor entries). */
  readonly isNew: boolean;
  /** The persisted hard state (term, vote, commit). */
  readonly hardState: HardState;
  /** The membership of `snapshot` (empty without one); conf changes after it come out again as entries. */
  readonly confState: ConfState;
  /**
   * The index the state machine holds once restored from `snapshot` (0 without one): pass it as
   * `RaftOptions.applied`; committed entries after it come out again in Ready.committedEntries.
   */
  readonly appliedIndex: number;
  /** The snapshot to restore the state machine from, or null. */
  readonly snapshot: Snapshot | null;
  /** The index of the last entry in the log. */
  readonly lastIndex: number;
}

/** The durable part of a `Ready`, as {@link DiskStorage.persist} takes it. */
export type ReadyToPersist = Pick<Ready, 'hardState' | 'entries' | 'snapshot' | 'mustSync'>;

/**
 * The replication driver's Raft storage: a {@link MemoryStorage} that raft reads synchronously, in front
 * of a {@link Wal} and a {@link Snapshotter} under `<dir>/wal/` and `<dir>/snap/`.
 *
 * Every write goes to disk first and into memory only once durable: {@link save} (or {@link persist})
 * resolves after the WAL's fdatasync, so the driver sends a Ready's messages only after awaiting it.
 * Snapshots: the file first (fsynced, renamed), then its WAL marker, then memory; {@link compact}
 * afterwards deletes WAL segments no kept snapshot needs.
 *
 * Not thread-safe in the JS sense either: calls may overlap (they are ordered as called), but raft must not
 * read it between a save's call and its resolution expecting the new entries (they are not there yet).
 */
export class DiskStorage implements Storage {
  readonly dir: string;
  /** What raft reads; kept equal to what is durable. */
  readonly memory: MemoryStorage;
  readonly recovered: RecoveredState;
  readonly #o: CompiledDiskStorageOptions;
  readonly #wal: Wal;
  readonly #snapshotter: Snapshotter;
  /** The newest snapshot whose file and marker are durable (0: none). */
  #durableSnapIndex: number;
  /** The newest snapshot accepted by save()/saveSnapshot(), durable or not yet. */
  #pendingSnapIndex: number;
  /** The oldest snapshot file kept: the WAL keeps what a replay from it needs. */
  #oldestKeptSnapIndex: number;
  /** Saves wait behind this while a snapshot file from the leader is being written (keeps WAL order). */
  #barrier: Promise<void> | null = null;
  /** Snapshot file operations, one at a time. */
  #snapChain: Promise<unknown> = Promise.resolve();
  #failed: unknown = null;
  #closing: Promise<void> | null = null;

  private constructor(
    dir: string,
    o: CompiledDiskStorageOptions,
    wal: Wal,
    snapshotter: Snapshotter,
    memory: MemoryStorage,
    recovered: RecoveredState,
    oldestKept: number,
  ) {
    this.dir = dir;
    this.#o = o;
    this.#wal = wal;
    this.#snapshotter = snapshotter;
    this.memory = memory;
    this.recovered = recovered;
    this.#durableSnapIndex = recovered.appliedIndex;
    this.#pendingSnapIndex = recovered.appliedIndex;
    this.#oldestKeptSnapIndex = oldestKept;
  }

  /**
   * Opens (or creates) the storage in `dir`: loads the newest snapshot the WAL has a marker of (falling
   * back to an older one when it is damaged), replays the WAL after it into memory.
   * @throws WalCorruptError when the WAL is damaged outside its torn tail
   * @throws NoUsableSnapshotError when the log needs a snapshot and none loads
   */
  static async open(dir: string, options: DiskStorageOptions = {}): Promise<DiskStorage> {
    const o = compileDiskStorageOptions(options);
    const wal = await Wal.open(join(dir, 'wal'), o.wal);
    try {
      const snapshotter = new Snapshotter(join(dir, 'snap'), o.snap);
      const markers = wal.snapshots;
      const latest = markers.reduce((a, m) => Math.max(a, m.index), 0);
      for (const f of await snapshotter.list()) {
        if (f.index <= latest) continue;
        o.logger.warn('snapshot without a WAL marker removed', {
          'snap.file': f.path,
          'raft.index': f.index,
        });
        await snapshotter.remove(f);
      }
      const hasMarker = (s: SnapshotMarker) => markers.some((m) => m.index === s.index && m.term === s.term);
      let snap: Snapshot | null = null;
      let noSnapshot: NoUsableSnapshotError | null = null;
      try {
        snap = await snapshotter.loadNewest(hasMarker);
      } catch (err) {
        if (!(err instanceof NoUsableSnapshotError)) throw err;
        noSnapshot = err;
      }
      const from = snap === null ? { index: 0, term: 0 } : snap.metadata;
      if (snap !== null && snap.metadata.index < latest)
        o.logger.warn('snapshot fallback: replaying the log from an older snapshot', {
          'raft.index': snap.metadata.index,
          'wal.latestSnapshot': latest,
        });
      const rec = replayFrom(wal, from, latest, noSnapshot, snapshotter.dir);
      if (noSnapshot !== null)
        o.logger.warn('no usable snapshot: replaying the whole log', { error: noSnapshot });
      const memory = new MemoryStorage();
      if (snap !== null) memory.applySnapshot(snap);
      memory.append(rec.entries);
      memory.setHardState(rec.hardState);
      const kept = await snapshotter.list();
      const recovered: RecoveredState = {
        isNew: wal.created,
        hardState: rec.hardState,
        confState: memory.snapshot().metadata.confState,
        appliedIndex: from.index,
        snapshot: snap,
        lastIndex: memory.lastIndex(),
      };
      o.logger.info('raft storage opened', {
        'raft.dir': dir,
        'raft.term': rec.hardState.term,
        'raft.commit': rec.hardState.commit,
        'raft.snapshotIndex': from.index,
        'raft.lastIndex': recovered.lastIndex,
      });
      return new DiskStorage(dir, o, wal, snapshotter, memory, recovered, kept[kept.length - 1]?.index ?? 0);
    } catch (err) {
      await wal.close().catch(() => {});
      throw err;
    }
  }

  // --- Storage: what raft reads, from memory ---

  initialState(): InitialState {
    return this.memory.initialState();
  }
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.memory.entries(lo, hi, maxSize);
  }
  term(index: number): number {
    return this.memory.term(index);
  }
  firstIndex(): number {
    return this.memory.firstIndex();
  }
  lastIndex(): number {
    return this.memory.lastIndex();
  }
  snapshot(): Snapshot {
    return this.memory.snapshot();
  }
  /** The durable hard state. */
  hardState(): HardState {
    return this.memory.hardState();
  }

  // --- writes ---

  /** {@link save} of a Ready's snapshot, entries and hard state, synced when `ready.mustSync`. */
  persist(ready: ReadyToPersist): Promise<void> {
    return this.save(ready.hardState, ready.entries, ready.snapshot, { sync: ready.mustSync });
  }

  /**
   * Makes a Ready's durable part durable, then puts it in memory: `snapshot` (from the leader; its file
   * first), then `entries` (overwriting the log from `entries[0].index`), then `hardState`, with one WAL
   * write and one fdatasync (none when `sync` is false). Resolves only once durable: send the Ready's
   * messages AFTER it resolves. Calls may overlap; they take effect in call order.
   * @throws RangeError when the entries would leave a gap
   * @throws SnapshotOutOfDateError when `snapshot` is not newer than the current one
   * @throws WalFailedError when the disk failed (the storage refuses every later write)
   */
  async save(
    hardState: HardState | null,
    entries: readonly Entry[],
    snapshot: Snapshot | null = null,
    options: { sync?: boolean } = {},
  ): Promise<void> {
    this.#checkWritable();
    while (this.#barrier !== null) await this.#barrier;
    this.#checkWritable();
    if (snapshot === null) return this.#saveToWal(hardState, entries, null, options.sync ?? true);
    const index = snapshot.metadata.index;
    if (index <= this.#pendingSnapIndex) throw new SnapshotOutOfDateError(index, this.#pendingSnapIndex);
    const first = entries[0]?.index;
    if (first !== undefined && first > index + 1)
      throw new RangeError(
        `Cannot append entry ${first} to the Raft log: a gap after the snapshot at ${index}`,
      );
    const previous = this.#pendingSnapIndex;
    this.#pendingSnapIndex = index;
    // Later saves wait until this one is queued in the WAL: the snapshot file must be durable before its
    // marker, and the marker must come before their records.
    let release!: () => void;
    this.#barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    let durable: Promise<void>;
    try {
      await this.#withSnapLock(() => this.#snapshotter.save(snapshot));
      durable = this.#saveToWal(hardState, entries, snapshot, true);
    } catch (err) {
      // The snapshot file could not be written; nothing refers to it: the caller may retry.
      this.#pendingSnapIndex = previous;
      throw err;
    } finally {
      this.#barrier = null;
      release();
    }
    await durable;
    this.#durableSnapIndex = Math.max(this.#durableSnapIndex, index);
    await this.#withSnapLock(() => this.#prune());
  }

  /**
   * Takes the state machine's snapshot at applied index `index` (with the membership in force there) and
   * makes it durable with {@link saveSnapshot}; returns it.
   */
  async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    const snap: Snapshot = { metadata: { index, term: this.memory.term(index), confState }, data };
    await this.saveSnapshot(snap);
    return snap;
  }

  /**
   * Makes a snapshot of the state machine durable: the file (fsync, rename, directory fsync), then its WAL
   * marker (fdatasync), then it becomes the memory storage's snapshot (if the driver did not put it there
   * with `memory.createSnapshot()` already). Old snapshot files beyond `keepSnapshots` are deleted.
   * Call {@link compact} afterwards.
   * @throws SnapshotOutOfDateError when it is not newer than the newest durable snapshot
   * @throws RangeError when `index` is past the last entry or its term does not match the log
   */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.#checkWritable();
    const { index, term } = snapshot.metadata;
    if (index <= this.#pendingSnapIndex) throw new SnapshotOutOfDateError(index, this.#pendingSnapIndex);
    if (index > this.memory.lastIndex())
      throw new RangeError(`Cannot save snapshot ${index}: past the last entry ${this.memory.lastIndex()}`);
    const logTerm = this.memory.term(index);
    if (logTerm !== term)
      throw new RangeError(
        `Cannot save snapshot ${index} of term ${term}: the log has term ${logTerm} there`,
      );
    const previous = this.#pendingSnapIndex;
    this.#pendingSnapIndex = index;
    try {
      await this.#withSnapLock(async () => {
        try {
          await this.#snapshotter.save(snapshot);
        } catch (err) {
          // Nothing refers to the file yet: the storage is fine, the caller may retry.
          this.#pendingSnapIndex = previous;
          throw new SnapshotSaveError(err);
        }
        await this.#wal.saveSnapshot({ index, term });
        this.#durableSnapIndex = index;
        if (this.memory.snapshot().metadata.index < index)
          this.memory.createSnapshot(index, snapshot.metadata.confState, snapshot.data);
        await this.#prune();
      });
    } catch (err) {
      if (!(err instanceof SnapshotSaveError)) this.#failed ??= err;
      throw err instanceof SnapshotSaveError ? err.cause : err;
    }
  }

  /**
   * Discards the log up to `index` (at most the newest durable snapshot's index): from memory, and the WAL
   * segments no kept snapshot file needs any more (a replay from the oldest kept snapshot still works).
   * @throws RangeError when `index` is past the newest durable snapshot
   */
  async compact(index: number): Promise<void> {
    this.#checkWritable();
    if (index > this.#durableSnapIndex)
      throw new RangeError(
        `Cannot compact the log to ${index}: the newest durable snapshot is at ${this.#durableSnapIndex}`,
      );
    if (index >= this.memory.firstIndex()) this.memory.compact(index);
    const released = await this.#wal.releaseTo(Math.min(index, this.#oldestKeptSnapIndex));
    this.#o.logger.debug('raft log compacted', { 'raft.index': index, 'wal.segmentsDeleted': released });
  }

  /** Waits for writes in progress and closes the WAL. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#snapChain.catch(() => {});
      await this.#wal.close();
    })();
    return this.#closing;
  }

  /** The WAL (for tests and diagnostics). */
  get wal(): Wal {
    return this.#wal;
  }

  async #saveToWal(
    hardState: HardState | null,
    entries: readonly Entry[],
    snapshot: Snapshot | null,
    sync: boolean,
  ): Promise<void> {
    const marker =
      snapshot === null ? undefined : { index: snapshot.metadata.index, term: snapshot.metadata.term };
    const durable = this.#wal.save(
      hardState,
      entries,
      marker === undefined ? { sync } : { sync, snapshot: marker },
    );
    try {
      await durable;
    } catch (err) {
      this.#failed ??= err;
      throw err;
    }
    if (snapshot !== null) this.memory.applySnapshot(snapshot);
    this.memory.append(entries);
    if (hardState !== null) this.memory.setHardState(hardState);
  }

  async #prune(): Promise<void> {
    await this.#snapshotter.prune();
    const kept = await this.#snapshotter.list();
    this.#oldestKeptSnapIndex = kept[kept.length - 1]?.index ?? 0;
  }

  #withSnapLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#snapChain.then(fn, fn);
    this.#snapChain = run.catch(() => {});
    return run;
  }

  #checkWritable(): void {
    if (this.#closing !== null)
      throw new IllegalStateError(`Cannot write the Raft storage in ${this.dir}: it is closed`);
    if (this.#failed !== null) throw this.#failed;
  }
}

/**
 * `wal.replay(from)`; when the log cannot start there because the snapshot it needs is damaged or missing,
 * the error says so ({@link NoUsableSnapshotError}, the WAL's reason as its cause).
 */
function replayFrom(
  wal: Wal,
  from: SnapshotMarker,
  latest: number,
  noSnapshot: NoUsableSnapshotError | null,
  snapDir: string,
): WalRecovery {
  try {
    return wal.replay(from);
  } catch (err) {
    if (!(err instanceof WalSnapshotNotFoundError || err instanceof WalCorruptError)) throw err;
    if (from.index === 0 && noSnapshot !== null) throw noSnapshot;
    if (from.index === 0 && latest > 0)
      throw new NoUsableSnapshotError(
        snapDir,
        `the Raft log starts after snapshot ${latest}, and there is no snapshot file it has a marker of`,
        { cause: err },
      );
    if (from.index > 0 && from.index < latest)
      throw new NoUsableSnapshotError(
        snapDir,
        `the snapshot at ${latest} is damaged or missing, and the Raft log cannot be replayed from the one at ${from.index}`,
        { cause: err },
      );
    throw err;
  }
}

/** Marks a failure of the snapshot file itself (not of the WAL) inside {@link DiskStorage.saveSnapshot}. */
class SnapshotSaveError extends Error {
  constructor(cause: unknown) {
    super('snapshot file not saved', { cause });
  }
}
