import test from 'ava';
import { ProgressTracker } from './progress-tracker.js';

function tracker(voters: bigint[], learners: bigint[] = []): ProgressTracker {
  const t = new ProgressTracker(8, 0);
  for (const v of voters) t.addVoter(v, 1);
  for (const l of learners) t.addLearner(l, 1);
  return t;
}

test('`ProgressTracker.committed()` is the highest index on a majority of voters', (t) => {
  const tr = tracker([1n, 2n, 3n, 4n, 5n], [6n]);
  const matches = [5, 9, 7, 3, 1, 100];
  [1n, 2n, 3n, 4n, 5n, 6n].forEach((id, i) => {
    const p = tr.progress.get(id);
    if (p) p.match = matches[i] as number;
  });
  t.is(tr.committed(), 5, 'learners do not count');
  const four = tracker([1n, 2n, 3n, 4n]);
  [10, 8, 6, 4].forEach((m, i) => {
    const p = four.progress.get(BigInt(i + 1));
    if (p) p.match = m;
  });
  t.is(four.committed(), 6, 'four voters need three');
});

test('`ProgressTracker` tallies each voter once and decides at a majority', (t) => {
  const tr = tracker([1n, 2n, 3n], [4n]);
  tr.recordVote(1n, true);
  t.is(tr.tallyVotes().result, 'pending');
  tr.recordVote(4n, true);
  t.is(tr.tallyVotes().result, 'pending', 'a learner vote does not count');
  tr.recordVote(2n, false);
  tr.recordVote(2n, true);
  t.deepEqual(tr.tallyVotes(), { granted: 1, rejected: 1, result: 'pending' }, 'only the first vote counts');
  tr.recordVote(3n, false);
  t.is(tr.tallyVotes().result, 'lost');
  tr.resetVotes();
  tr.recordVote(1n, true);
  tr.recordVote(3n, true);
  t.is(tr.tallyVotes().result, 'won');
});

test('`ProgressTracker` keeps sorted member lists through changes', (t) => {
  const tr = tracker([3n, 1n], [7n, 5n]);
  t.deepEqual(tr.voters, [1n, 3n]);
  t.deepEqual(tr.learners, [5n, 7n]);
  t.deepEqual(tr.ids, [1n, 3n, 5n, 7n]);
  tr.addVoter(5n, 1);
  t.deepEqual(tr.voters, [1n, 3n, 5n]);
  t.deepEqual(tr.learners, [7n]);
  tr.remove(1n);
  t.deepEqual(tr.confState(), { voters: [3n, 5n], learners: [7n] });
  t.false(tr.isSingleton());
  tr.remove(3n);
  t.true(tr.isSingleton());
});

test('`ProgressTracker.quorumActive()` counts recently active voters and the leader', (t) => {
  const tr = tracker([1n, 2n, 3n]);
  for (const p of tr.progress.values()) p.recentActive = false;
  t.false(tr.quorumActive(1n));
  (tr.progress.get(3n) as { recentActive: boolean }).recentActive = true;
  t.true(tr.quorumActive(1n));
});
