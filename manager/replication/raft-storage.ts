import type { ConfState, Entry, InitialState, Snapshot, Storage } from '../raft/index.js';
import { SnapshotTemporarilyUnavailableError } from '../raft/index.js';
import type { DiskStorage } from './storage/index.js';

/**
 * What raft reads: the {@link DiskStorage}, except that a stored snapshot whose membership lacks a current
 * member is withheld ({@link SnapshotTemporarilyUnavailableError}, raft retries at the next heartbeat
 * response) and a fresh one requested. A member added after the last snapshot would refuse it (raft never
 * sends it one, see raft's README), and the log it needs may already be compacted away.
 */
export class RaftStorage implements Storage {
  readonly #disk: DiskStorage;
  readonly #membership: () => ConfState;
  readonly #requestSnapshot: () => void;

  /**
   * @param membership the membership in force at the applied index
   * @param requestSnapshot asks the driver for a snapshot at its applied index (called synchronously from
   *   inside raft: it MUST only record the request)
   */
  constructor(disk: DiskStorage, membership: () => ConfState, requestSnapshot: () => void) {
    this.#disk = disk;
    this.#membership = membership;
    this.#requestSnapshot = requestSnapshot;
  }

  initialState(): InitialState {
    return this.#disk.initialState();
  }
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.#disk.entries(lo, hi, maxSize);
  }
  term(index: number): number {
    return this.#disk.term(index);
  }
  firstIndex(): number {
    return this.#disk.firstIndex();
  }
  lastIndex(): number {
    return this.#disk.lastIndex();
  }

  snapshot(): Snapshot {
    const snap = this.#disk.snapshot();
    const had = snap.metadata.confState;
    const now = this.#membership();
    const lacks = (id: bigint) => !had.voters.includes(id) && !had.learners.includes(id);
    if (now.voters.some(lacks) || now.learners.some(lacks)) {
      this.#requestSnapshot();
      throw new SnapshotTemporarilyUnavailableError();
    }
    return snap;
  }
}
