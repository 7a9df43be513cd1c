import { join } from 'node:path';
import test from 'ava';
import { createLogger, nullLogger, parseLogLevel } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import {
  MembershipError,
  NotLeaderError,
  ProposalDroppedError,
  ReplicatedNode,
  ReplicationTimeoutError,
  StoppedError,
  WalCorruptError,
} from './index.js';
import {
  encodeKvCommand,
  flipByteInMiddleRecord,
  InProcessCluster,
  KvStateMachine,
  waitUntil,
} from './testing/index.js';

// Every cluster a test starts, stopped in after.always even when a test fails half-way.
const clusters = new Set<InProcessCluster>();
test.after.always(async () => {
  await Promise.all([...clusters].map((c) => c.close()));
});

const enc = new TextEncoder();
const dec = new TextDecoder();
// Quiet unless SWARMD_TEST_LOG=debug|info|warn|error is set (a test-only switch).
const level = process.env.SWARMD_TEST_LOG;
const logger = level === undefined ? nullLogger : createLogger({ level: parseLogLevel(level) });

function value(c: InProcessCluster, id: bigint, key: string): string | null {
  const v = c.member(id).sm.get(key);
  return v === null ? null : dec.decode(v.value);
}

function others(c: InProcessCluster, id: bigint): bigint[] {
  return c.live.filter((m) => m !== id);
}

/** Waits until every live member applied what `id` applied, then returns their snapshots' bytes. */
async function converged(c: InProcessCluster, id: bigint): Promise<Uint8Array[]> {
  const applied = c.node(id).status().applied;
  for (const m of c.live) await c.waitApplied(m, applied);
  return c.live.map((m) => c.member(m).sm.snapshot());
}

/**
 * With a FakeClock nothing ticks by itself: advance it (in steps below the tick) while waiting, so the
 * transport's reconnect backoffs fire, and bound the wait in real time.
 */
async function fakeWait(clock: FakeClock, what: string, pred: () => boolean): Promise<void> {
  await waitUntil(
    what,
    () => {
      if (pred()) return true;
      clock.advance(10);
      return false;
    },
    20_000,
    5,
  );
}

/** Elects a leader on a FakeClock cluster (member 1 campaigns once the bootstrap is applied). */
async function fakeLeader(c: InProcessCluster, clock: FakeClock): Promise<bigint> {
  await fakeWait(clock, 'the bootstrap to be applied', () =>
    c.live.every((id) => c.node(id).status().applied >= 3),
  );
  c.node(1n).campaign();
  let leader = 0n;
  await fakeWait(clock, 'a leader', () => {
    leader = c.live.find((id) => c.node(id).isLeader()) ?? 0n;
    return leader !== 0n;
  });
  return leader;
}

test('a 3-member cluster elects a leader and applies proposals everywhere, in order', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const t0 = performance.now();
  const leader = await c.waitForLeader();
  t.log(`leader ${leader} elected in ${Math.round(performance.now() - t0)} ms`);
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) => c.put(leader, `k${i % 7}`, `v${i}`)),
  );
  // One leader, one log: proposals got increasing indexes in the order they were made.
  for (let i = 1; i < results.length; i++)
    t.true((results[i]?.revision ?? 0) > (results[i - 1]?.revision ?? 0), `revision ${i} increases`);
  t.true(results.every((r) => r.ok));
  const snaps = await converged(c, leader);
  for (const s of snaps) t.deepEqual(s, snaps[0]);
  for (const id of c.live) {
    t.is(value(c, id, 'k6'), 'v293');
    t.is(c.member(id).sm.get('k6')?.revision, results[293]?.revision);
  }
});

test('`propose()` on a follower rejects with NotLeaderError naming the leader and its address', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const leader = await c.waitForLeader();
  const follower = others(c, leader)[0] as bigint;
  const err = await t.throwsAsync(c.put(follower, 'a', 'b'), { instanceOf: NotLeaderError });
  t.is(err?.code, 'ERR_REPLICATION_NOT_LEADER');
  t.is(err?.leaderId, leader);
  t.is(err?.leaderAddress, c.address(leader));
  t.regex(
    err?.message ?? '',
    new RegExp(`^Cannot propose: this member is not the leader, the leader is ${leader}`),
  );
  t.true(err?.temporary);
  // Membership changes and transfers are the leader's too.
  await t.throwsAsync(c.node(follower).removeMember(leader), { instanceOf: NotLeaderError });
  await t.throwsAsync(c.node(follower).transferLeadership(leader), { instanceOf: NotLeaderError });
});

