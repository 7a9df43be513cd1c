import { SnapshotTemporarilyUnavailableError } from '../errors.js';
import { MemoryStorage } from '../memory-storage.js';
import type { ConfState, Snapshot } from '../types.js';

function sameMembers(a: ConfState, b: ConfState): boolean {
  if (a.voters.length !== b.voters.length || a.learners.length !== b.learners.length) return false;
  return a.voters.every((v) => b.voters.includes(v)) && a.learners.every((l) => b.learners.includes(l));
}

/**
 * The simulation's durable storage: a {@link MemoryStorage} whose `snapshot()` behaves as the replication
 * driver's will. When raft asks for a snapshot to send and the stored one predates the current membership
 * (a member joined after it), it throws {@link SnapshotTemporarilyUnavailableError} and raises `wanted`;
 * the driver then takes a fresh snapshot after applying, and raft retries.
 */
export class SimStorage extends MemoryStorage {
  /** A fresh snapshot was asked for. */
  wanted = false;
  /** The membership the state machine has applied (kept up to date by the driver). */
  currentConfState: () => ConfState = () => this.stored().metadata.confState;

  /** The stored snapshot, without the freshness check (for restarts). */
  stored(): Snapshot {
    return super.snapshot();
  }

  override snapshot(): Snapshot {
    const s = super.snapshot();
    if (s.metadata.index > 0 && !sameMembers(s.metadata.confState, this.currentConfState())) {
      this.wanted = true;
      throw new SnapshotTemporarilyUnavailableError();
    }
    return s;
  }
}
