import test from 'ava';
import { decodeConfChange } from './conf-change.js';
import type { RaftOptions } from './config.js';
import {
  InvariantViolationError,
  NotLeaderError,
  ProposalDroppedError,
  RaftIllegalStateError,
  RaftInoperableError,
  StepLocalMessageError,
  StepPeerNotFoundError,
} from './errors.js';
import { MemoryStorage } from './memory-storage.js';
import type { Message } from './message.js';
import { RawNode } from './raw-node.js';
import type { Ready } from './ready.js';
import { SplitMix64 } from './testing/split-mix64.js';
import type { Entry } from './types.js';

const enc = new TextEncoder();

function node(id: bigint, storage: MemoryStorage, extra: Partial<RaftOptions> = {}): RawNode {
  return new RawNode({ id, storage, rand: new SplitMix64(id), ...extra });
}

/** Persists a Ready into `s` (snapshot, entries, hard state), then advances. */
function handle(n: RawNode, s: MemoryStorage): Ready {
  const rd = n.ready();
  if (rd.snapshot !== null) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState !== null) s.setHardState(rd.hardState);
  for (const e of rd.committedEntries)
    if (e.type === 'confChange') n.applyConfChange(decodeConfChange(e.data));
  n.advance();
  return rd;
}

function singleLeader(): { n: RawNode; s: MemoryStorage } {
  const s = new MemoryStorage();
  const n = node(1n, s);
  n.bootstrap([1n]);
  handle(n, s);
  n.campaign();
  while (n.hasReady()) handle(n, s);
  return { n, s };
}

test('`rawNode.bootstrap()` commits the founding members as entries 1..n', (t) => {
  const s = new MemoryStorage();
  const n = node(1n, s);
  n.bootstrap([1n, 2n, 3n]);
  const rd = handle(n, s);
  t.deepEqual(rd.hardState, { term: 1, vote: 0n, commit: 3 });
  t.deepEqual(
    rd.entries.map((e) => [e.index, e.term, e.type]),
    [
      [1, 1, 'confChange'],
      [2, 1, 'confChange'],
      [3, 1, 'confChange'],
    ],
  );
  t.deepEqual(
    rd.committedEntries.map((e) => decodeConfChange(e.data).nodeId),
    [1n, 2n, 3n],
  );
  t.true(rd.mustSync);
  t.deepEqual(n.status().config, { voters: [1n, 2n, 3n], learners: [] });
  t.throws(() => n.bootstrap([1n]), { instanceOf: RaftIllegalStateError, code: 'ERR_RAFT_ILLEGAL_STATE' });
});

test('`rawNode.bootstrap()` refuses empty, duplicate or zero ids', (t) => {
  const n = node(1n, new MemoryStorage());
  t.throws(() => n.bootstrap([]), { instanceOf: RangeError });
  t.throws(() => n.bootstrap([1n, 1n]), { instanceOf: RangeError });
  t.throws(() => n.bootstrap([1n, 0n]), { instanceOf: RangeError });
});

test('`new RawNode()` validates its options in one place', (t) => {
  const s = new MemoryStorage();
  const rand = new SplitMix64(1);
  t.throws(() => new RawNode({ id: 0n, storage: s, rand }), {
    instanceOf: RangeError,
    message: /id must be/,
  });
  t.throws(() => new RawNode({ id: 1n, storage: s, rand, electionTicks: 1, heartbeatTicks: 1 }), {
    instanceOf: RangeError,
    message: /electionTicks must be greater than heartbeatTicks/,
  });
  t.throws(() => new RawNode({ id: 1n, storage: s, rand, maxInflightMsgs: 0 }), { instanceOf: RangeError });
});

test('a single-node leader commits its entries only AFTER they are persisted (`advance()`)', (t) => {
  const { n, s } = singleLeader();
  t.is(n.basicStatus().raftState, 'leader');
  n.propose(enc.encode('a'));
  const rd = n.ready();
  t.deepEqual(
    rd.entries.map((e) => e.index),
    [3],
  );
  t.is(rd.committedEntries.length, 0, 'not committed before it is durable');
  s.append(rd.entries);
  n.advance();
  t.true(n.hasReady());
  const rd2 = handle(n, s);
  t.is(rd2.hardState?.commit, 3);
  t.deepEqual(
    rd2.committedEntries.map((e) => e.index),
    [3],
  );
  t.false(rd2.mustSync, 'a commit-only hard state needs no fsync');
});

test('`rawNode.ready()` twice without `advance()` is misuse, and so is `advance()` without `ready()`', (t) => {
  const { n } = singleLeader();
  n.propose(enc.encode('a'));
  n.ready();
  t.false(n.hasReady(), 'nothing is ready while a Ready is outstanding');
  t.throws(() => n.ready(), { instanceOf: RaftIllegalStateError });
  n.advance();
  t.throws(() => n.advance(), { instanceOf: RaftIllegalStateError, message: /no Ready was taken/ });
});