test('`readIndex()` on a follower makes a read after a write linearizable', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const leader = await c.waitForLeader();
  const follower = others(c, leader)[0] as bigint;
  for (let i = 0; i < 20; i++) {
    const w = await c.put(leader, 'x', `v${i}`);
    // Several concurrent reads share one read index round.
    const idx = await Promise.all([c.node(follower).readIndex(), c.node(follower).readIndex()]);
    t.true(idx.every((n) => n >= w.revision));
    t.is(value(c, follower, 'x'), `v${i}`);
  }
});

test('`stop()` rejects pending proposals and reads with StoppedError', async (t) => {
  const clock = new FakeClock();
  const c = await InProcessCluster.start(3, { logger, clock, tickMs: 100 }, clusters);
  const leader = await fakeLeader(c, clock);
  for (const id of others(c, leader)) await c.stopMember(id);
  // No quorum: it cannot commit, and with the clock stopped nothing times out.
  const pending = c.put(leader, 'a', 'b');
  const read = c.node(leader).readIndex();
  await c.stopMember(leader);
  const err = await t.throwsAsync(pending, { instanceOf: StoppedError });
  t.is(err?.code, 'ERR_REPLICATION_STOPPED');
  t.is(err?.message, 'Cannot propose: the node is stopped');
  await t.throwsAsync(read, { instanceOf: StoppedError });
  // Later calls too, and stop() is idempotent.
  const m1 = new ReplicatedNode({
    id: 9n,
    dir: join(c.baseDir, 'x'),
    listenAddress: '127.0.0.1:0',
    stateMachine: new KvStateMachine(),
  });
  await t.throwsAsync(m1.propose(enc.encode('x')), { instanceOf: StoppedError });
  await m1.stop();
  await m1.stop();
  t.is(m1.state, 'stopped');
});

test('a proposal that cannot commit times out with ReplicationTimeoutError', async (t) => {
  const clock = new FakeClock();
  const c = await InProcessCluster.start(3, { logger, clock, tickMs: 100, requestTimeoutMs: 500 }, clusters);
  const leader = await fakeLeader(c, clock);
  for (const id of others(c, leader)) await c.stopMember(id);
  const pending = c.put(leader, 'a', 'b');
  let settled = false;
  const done = (): void => {
    settled = true;
  };
  pending.then(done, done);
  clock.advance(400);
  await new Promise((r) => setImmediate(r));
  t.false(settled, 'not before its deadline');
  clock.advance(200);
  const err = await t.throwsAsync(pending, { instanceOf: ReplicationTimeoutError });
  t.is(err?.operation, 'propose');
  t.is(err?.code, 'ERR_REPLICATION_TIMEOUT');
  t.regex(
    err?.message ?? '',
    /^Cannot propose: no outcome within 500 ms, the entry at index \d+ was not applied$/,
  );
});

test('a cluster stopped and started again from its state dirs keeps every write', async (t) => {
  // Snapshots every 40 entries: the restart restores a snapshot and replays the WAL after it.
  const c = await InProcessCluster.start(3, { logger, snapshotEntries: 40, logTailEntries: 10 }, clusters);
  const leader = await c.waitForLeader();
  for (let i = 0; i < 100; i++) await c.put(leader, `k${i}`, `v${i}`);
  const before = await converged(c, leader);
  const applied = c.node(leader).status().applied;
  t.true(c.node(leader).status().snapshotIndex > 0);
  for (const id of [1n, 2n, 3n]) await c.stopMember(id);
  await Promise.all([1n, 2n, 3n].map((id) => c.startMember(id)));
  // Committed entries come back on every member, before and without any new write.
  for (const id of [1n, 2n, 3n]) await c.waitApplied(id, applied);
  const after = c.live.map((m) => c.member(m).sm.snapshot());
  for (const s of after) t.deepEqual(s, before[0]);
  const leader2 = await c.waitForLeader();
  const r = await c.put(leader2, 'after', 'restart');
  t.true(r.revision > applied);
  t.is(value(c, leader2, 'k99'), 'v99');
});

test('a member that fell behind the compacted log catches up through a snapshot', async (t) => {
  const c = await InProcessCluster.start(3, { logger, snapshotEntries: 20, logTailEntries: 5 }, clusters);
  const leader = await c.waitForLeader();
  const lagger = others(c, leader)[0] as bigint;
  await c.put(leader, 'first', '1');
  await converged(c, leader);
  await c.stopMember(lagger);
  for (let i = 0; i < 120; i++) await c.put(leader, `k${i % 30}`, `v${i}`);
  const st = c.node(leader).status();
  t.true(st.firstIndex > c.node(leader).status().snapshotIndex - 10, 'the leader compacted its log');
  t.true(st.snapshotsTaken >= 5);
  await c.startMember(lagger);
  const snaps = await converged(c, leader);
  for (const s of snaps) t.deepEqual(s, snaps[0]);
  t.true(c.node(lagger).status().snapshotsInstalled >= 1, 'restored a snapshot from the leader');
  t.is(value(c, lagger, 'k29'), 'v119');
  t.is(value(c, lagger, 'first'), '1');
});

