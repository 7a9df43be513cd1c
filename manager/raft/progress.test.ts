import test from 'ava';
import { Progress } from './progress.js';

function pr(match: number, next: number): Progress {
  return new Progress({
    match,
    next,
    isLearner: false,
    recentActive: true,
    maxInflight: 3,
    maxInflightBytes: 0,
  });
}

test('`Progress.maybeUpdate()` moves match forward only and unpauses', (t) => {
  const p = pr(3, 5);
  p.msgAppFlowPaused = true;
  t.false(p.maybeUpdate(2));
  t.is(p.match, 3);
  t.is(p.next, 5);
  t.true(p.maybeUpdate(7));
  t.is(p.match, 7);
  t.is(p.next, 8);
  t.false(p.msgAppFlowPaused);
});

test('`Progress.maybeDecrTo()` in probe state ignores stale rejections and follows the hint', (t) => {
  const p = pr(0, 10);
  t.false(p.maybeDecrTo(5, 2), 'rejection for a probe we did not send last');
  t.true(p.maybeDecrTo(9, 4));
  t.is(p.next, 5);
  t.true(p.maybeDecrTo(4, 100), 'the hint never moves next up');
  t.is(p.next, 4);
  const q = pr(6, 10);
  t.true(q.maybeDecrTo(9, 1));
  t.is(q.next, 7, 'never below match + 1');
});

test('`Progress.maybeDecrTo()` in replicate state rewinds to match + 1', (t) => {
  const p = pr(5, 6);
  p.becomeReplicate();
  p.sentEntries(3, 30);
  t.is(p.next, 9);
  t.false(p.maybeDecrTo(4, 0), 'a rejection at or below match is stale');
  t.true(p.maybeDecrTo(7, 0));
  t.is(p.next, 6);
  p.becomeReplicate();
  p.sentEntries(1, 10);
  t.false(p.maybeDecrTo(8, 0), 'a rejection for a MsgApp sent before the rewind is stale');
  t.is(p.next, 7);
});

test('`Progress` in replicate state pauses when the inflight window is full', (t) => {
  const p = pr(0, 1);
  p.becomeReplicate();
  p.sentEntries(1, 1);
  p.sentEntries(1, 1);
  t.false(p.isPaused());
  p.sentEntries(1, 1);
  t.true(p.isPaused());
  t.is(p.next, 4);
  p.maybeUpdate(2);
  p.inflights.freeLE(2);
  p.msgAppFlowPaused = p.inflights.full();
  t.false(p.isPaused());
});

test('`Progress` in probe state pauses after one non-empty probe', (t) => {
  const p = pr(0, 1);
  p.sentEntries(0, 0);
  t.false(p.isPaused(), 'an empty probe does not pause');
  p.sentEntries(2, 10);
  t.true(p.isPaused());
  t.is(p.next, 1, 'probes do not move next');
});

test('`Progress.becomeProbe()` after a snapshot probes past the snapshot', (t) => {
  const p = pr(2, 3);
  p.becomeSnapshot(10);
  t.true(p.isPaused());
  t.is(p.next, 11);
  p.becomeProbe();
  t.is(p.state, 'probe');
  t.is(p.next, 11);
  t.is(p.pendingSnapshot, 0);
  const q = pr(2, 3);
  q.becomeSnapshot(10);
  q.pendingSnapshot = 0;
  q.becomeProbe();
  t.is(q.next, 3, 'a failed snapshot probes from match + 1');
});
