// The router against a scripted leader view on a fake clock: where it sends a request, when it retries,
// and the typed error once the election wait is spent.
import test from 'ava';
import { nullLogger } from '../common/index.js';
import { FakeClock } from '../common/testing/index.js';
import { LeaderUnreachableError, NoLeaderError, RemoteError } from './errors.js';
import { LeaderRouter, leadershipMoved } from './leader-router.js';
import type { LeaderInfo, ReplicationEvent } from './replication/index.js';
import { NotLeaderError, ProposalDroppedError, ReplicationTimeoutError } from './replication/index.js';

class FakeNode {
  info: LeaderInfo = { leaderId: null, leaderAddress: null, isLeader: false, term: 1 };
  readonly listeners = new Set<(e: ReplicationEvent) => void>();
  leader(): LeaderInfo {
    return this.info;
  }
  subscribe(l: (e: ReplicationEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(info: Partial<LeaderInfo>): void {
    this.info = { ...this.info, ...info };
    for (const l of [...this.listeners]) l({ kind: 'leader', ...this.info });
  }
}

function setup(waitMs = 5000) {
  const clock = new FakeClock();
  const node = new FakeNode();
  const router = new LeaderRouter({
    node,
    clock,
    logger: nullLogger,
    leaderWaitMs: waitMs,
    retryDelayMs: 100,
  });
  return { clock, node, router };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

test('the leader runs the request locally; a follower sends it to the leader address', async (t) => {
  const { node, router } = setup();
  node.set({ isLeader: true, leaderId: 1n, leaderAddress: 'a:1' });
  t.is(
    await router.route(
      'x',
      async () => 'local',
      async () => 'remote',
    ),
    'local',
  );
  node.set({ isLeader: false, leaderId: 2n, leaderAddress: 'b:2' });
  t.is(
    await router.route(
      'x',
      async () => 'local',
      async (addr) => `remote ${addr}`,
    ),
    'remote b:2',
  );
  t.is(await router.route('x', async () => 'anywhere', null), 'anywhere');
});

test('during an election the request waits for a leader, then goes to it', async (t) => {
  const { node, router } = setup();
  const p = router.route(
    'x',
    async () => 'local',
    async (addr) => `remote ${addr}`,
  );
  await settle();
  node.set({ leaderId: 3n, leaderAddress: 'c:3' });
  t.is(await p, 'remote c:3');
});

test('no leader within the wait: NoLeaderError, temporary', async (t) => {
  const { clock, router } = setup(5000);
  const p = router.route(
    'propose',
    async () => 'local',
    async () => 'remote',
  );
  await settle();
  clock.advance(4999);
  await settle();
  clock.advance(1);
  const err = await t.throwsAsync(p, { instanceOf: NoLeaderError });
  t.is(err?.code, 'ERR_MANAGER_NO_LEADER');
  t.true(err?.temporary);
  t.regex(
    err?.message ?? '',
    /^Cannot propose: this manager knows no leader \(an election is under way, or it cannot reach a majority of the managers\) \(waited 5000 ms for one\)$/,
  );
});

test('"leadership moved" answers are retried at the next leader; other errors are not', async (t) => {
  const { node, router } = setup();
  node.set({ leaderId: 2n, leaderAddress: 'b:2' });
  const calls: string[] = [];
  const p = router.route(
    'x',
    async () => 'local',
    async (addr) => {
      calls.push(addr);
      if (addr === 'b:2') throw new NotLeaderError('propose', 3n, 'c:3');
      return `remote ${addr}`;
    },
  );
  await settle();
  node.set({ leaderId: 3n, leaderAddress: 'c:3' });
  t.is(await p, 'remote c:3');
  t.deepEqual(calls, ['b:2', 'c:3']);
  const boom = new ReplicationTimeoutError('propose', 10);
  await t.throwsAsync(
    router.route(
      'x',
      async () => 'local',
      async () => Promise.reject(boom),
    ),
    { is: boom },
  );
});

test('an unreachable leader is retried until the wait is spent, then named in the error', async (t) => {
  const { clock, node, router } = setup(1000);
  node.set({ leaderId: 2n, leaderAddress: 'b:2' });
  let calls = 0;
  const p = router.route(
    'x',
    async () => 'local',
    async (addr) => {
      calls++;
      throw new LeaderUnreachableError('x', addr);
    },
  );
  for (let i = 0; i < 12; i++) {
    await settle();
    clock.advance(100);
  }
  const err = await t.throwsAsync(p, { instanceOf: NoLeaderError });
  t.regex(err?.message ?? '', /the leader at b:2 does not answer/);
  t.true(calls >= 2);
});

test('stop() ends the waits with StoppedError', async (t) => {
  const { router } = setup();
  const p = router.route(
    'x',
    async () => 'local',
    async () => 'remote',
  );
  await settle();
  router.stop();
  await t.throwsAsync(p, { code: 'ERR_REPLICATION_STOPPED' });
});

test('which errors mean "not done, leadership moved"', (t) => {
  t.true(leadershipMoved(new NotLeaderError('x', null, null)));
  t.true(leadershipMoved(new ProposalDroppedError('x', 'superseded', '')));
  t.false(leadershipMoved(new ProposalDroppedError('x', 'uncommitted-size-limit', '')));
  t.true(leadershipMoved(new RemoteError('ERR_REPLICATION_NOT_LEADER', 'm', 14, 'not-done')));
  t.true(
    leadershipMoved(
      new RemoteError('ERR_REPLICATION_PROPOSAL_DROPPED', 'm', 14, 'not-done', {
        fields: { reason: 'superseded' },
      }),
    ),
  );
  t.false(leadershipMoved(new RemoteError('ERR_MANAGER_CALL_FAILED', 'm', 14, 'unknown')));
  t.false(leadershipMoved(new RemoteError('ERR_MANAGER_JOIN_TOKEN', 'm', 7, 'not-done')));
  t.false(leadershipMoved(new Error('x')));
});
