import type { Message } from './message.js';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.js';

/**
 * A batch of work from raft, taken with `RawNode.ready()` and acknowledged with `RawNode.advance()`.
 * The driver MUST handle it in this order:
 *
 * 1. Persist, durably (fsync), in this order: `snapshot` (if not null), `entries` (appended after
 *    truncating the stored log from `entries[0].index` on), then `hardState` (if not null).
 * 2. Only AFTER step 1, send `messages`. (A vote or an append acknowledgement that leaves before it is
 *    durable can elect two leaders in one term or lose a committed entry after a crash.)
 * 3. Apply `snapshot` to the state machine (if not null), then `committedEntries` in order; call
 *    `RawNode.applyConfChange()` for each conf-change entry.
 * 4. Serve the `readStates` whose index the state machine has applied (later ones when it has).
 * 5. Call `RawNode.advance()`.
 *
 * Raft may be stepped and ticked between `ready()` and `advance()`; what that produces comes out in the
 * next Ready.
 */
export interface Ready {
  /** The role and leader, when they changed since the last Ready; null otherwise. Not persisted. */
  readonly softState: SoftState | null;
  /** The hard state to persist BEFORE sending `messages`, when it changed; null otherwise. */
  readonly hardState: HardState | null;
  /** Entries to persist BEFORE sending `messages`. */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to persist BEFORE sending `messages`, and to apply; or null. */
  readonly snapshot: Snapshot | null;
  /** Entries committed and not yet applied, to apply in order AFTER persisting. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send AFTER persisting. Each may be sent in any order relative to the others. */
  readonly messages: readonly Message[];
  /** Answers to `readIndex()` calls (local or forwarded by this node). */
  readonly readStates: readonly ReadState[];
  /**
   * Whether step 1 needs an fsync: true when entries, a snapshot, or a new term or vote are to be
   * persisted. A hard state whose only change is `commit` may be written lazily.
   */
  readonly mustSync: boolean;
}