test('`rawNode.step()` rejects local messages and responses from non-members', (t) => {
  const { n } = singleLeader();
  const base = { to: 1n, from: 1n, term: 0 };
  t.throws(() => n.step({ ...base, type: 'MsgHup' }), {
    instanceOf: StepLocalMessageError,
    code: 'ERR_RAFT_STEP_LOCAL_MSG',
  });
  t.throws(() => n.step({ ...base, type: 'MsgBeat' }), { instanceOf: StepLocalMessageError });
  t.throws(() => n.step({ ...base, type: 'MsgSnapStatus', reject: false }), {
    instanceOf: StepLocalMessageError,
  });
  const resp: Message = {
    type: 'MsgAppResp',
    to: 1n,
    from: 9n,
    term: 2,
    index: 1,
    reject: false,
    rejectHint: 0,
    logTerm: 0,
  };
  t.throws(() => n.step(resp), { instanceOf: StepPeerNotFoundError, code: 'ERR_RAFT_STEP_PEER_NOT_FOUND' });
  t.is(n.basicStatus().raftState, 'leader', 'recoverable errors leave the node usable');
});

test('`rawNode.propose()` without a leader throws ProposalDroppedError and appends nothing', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n, 2n, 3n], learners: [] } });
  const n = node(1n, s);
  const err = t.throws(() => n.propose(enc.encode('x')), { instanceOf: ProposalDroppedError });
  t.is(err?.code, 'ERR_RAFT_PROPOSAL_DROPPED');
  t.is(err?.reason, 'no-leader');
  t.is(n.basicStatus().lastIndex, 0);
  t.throws(() => n.readIndex(enc.encode('r')), { instanceOf: ProposalDroppedError });
});

test('a follower with forwarding disabled answers proposals with NotLeaderError naming the leader', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n, 2n], learners: [] } });
  const n = node(2n, s, { disableProposalForwarding: true });
  n.step({ type: 'MsgHeartbeat', to: 2n, from: 1n, term: 1, commit: 0, context: null });
  const err = t.throws(() => n.propose(enc.encode('x')), { instanceOf: NotLeaderError });
  t.is(err?.leader, 1n);
  t.is(err?.code, 'ERR_RAFT_NOT_LEADER');
});

test('a follower forwards proposals and reads to its leader, without a term', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n, 2n], learners: [] } });
  const n = node(2n, s);
  n.step({ type: 'MsgHeartbeat', to: 2n, from: 1n, term: 1, commit: 0, context: null });
  handle(n, s);
  n.propose(enc.encode('x'));
  n.readIndex(enc.encode('r'));
  const msgs = handle(n, s).messages;
  t.deepEqual(
    msgs.map((m) => [m.type, m.to, m.from, m.term]),
    [
      ['MsgProp', 1n, 2n, 0],
      ['MsgReadIndex', 1n, 2n, 0],
    ],
  );
});

test('a storage failure makes the node inoperable; every later call throws RaftInoperableError', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n, 2n], learners: [] } });
  s.append([{ term: 1, index: 1, type: 'normal', data: enc.encode('a') }]);
  const n = node(1n, s);
  const broken = new Error('disk on fire');
  s.term = () => {
    throw broken;
  };
  t.throws(() => n.campaign(), { is: broken });
  const err = t.throws(() => n.tick(), { instanceOf: RaftInoperableError });
  t.is(err?.cause, broken);
  t.is(err?.code, 'ERR_RAFT_INOPERABLE');
  t.false(n.hasReady());
});

test('a hard state committing past the persisted log is refused at start', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n], learners: [] } });
  s.setHardState({ term: 1, vote: 1n, commit: 5 });
  t.throws(() => node(1n, s), { instanceOf: InvariantViolationError, message: /out of range/ });
});

test('a restarted node resumes from its storage and re-delivers committed entries after `applied`', (t) => {
  const { n, s } = singleLeader();
  for (const x of ['a', 'b', 'c']) n.propose(enc.encode(x));
  while (n.hasReady()) handle(n, s);
  t.is(s.hardState().commit, 5);
  const again = node(1n, s, { applied: 3 });
  const st = again.basicStatus();
  t.deepEqual([st.term, st.vote, st.commit, st.raftState], [2, 1n, 5, 'follower']);
  const rd = again.ready();
  t.deepEqual(
    rd.committedEntries.map((e: Entry) => e.index),
    [4, 5],
  );
  t.is(rd.hardState, null, 'nothing new to persist');
});

test('`Ready.committedEntries` are paged by `maxCommittedSizePerReady`', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n], learners: [] } });
  s.append(
    Array.from(
      { length: 10 },
      (_, i): Entry => ({ term: 1, index: i + 1, type: 'normal', data: new Uint8Array(100) }),
    ),
  );
  s.setHardState({ term: 1, vote: 1n, commit: 10 });
  const n = node(1n, s, { maxCommittedSizePerReady: 250 });
  const sizes: number[] = [];
  while (n.hasReady()) sizes.push(handle(n, s).committedEntries.length);
  t.deepEqual(sizes, [2, 2, 2, 2, 2]);
});

test('`rawNode.status()` reports progress on the leader only', (t) => {
  const { n } = singleLeader();
  const st = n.status();
  t.is(st.progress?.get(1n)?.match, 2);
  t.deepEqual(st.config, { voters: [1n], learners: [] });
  const f = node(2n, new MemoryStorage({ confState: { voters: [1n, 2n], learners: [] } }));
  t.is(f.status().progress, null);
});