test('`transferLeadership()` hands leadership to the named voter', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const leader = await c.waitForLeader();
  const to = others(c, leader)[1] as bigint;
  await c.put(leader, 'a', '1');
  await c.node(leader).transferLeadership(to);
  t.true(c.node(to).isLeader() || c.node(leader).leader().leaderId === to);
  t.is(await c.waitForLeader(), to);
  await c.put(to, 'a', '2');
  await t.throwsAsync(c.node(to).transferLeadership(99n), { instanceOf: MembershipError });
});

test('the metrics hooks: each member counts each new leader once, proposals once, WAL syncs', async (t) => {
  const counts = { leaders: 0, committed: 0, failed: 0, syncs: 0, snapshots: 0 };
  const metrics = {
    leaderChanged: () => void counts.leaders++,
    proposalCommitted: () => void counts.committed++,
    proposalFailed: () => void counts.failed++,
    walSynced: (s: number) => {
      if (s >= 0) counts.syncs++;
    },
    snapshotSaved: () => void counts.snapshots++,
  };
  const c = await InProcessCluster.start(3, { logger, metrics }, clusters);
  const leader = await c.waitForLeader();
  await c.put(leader, 'a', '1');
  const to = others(c, leader)[0] as bigint;
  await c.node(leader).transferLeadership(to);
  await c.waitForLeader();
  await c.put(to, 'a', '2');
  await converged(c, to);
  // Three members, two leaders each (the candidate and pre-candidate states in between do not count).
  t.is(counts.leaders, 6);
  t.is(counts.committed, 2);
  t.is(counts.failed, 0);
  t.true(counts.syncs > 0);
  await t.throwsAsync(c.node(to).propose(new Uint8Array(0)));
  t.is(counts.failed, 0, 'a refusal before raft is no proposal');
  // The leader hears its followers every tick: each one's silence is short; its own is not measured.
  for (const m of c.node(to).status().members) {
    if (m.id === to) t.is(m.silentMs, null);
    else t.true(m.silentMs !== null && m.silentMs < 2000, `member ${m.id}: ${m.silentMs}`);
  }
});

test('membership: a member is added as a learner, promoted once caught up, and removed ids are never reused', async (t) => {
  const c = await InProcessCluster.start(3, { logger, snapshotEntries: 25, logTailEntries: 5 }, clusters);
  const leader = await c.waitForLeader();
  // Enough history that the log is compacted: the newcomer needs a snapshot that includes it.
  for (let i = 0; i < 80; i++) await c.put(leader, `k${i % 10}`, `v${i}`);
  await c.reserve([4n]);
  await c.startMember(4n, { join: true });
  const conf = await c.node(leader).addMember(4n, c.address(4n));
  t.deepEqual([...conf.voters].sort(), [1n, 2n, 3n, 4n]);
  t.deepEqual(conf.learners, []);
  await c.put(leader, 'after', 'add');
  const snaps = await converged(c, leader);
  for (const s of snaps) t.deepEqual(s, snaps[0]);
  t.true(c.node(4n).status().snapshotsInstalled >= 1);
  t.is(
    c
      .node(4n)
      .status()
      .members.find((m) => m.id === leader)?.address,
    c.address(leader),
  );

  const victim = others(c, leader).find((id) => id !== 4n) as bigint;
  const conf2 = await c.node(leader).removeMember(victim);
  t.false(conf2.voters.includes(victim));
  await c.stopMember(victim);
  t.deepEqual(c.node(leader).status().removedIds, [victim]);
  const err = await t.throwsAsync(c.node(leader).addMember(victim, c.address(victim)), {
    instanceOf: MembershipError,
  });
  t.is(err?.problem, 'removed-id');
  t.is(err?.code, 'ERR_REPLICATION_MEMBERSHIP');
  await t.throwsAsync(c.node(leader).addMember(4n, c.address(4n)), { instanceOf: MembershipError });
  // Three voters left, all alive: writes go on.
  await c.put(leader, 'after', 'remove');
  await converged(c, leader);
  for (const id of c.live) t.is(value(c, id, 'after'), 'remove');
  // The removal survives a restart of the members (it is in the log and the snapshots).
  const other = others(c, leader)[0] as bigint;
  await c.stopMember(other);
  await c.startMember(other);
  await waitUntil('the removal to be replayed', () => c.node(other).status().removedIds.includes(victim));
});

