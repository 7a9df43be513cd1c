import test from 'ava';
import { InvariantViolationError } from './errors.js';
import { nullRaftLogger } from './logger.js';
import { MemoryStorage } from './memory-storage.js';
import { RaftLog } from './raft-log.js';
import type { Entry } from './types.js';
import { EMPTY_BYTES, ENTRY_OVERHEAD_BYTES } from './types.js';

function ents(from: number, terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal', data: EMPTY_BYTES }));
}

function log(stable: number[], unstable: number[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(ents(1, stable));
  const l = new RaftLog(s, nullRaftLogger, Infinity);
  if (unstable.length > 0) l.append(ents(stable.length + 1, unstable));
  return l;
}

test('`RaftLog.findConflict()` finds the first new or different entry', (t) => {
  const l = log([1, 2, 3]);
  t.is(l.findConflict([]), 0);
  t.is(l.findConflict(ents(1, [1, 2, 3])), 0);
  t.is(l.findConflict(ents(2, [2, 3])), 0);
  t.is(l.findConflict(ents(2, [2, 3, 4, 4])), 4, 'new entries past the end');
  t.is(l.findConflict(ents(2, [1, 4, 4])), 2, 'a different term');
  t.is(l.findConflict(ents(3, [4, 4])), 3);
});

test('`RaftLog.findConflictByTerm()` skips entries of later terms', (t) => {
  const l = log([1, 2, 2, 5, 5, 5]);
  t.deepEqual(l.findConflictByTerm(6, 4), { index: 3, term: 2 });
  t.deepEqual(l.findConflictByTerm(6, 5), { index: 6, term: 5 });
  t.deepEqual(l.findConflictByTerm(6, 0), { index: 0, term: 0 });
  t.deepEqual(l.findConflictByTerm(3, 1), { index: 1, term: 1 });
});

test('`RaftLog.maybeAppend()` appends after a matching entry and commits no further than the new entries', (t) => {
  const l = log([1, 2, 3]);
  t.is(l.maybeAppend(3, 2, 3, ents(4, [4])), -1, 'the preceding entry does not match');
  t.is(l.lastIndex(), 3);
  t.is(l.maybeAppend(3, 3, 10, ents(4, [4, 4])), 5);
  t.is(l.committed, 5, 'commit capped at the last new entry');
  t.is(l.maybeAppend(1, 1, 10, ents(2, [2])), 2);
  t.is(l.lastIndex(), 5, 'matching entries keep the tail');
  t.is(l.committed, 5, 'commit never moves back');
});

test('`RaftLog.maybeAppend()` truncates a conflicting uncommitted tail and refuses to touch committed entries', (t) => {
  const l = log([1, 1, 2, 2]);
  l.commitTo(2);
  t.is(l.maybeAppend(2, 1, 2, ents(3, [3])), 3);
  t.deepEqual(
    l.allEntries().map((e) => e.term),
    [1, 1, 3],
  );
  t.throws(() => l.maybeAppend(1, 1, 2, ents(2, [4])), { instanceOf: InvariantViolationError });
});

test('`RaftLog.isUpToDate()` compares last term, then length (§5.4.1)', (t) => {
  const l = log([1, 2, 2]);
  t.true(l.isUpToDate(1, 3), 'a later last term wins even with a shorter log');
  t.false(l.isUpToDate(10, 1), 'an earlier last term loses even with a longer log');
  t.true(l.isUpToDate(3, 2));
  t.true(l.isUpToDate(4, 2));
  t.false(l.isUpToDate(2, 2));
});

test('`RaftLog.commitTo()` refuses to commit past the last entry; `appliedTo()` stays within the commit', (t) => {
  const l = log([1, 1]);
  t.throws(() => l.commitTo(3), { instanceOf: InvariantViolationError, code: 'ERR_RAFT_INVARIANT_VIOLATED' });
  l.commitTo(2);
  t.throws(() => l.appliedTo(3), { instanceOf: InvariantViolationError });
  l.appliedTo(1);
  t.is(l.applied, 1);
});

test('`RaftLog.slice()` spans the stable and unstable parts and honours the size cap', (t) => {
  const l = log([1, 1, 2], [3, 3]);
  t.deepEqual(
    l.slice(2, 6, Infinity)?.map((e) => e.index),
    [2, 3, 4, 5],
  );
  t.deepEqual(
    l.slice(2, 6, 3 * ENTRY_OVERHEAD_BYTES)?.map((e) => e.index),
    [2, 3, 4],
  );
  t.deepEqual(
    l.slice(4, 6, 0)?.map((e) => e.index),
    [4],
  );
  t.throws(() => l.slice(2, 7, Infinity), { instanceOf: InvariantViolationError });
});

test('`RaftLog.nextCommittedEntries()` pages by size and follows applied', (t) => {
  const s = new MemoryStorage();
  s.append(ents(1, [1, 1, 1, 1]));
  const l = new RaftLog(s, nullRaftLogger, 2 * ENTRY_OVERHEAD_BYTES);
  l.commitTo(3);
  t.true(l.hasNextCommittedEntries());
  t.deepEqual(
    l.nextCommittedEntries().map((e) => e.index),
    [1, 2],
  );
  l.appliedTo(2);
  t.deepEqual(
    l.nextCommittedEntries().map((e) => e.index),
    [3],
  );
  l.appliedTo(3);
  t.false(l.hasNextCommittedEntries());
});

test('`RaftLog.stableTo()` ignores entries overwritten after the Ready was taken', (t) => {
  const l = log([1], [1, 1]);
  t.is(l.unstable.offset, 2);
  l.append(ents(3, [2]));
  t.false(l.stableTo(3, 1), 'entry 3 of term 1 was replaced by one of term 2');
  t.true(l.stableTo(2, 1));
  t.is(l.unstable.offset, 3);
  t.is(l.lastStableIndex(), 2);
  t.true(l.stableTo(3, 2));
  t.is(l.unstable.entries.length, 0);
});

test('`RaftLog.restore()` replaces the log with a snapshot and holds back committed entries until it is persisted', (t) => {
  const l = log([1, 1, 1]);
  l.commitTo(3);
  l.appliedTo(3);
  const snap = {
    metadata: { index: 10, term: 2, confState: { voters: [1n], learners: [] } },
    data: EMPTY_BYTES,
  };
  l.restore(snap);
  t.is(l.committed, 10);
  t.is(l.firstIndex(), 11);
  t.is(l.lastIndex(), 10);
  t.is(l.term(10), 2);
  t.is(l.term(3), -1, 'older entries are gone');
  l.append(ents(11, [2]));
  l.commitTo(11);
  t.false(l.hasNextCommittedEntries(), 'the snapshot must be applied first');
  (l.storage as MemoryStorage).applySnapshot(snap);
  l.stableSnapTo(10);
  l.appliedTo(10);
  t.deepEqual(
    l.nextCommittedEntries().map((e) => e.index),
    [11],
  );
});
