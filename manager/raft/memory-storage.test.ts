import test from 'ava';
import {
  CompactedError,
  InvariantViolationError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import { MemoryStorage } from './memory-storage.js';
import type { Entry } from './types.js';
import { EMPTY_BYTES, ENTRY_OVERHEAD_BYTES } from './types.js';

function ents(from: number, terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal', data: EMPTY_BYTES }));
}

/** Entries 3..5 after a snapshot at (3, 3), as etcd's storage tests set it up. */
function storage(): MemoryStorage {
  const s = new MemoryStorage();
  s.append(ents(1, [1, 2, 3, 4, 5]));
  s.createSnapshot(3, { voters: [1n], learners: [] }, EMPTY_BYTES);
  s.compact(3);
  return s;
}

test('`MemoryStorage.term()` knows the snapshot entry and rejects outside it', (t) => {
  const s = storage();
  t.is(s.firstIndex(), 4);
  t.is(s.lastIndex(), 5);
  t.is(s.term(3), 3);
  t.is(s.term(5), 5);
  t.throws(() => s.term(2), { instanceOf: CompactedError, code: 'ERR_RAFT_COMPACTED' });
  t.throws(() => s.term(6), { instanceOf: UnavailableError, code: 'ERR_RAFT_UNAVAILABLE' });
});

test('`MemoryStorage.entries()` returns [lo, hi) capped by size, at least one entry', (t) => {
  const s = storage();
  t.throws(() => s.entries(3, 5, Infinity), { instanceOf: CompactedError });
  t.deepEqual(
    s.entries(4, 6, Infinity).map((e) => e.index),
    [4, 5],
  );
  t.deepEqual(
    s.entries(4, 6, 0).map((e) => e.index),
    [4],
  );
  t.deepEqual(
    s.entries(4, 6, 2 * ENTRY_OVERHEAD_BYTES).map((e) => e.index),
    [4, 5],
  );
  t.throws(() => s.entries(4, 7, Infinity), { instanceOf: UnavailableError });
});

test('`MemoryStorage.append()` truncates conflicts, skips compacted entries and refuses gaps', (t) => {
  const s = storage();
  s.append(ents(4, [6, 6, 6]));
  t.deepEqual([s.term(4), s.term(5), s.term(6)], [6, 6, 6]);
  s.append(ents(2, [2, 3, 7]));
  t.is(s.lastIndex(), 4, 'entries up to the snapshot are ignored, the rest replaces the tail');
  t.is(s.term(4), 7);
  t.throws(() => s.append(ents(6, [7])), { instanceOf: InvariantViolationError });
  s.append(ents(1, [1, 2]));
  t.is(s.lastIndex(), 4, 'entirely compacted entries change nothing');
});

test('`MemoryStorage.compact()` and `createSnapshot()` refuse what is already compacted or missing', (t) => {
  const s = storage();
  t.throws(() => s.compact(3), { instanceOf: CompactedError });
  t.throws(() => s.compact(6), { instanceOf: RangeError });
  t.throws(() => s.createSnapshot(3, { voters: [], learners: [] }, EMPTY_BYTES), {
    instanceOf: SnapshotOutOfDateError,
  });
  t.throws(() => s.createSnapshot(6, { voters: [], learners: [] }, EMPTY_BYTES), { instanceOf: RangeError });
  const snap = s.createSnapshot(5, { voters: [1n, 2n], learners: [] }, new Uint8Array([1]));
  t.deepEqual(snap.metadata, { index: 5, term: 5, confState: { voters: [1n, 2n], learners: [] } });
  s.compact(5);
  t.is(s.firstIndex(), 6);
  t.is(s.lastIndex(), 5);
  t.deepEqual(s.initialState().confState, { voters: [1n, 2n], learners: [] });
});

test('`MemoryStorage.applySnapshot()` replaces the log and refuses older snapshots', (t) => {
  const s = storage();
  const meta = { index: 10, term: 4, confState: { voters: [1n], learners: [] } };
  s.applySnapshot({ metadata: meta, data: EMPTY_BYTES });
  t.is(s.firstIndex(), 11);
  t.is(s.lastIndex(), 10);
  t.is(s.term(10), 4);
  t.throws(() => s.applySnapshot({ metadata: { ...meta, index: 9 }, data: EMPTY_BYTES }), {
    instanceOf: SnapshotOutOfDateError,
    code: 'ERR_RAFT_SNAP_OUT_OF_DATE',
  });
});