test('a leader that removes itself hands leadership over', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const leader = await c.waitForLeader();
  // A new leader takes conf changes once its log is applied (raft: `conf-change-pending` before).
  await c.put(leader, 'settle', '1');
  const removed = new Promise<void>((resolve) => {
    c.node(leader).subscribe((e) => {
      if (e.kind === 'removed') resolve();
    });
  });
  await c.node(leader).removeMember(leader);
  await removed;
  t.true(c.node(leader).status().isRemoved);
  const next = await c.waitForLeader({ exclude: [leader] });
  t.not(next, leader);
  await c.stopMember(leader);
  await c.put(next, 'still', 'works');
  const err = await t.throwsAsync(c.node(next).addMember(leader, c.address(leader)), {
    instanceOf: MembershipError,
  });
  t.is(err?.problem, 'removed-id');
});

test('a second membership change while one is pending is dropped', async (t) => {
  const c = await InProcessCluster.start(3, { logger, catchUpTimeoutMs: 60_000 }, clusters);
  const leader = await c.waitForLeader();
  await c.put(leader, 'settle', '1');
  await c.reserve([4n, 5n]);
  const first = c.node(leader).addLearner(4n, c.address(4n));
  const err = await t.throwsAsync(c.node(leader).addLearner(5n, c.address(5n)), {
    instanceOf: ProposalDroppedError,
  });
  t.is(err?.reason, 'conf-change-pending');
  const conf = await first;
  t.deepEqual(conf.learners, [4n]);
});

test('a damaged WAL record stops the node at start with the file and offset, not skipped', async (t) => {
  const c = await InProcessCluster.start(3, { logger }, clusters);
  const leader = await c.waitForLeader();
  for (let i = 0; i < 30; i++) await c.put(leader, `k${i}`, `v${i}`);
  const victim = others(c, leader)[0] as bigint;
  await converged(c, leader);
  await c.stopMember(victim);
  const damage = await flipByteInMiddleRecord(join(c.dir(victim), 'wal'));
  const err = await t.throwsAsync(c.startMember(victim), { instanceOf: WalCorruptError });
  t.is(err?.code, 'ERR_WAL_CORRUPT');
  t.is(err?.file, damage.file);
  t.is(err?.offset, damage.recordOffset);
  t.true(err?.message.includes(`record at offset ${damage.recordOffset} of ${damage.file}`));
  const m = c.member(victim);
  await t.throwsAsync(m.done, { instanceOf: WalCorruptError });
  t.is(m.node.state, 'failed');
  await c.stopMember(victim);
});

test('`new ReplicatedNode()` validates its options in one place', (t) => {
  const base = { id: 1n, dir: '/tmp/x', listenAddress: '127.0.0.1:0', stateMachine: new KvStateMachine() };
  t.throws(() => new ReplicatedNode({ ...base, id: 0n }), { instanceOf: RangeError, message: /id must be/ });
  t.throws(() => new ReplicatedNode({ ...base, listenAddress: 'nope' }), { instanceOf: TypeError });
  t.throws(() => new ReplicatedNode({ ...base, electionTicks: 1 }), { instanceOf: RangeError });
  t.throws(() => new ReplicatedNode({ ...base, members: [{ id: 2n, address: '127.0.0.1:1' }] }), {
    instanceOf: RangeError,
    message: /must include this member/,
  });
  t.throws(() => new ReplicatedNode({ ...base, stateMachine: {} as KvStateMachine }), {
    instanceOf: TypeError,
  });
  const n = new ReplicatedNode(base);
  t.is(n.state, 'new');
  t.throws(() => n.address, { message: /not started/ });
});

test('`propose()` refuses empty and oversized data without proposing', async (t) => {
  const c = await InProcessCluster.start(1, { logger }, clusters);
  const leader = await c.waitForLeader();
  t.is(leader, 1n);
  await t.throwsAsync(c.node(1n).propose(new Uint8Array(0)), { instanceOf: RangeError });
  await t.throwsAsync(c.node(1n).propose(new Uint8Array(2 * 1024 * 1024)), { instanceOf: RangeError });
  const r = await c
    .node(1n)
    .propose(encodeKvCommand({ op: 'cas', key: 'a', expected: null, value: enc.encode('1') }));
  t.true(r.ok);
  const r2 = await c
    .node(1n)
    .propose(encodeKvCommand({ op: 'cas', key: 'a', expected: null, value: enc.encode('2') }));
  t.false(r2.ok);
  t.is(dec.decode(r2.current ?? new Uint8Array()), '1');
});
