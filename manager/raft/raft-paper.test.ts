// Tests that follow the Raft paper ("In Search of an Understandable Consensus Algorithm", extended
// version) and Ongaro's dissertation, each named after the rule it checks. Like etcd's raft_paper_test,
// each test has three parts: set up, act, check. Unless a test is about PreVote or CheckQuorum, the
// nodes run plain Raft (both off), as the paper describes it.
import test from 'ava';
import { MemoryStorage } from './memory-storage.js';
import type { Message, MsgApp } from './message.js';
import { RawNode } from './raw-node.js';
import { logTerms, Network, storageWithLog } from './testing/network.js';
import { SplitMix64 } from './testing/split-mix64.js';

const PLAIN = { preVote: false, checkQuorum: false };
const ids3 = [1n, 2n, 3n];
const ids5 = [1n, 2n, 3n, 4n, 5n];

function plain(ids: bigint[], storages?: Map<bigint, MemoryStorage>): Network {
  return new Network(ids, { peer: PLAIN, ...(storages ? { storages } : {}) });
}

function state(nw: Network, id: bigint): string {
  const s = nw.peer(id).node.basicStatus();
  return `${s.raftState}@${s.term}`;
}

// ---- §5.1 Raft basics ----

test('§5.1 a server that sees a higher term adopts it and becomes follower, whatever its role', (t) => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    const nw = plain(ids3);
    if (role === 'leader') nw.campaign(1n);
    if (role === 'candidate') {
      nw.isolate(1n);
      nw.campaign(1n);
      nw.recover();
    }
    const n = nw.peer(1n).node;
    const before = n.basicStatus().term;
    n.step({
      type: 'MsgApp',
      to: 1n,
      from: 2n,
      term: before + 3,
      index: 0,
      logTerm: 0,
      entries: [],
      commit: 0,
    });
    const st = n.basicStatus();
    t.is(st.raftState, 'follower', role);
    t.is(st.term, before + 3, role);
    t.is(st.lead, 2n, role);
  }
});

test('§5.1 a leader with a stale term steps down, and its uncommitted entries are overwritten', (t) => {
  const nw = plain(ids3);
  nw.campaign(1n);
  nw.isolate(1n);
  nw.propose(1n, 'lost');
  nw.campaign(2n);
  t.is(state(nw, 2n), 'leader@2');
  t.is(state(nw, 1n), 'leader@1', 'the partitioned leader does not know yet');
  nw.propose(2n, 'kept');
  nw.recover();
  nw.tick(2n); // a heartbeat at term 2 reaches the old leader
  t.is(state(nw, 1n), 'follower@2');
  t.is(nw.peer(1n).node.basicStatus().lead, 2n);
  nw.propose(2n, 'more');
  for (const id of ids3) t.deepEqual(nw.peer(id).appliedData(), ['kept', 'more'], `node ${id}`);
  t.deepEqual(logTerms(nw.peer(1n).storage), logTerms(nw.peer(2n).storage));
});

test('§5.1 a server rejects a request with a stale term, answering with its own term', (t) => {
  const s = storageWithLog(ids3, [1, 1], 3);
  const n = new RawNode({ id: 1n, storage: s, rand: new SplitMix64(1), ...PLAIN, checkQuorum: true });
  n.step({ type: 'MsgApp', to: 1n, from: 2n, term: 2, index: 2, logTerm: 1, entries: [], commit: 2 });
  const rd = n.ready();
  t.is(n.basicStatus().term, 3);
  t.is(n.basicStatus().commit, 0, 'the stale append changed nothing');
  t.deepEqual(
    rd.messages.map((m) => [m.type, m.to, m.term]),
    [['MsgAppResp', 2n, 3]],
    'the stale leader learns the newer term',
  );
});

// ---- §5.2 Leader election ----

test('§5.2 a follower that hears nothing starts an election after its randomized election timeout', (t) => {
  const nw = plain(ids3);
  nw.ignore('MsgVote');
  const n = nw.peer(1n).node;
  let ticks = 0;
  while (n.basicStatus().raftState === 'follower') {
    n.tick();
    ticks++;
  }
  t.true(ticks >= 10 && ticks < 20, `campaigned after ${ticks} ticks`);
  const st = n.basicStatus();
  t.deepEqual([st.raftState, st.term, st.vote], ['candidate', 1, 1n], 'it votes for itself');
  const msgs = nw.peer(1n).drain();
  t.deepEqual(
    msgs.map((m) => [m.type, m.to, m.term]),
    [
      ['MsgVote', 2n, 1],
      ['MsgVote', 3n, 1],
    ],
  );
});

test('§5.2 election timeouts are randomized in [electionTicks, 2 × electionTicks)', (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 60; seed++) {
    const s = new MemoryStorage({ confState: { voters: ids3, learners: [] } });
    const n = new RawNode({ id: 1n, storage: s, rand: new SplitMix64(seed), electionTicks: 10, ...PLAIN });
    let ticks = 0;
    while (n.basicStatus().raftState === 'follower') {
      n.tick();
      ticks++;
    }
    t.true(ticks >= 10 && ticks < 20, `seed ${seed}: ${ticks}`);
    seen.add(ticks);
  }
  t.true(seen.size >= 6, `timeouts spread over ${[...seen].sort()}`);
});

test('§5.2 a candidate that wins votes from a majority becomes leader and asserts it with appends', (t) => {
  const nw = plain(ids5);
  nw.isolate(4n);
  nw.isolate(5n);
  nw.campaign(1n);
  t.is(state(nw, 1n), 'leader@1');
  for (const id of [2n, 3n]) {
    t.is(nw.peer(id).node.basicStatus().lead, 1n);
    t.is(nw.peer(id).node.basicStatus().commit, 1, 'the new leader’s empty entry is committed');
  }
});

test('§5.2 a candidate without a majority does not become leader', (t) => {
  const nw = plain(ids5);
  for (const id of [3n, 4n, 5n]) nw.isolate(id);
  nw.campaign(1n);
  t.is(state(nw, 1n), 'candidate@1');
});

test('§5.2 a candidate that receives an append from a leader of its term becomes its follower', (t) => {
  const nw = plain(ids3);
  nw.isolate(1n);
  nw.campaign(1n);
  const n = nw.peer(1n).node;
  t.is(n.basicStatus().raftState, 'candidate');
  n.step({ type: 'MsgApp', to: 1n, from: 2n, term: 1, index: 0, logTerm: 0, entries: [], commit: 0 });
  t.deepEqual([n.basicStatus().raftState, n.basicStatus().lead], ['follower', 2n]);
});

test('§5.2 votes are granted at most once per term, first come first served', (t) => {
  const s = new MemoryStorage({ confState: { voters: ids3, learners: [] } });
  const n = new RawNode({ id: 3n, storage: s, rand: new SplitMix64(3), ...PLAIN });
  const vote = (from: bigint): Message => ({
    type: 'MsgVote',
    to: 3n,
    from,
    term: 1,
    index: 0,
    logTerm: 0,
    transfer: false,
  });
  const answers: [bigint, boolean][] = [];
  for (const from of [1n, 2n, 1n]) {
    n.step(vote(from));
    const rd = n.ready();
    s.setHardState(rd.hardState ?? s.hardState());
    n.advance();
    for (const m of rd.messages) if (m.type === 'MsgVoteResp') answers.push([m.to, m.reject]);
  }
  t.deepEqual(answers, [
    [1n, false],
    [2n, true],
    [1n, false],
  ]);
  t.deepEqual(s.hardState(), { term: 1, vote: 1n, commit: 0 }, 'the vote is persisted before it is sent');
});

test('§5.2 a restarted voter remembers its vote for the term', (t) => {
  const nw = plain(ids3);
  nw.isolate(1n);
  nw.campaign(1n);
  nw.recover();
  nw.cut(1n, 2n);
  nw.campaign(1n); // term 2: node 3 votes for node 1
  t.is(state(nw, 1n), 'leader@2');
  nw.peer(3n).restart();
  const n = nw.peer(3n).node;
  n.step({ type: 'MsgVote', to: 3n, from: 2n, term: 2, index: 5, logTerm: 2, transfer: false });
  const rd = nw.peer(3n).handleReady();
  t.deepEqual(
    rd.messages.map((m) => (m.type === 'MsgVoteResp' ? m.reject : null)),
    [true],
  );
});

// ---- §5.3 Log replication ----

test('§5.3 the leader appends a proposal to its log and sends it to every follower', (t) => {
  const nw = plain(ids3);
  nw.campaign(1n);
  const p = nw.peer(1n);
  p.node.propose(new TextEncoder().encode('x'));
  const apps = p.drain().filter((m): m is MsgApp => m.type === 'MsgApp');
  t.deepEqual(
    apps.map((m) => [m.to, m.index, m.logTerm, m.entries.map((e) => [e.index, e.term]), m.commit]),
    [
      [2n, 1, 1, [[2, 1]], 1],
      [3n, 1, 1, [[2, 1]], 1],
    ],
  );
  t.is(p.storage.lastIndex(), 2, 'persisted before the messages left');
});

test('§5.3 an entry is committed once a majority stored it, and followers learn the commit index', (t) => {
  const nw = plain(ids3);
  nw.campaign(1n);
  nw.isolate(3n);
  nw.propose(1n, 'x');
  t.is(nw.peer(1n).node.basicStatus().commit, 2);
  t.deepEqual(nw.peer(1n).appliedData(), ['x']);
  t.is(nw.peer(3n).node.basicStatus().commit, 1);
  nw.recover();
  nw.tick(1n);
  t.deepEqual(nw.peer(3n).appliedData(), ['x'], 'the heartbeat brought the entry and the commit index');
});

test('§5.3 a follower rejects an append whose preceding entry does not match, hinting where to retry', (t) => {
  const s = storageWithLog(ids3, [1, 1, 2, 2, 2], 2);
  const n = new RawNode({ id: 2n, storage: s, rand: new SplitMix64(2), ...PLAIN });
  n.step({ type: 'MsgApp', to: 2n, from: 1n, term: 3, index: 5, logTerm: 3, entries: [], commit: 0 });
  const resp = n.ready().messages[0];
  t.like(resp, { type: 'MsgAppResp', reject: true, index: 5, rejectHint: 5, logTerm: 2 });
  t.is(n.basicStatus().lastIndex, 5, 'nothing appended');
});

test('§5.3 a follower deletes its conflicting uncommitted entries and takes the leader’s', (t) => {
  const s = storageWithLog(ids3, [1, 1, 2, 2, 2], 2);
  const n = new RawNode({ id: 2n, storage: s, rand: new SplitMix64(2), ...PLAIN });
  const data = new TextEncoder().encode('new');
  n.step({
    type: 'MsgApp',
    to: 2n,
    from: 1n,
    term: 3,
    index: 2,
    logTerm: 1,
    entries: [{ term: 3, index: 3, type: 'normal', data }],
    commit: 3,
  });
  const rd = n.ready();
  s.append(rd.entries);
  n.advance();
  t.deepEqual(logTerms(s), [1, 1, 3]);
  t.like(rd.messages[0], { type: 'MsgAppResp', reject: false, index: 3 });
  t.is(rd.hardState?.commit, 3);
});

test('§5.3 the leader brings every follower of figure 7 in line with its own log', (t) => {
  // Figure 7: the leader's log (term 8) and six followers (a)–(f).
  const leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, log] of Object.entries(followers)) {
    const storages = new Map([
      [1n, storageWithLog(ids3, leader, 8)],
      [2n, storageWithLog(ids3, log, 7)],
      [3n, storageWithLog(ids3, leader, 8)],
    ]);
    const nw = plain(ids3, storages);
    nw.campaign(1n);
    t.is(state(nw, 1n), 'leader@9', name);
    nw.propose(1n, 'x');
    t.deepEqual(logTerms(nw.peer(2n).storage), [...leader, 9, 9], `follower (${name})`);
  }
});

// ---- §5.4 Safety ----

test('§5.4.1 a candidate whose last entry has an older term loses the election', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids3, [1, 1, 1], 2)],
    [2n, storageWithLog(ids3, [1, 2], 2)],
    [3n, storageWithLog(ids3, [1, 2], 2)],
  ]);
  const nw = plain(ids3, storages);
  nw.campaign(1n);
  t.not(nw.peer(1n).node.basicStatus().raftState, 'leader', 'a longer log of an older term is not enough');
  nw.campaign(2n);
  t.is(nw.peer(2n).node.basicStatus().raftState, 'leader');
});

test('§5.4.1 a candidate with a shorter log of the same last term loses the election', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids3, [1, 2], 2)],
    [2n, storageWithLog(ids3, [1, 2, 2], 2)],
    [3n, storageWithLog(ids3, [1, 2, 2], 2)],
  ]);
  const nw = plain(ids3, storages);
  nw.campaign(1n);
  t.not(nw.peer(1n).node.basicStatus().raftState, 'leader');
});

test('§5.4.1 a candidate whose log is at least as up to date as a majority’s wins', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids3, [1, 2], 2)],
    [2n, storageWithLog(ids3, [1, 1, 1, 1], 2)],
    [3n, storageWithLog(ids3, [1, 2, 2], 2)],
  ]);
  const nw = plain(ids3, storages);
  nw.campaign(1n);
  t.is(nw.peer(1n).node.basicStatus().raftState, 'leader', 'node 2 votes for it, node 3 refuses');
});

test('§5.4.2 figure 8 (c): a leader does not commit an entry of an earlier term by counting replicas', (t) => {
  const s = storageWithLog(ids5, [1, 2], 3);
  const n = new RawNode({ id: 1n, storage: s, rand: new SplitMix64(1), ...PLAIN });
  n.campaign();
  for (const from of [2n, 3n]) n.step({ type: 'MsgVoteResp', to: 1n, from, term: 4, reject: false });
  const persist = () => {
    while (n.hasReady()) {
      const rd = n.ready();
      s.append(rd.entries);
      if (rd.hardState !== null) s.setHardState(rd.hardState);
      n.advance();
    }
  };
  persist();
  t.is(n.basicStatus().raftState, 'leader');
  t.deepEqual(logTerms(s), [1, 2, 4], 'the new leader appended its empty entry of term 4');
  const ack = (from: bigint, index: number) =>
    n.step({ type: 'MsgAppResp', to: 1n, from, term: 4, index, reject: false, rejectHint: 0, logTerm: 0 });
  ack(2n, 2);
  ack(3n, 2);
  persist();
  t.is(n.basicStatus().commit, 0, 'entry 2 of term 2 is on S1, S2, S3 — a majority — yet not committed');
  ack(2n, 3);
  persist();
  t.is(n.basicStatus().commit, 0, 'entry 3 of term 4 on two of five is not a majority');
  ack(3n, 3);
  persist();
  t.is(n.basicStatus().commit, 3, 'committing entry 3 of term 4 commits entry 2 with it');
});

test('§5.4.2 figure 8 (d): an earlier-term entry stored on a majority may still be overwritten', (t) => {
  // Entry 2 of term 2 is on S1, S2, S3 but was never committed; S5 holds entry 2 of term 3.
  const storages = new Map([
    [1n, storageWithLog(ids5, [1, 2], 4)],
    [2n, storageWithLog(ids5, [1, 2], 4)],
    [3n, storageWithLog(ids5, [1, 2], 4)],
    [4n, storageWithLog(ids5, [1], 4)],
    [5n, storageWithLog(ids5, [1, 3], 4)],
  ]);
  const nw = plain(ids5, storages);
  nw.isolate(1n);
  nw.campaign(5n);
  t.is(state(nw, 5n), 'leader@5', 'S2, S3, S4 vote for S5: its last term 3 beats their 2 and 1');
  for (const id of [2n, 3n, 4n, 5n]) t.deepEqual(logTerms(nw.peer(id).storage), [1, 3, 5], `node ${id}`);
});

test('§5.4.2 figure 8 (e): once the leader commits an entry of its term, no stale candidate can win', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids5, [1, 2], 3)],
    [2n, storageWithLog(ids5, [1, 2], 3)],
    [3n, storageWithLog(ids5, [1], 3)],
    [4n, storageWithLog(ids5, [1], 3)],
    [5n, storageWithLog(ids5, [1, 3], 3)],
  ]);
  const nw = plain(ids5, storages);
  nw.isolate(5n);
  nw.isolate(4n);
  nw.campaign(1n);
  t.is(state(nw, 1n), 'leader@4');
  t.is(nw.peer(1n).node.basicStatus().commit, 3);
  for (const id of [1n, 2n, 3n]) t.deepEqual(logTerms(nw.peer(id).storage), [1, 2, 4], `node ${id}`);
  nw.recover();
  nw.isolate(1n);
  nw.campaign(5n);
  t.not(nw.peer(5n).node.basicStatus().raftState, 'leader', 'S2 and S3 refuse: their last term 4 beats 3');
  t.deepEqual(logTerms(nw.peer(2n).storage), [1, 2, 4]);
});

test('§5.4.3 leader completeness: every new leader holds all committed entries', (t) => {
  const nw = plain(ids5);
  nw.campaign(1n);
  nw.propose(1n, 'a');
  nw.isolate(4n);
  nw.isolate(5n);
  nw.propose(1n, 'b'); // committed on 1, 2, 3 only
  nw.recover();
  nw.isolate(1n);
  nw.campaign(4n); // 4 lacks 'b': 2 and 3 refuse, 5 alone is not enough
  t.not(nw.peer(4n).node.basicStatus().raftState, 'leader');
  nw.campaign(2n);
  t.is(nw.peer(2n).node.basicStatus().raftState, 'leader');
  nw.propose(2n, 'c');
  for (const id of [2n, 3n, 4n, 5n]) t.deepEqual(nw.peer(id).appliedData(), ['a', 'b', 'c'], `node ${id}`);
});

// ---- §6.4 (dissertation) Linearizable reads with ReadIndex ----

const ctx = (s: string) => new TextEncoder().encode(s);

test('§6.4 ReadIndex on the leader is answered after a heartbeat round confirms its leadership', (t) => {
  const nw = new Network(ids3);
  nw.campaign(1n);
  nw.propose(1n, 'x');
  const p = nw.peer(1n);
  nw.ignore('MsgHeartbeatResp');
  p.node.readIndex(ctx('r1'));
  nw.stabilize();
  t.is(p.readStates.length, 0, 'no quorum has confirmed leadership yet');
  nw.recover();
  p.node.readIndex(ctx('r2'));
  nw.stabilize();
  t.deepEqual(
    p.readStates.map((r) => [new TextDecoder().decode(r.requestCtx), r.index]),
    [
      ['r1', 2],
      ['r2', 2],
    ],
    'the later round confirms the earlier read as well',
  );
});

test('§6.4 a new leader defers reads until it has committed an entry of its own term', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids3, [1, 1], 1)],
    [2n, storageWithLog(ids3, [1, 1], 1)],
    [3n, storageWithLog(ids3, [1, 1], 1)],
  ]);
  const nw = new Network(ids3, { storages });
  // The new leader's empty entry (index 3, term 2) cannot get out: nothing of its term is committed.
  nw.ignore('MsgApp');
  nw.campaign(1n);
  const p = nw.peer(1n);
  t.is(p.node.basicStatus().raftState, 'leader');
  p.node.readIndex(ctx('r'));
  nw.stabilize();
  t.is(p.readStates.length, 0, 'deferred: the commit index may be stale');
  nw.recover();
  nw.tick(1n);
  t.deepEqual(
    p.readStates.map((r) => r.index),
    [3],
    'answered once entry 3 of term 2 committed',
  );
});

test('§6.4 a follower’s read is forwarded and answered with the leader’s commit index', (t) => {
  const nw = new Network(ids3);
  nw.campaign(1n);
  nw.propose(1n, 'x');
  nw.propose(1n, 'y');
  const f = nw.peer(3n);
  f.node.readIndex(ctx('f'));
  nw.stabilize();
  t.deepEqual(
    f.readStates.map((r) => r.index),
    [3],
  );
  t.is(nw.peer(1n).readStates.length, 0, 'the leader answers the follower, not itself');
});

test('§6.4 a leader cut off from its quorum never confirms a read', (t) => {
  const nw = new Network(ids3);
  nw.campaign(1n);
  nw.isolate(1n);
  nw.peer(1n).node.readIndex(ctx('stale'));
  nw.tick(1n, 5);
  t.is(nw.peer(1n).readStates.length, 0);
});

test('§6.4 a single-voter leader answers reads at once', (t) => {
  const nw = new Network([1n]);
  nw.campaign(1n);
  nw.peer(1n).node.readIndex(ctx('solo'));
  nw.stabilize();
  t.deepEqual(
    nw.peer(1n).readStates.map((r) => r.index),
    [1],
  );
});

// ---- §9.6 (dissertation) PreVote and CheckQuorum ----

test('§9.6 PreVote: a partitioned node rejoining does not disrupt the leader', (t) => {
  const nw = new Network(ids3);
  nw.campaign(1n);
  nw.isolate(3n);
  nw.tick(3n, 100);
  t.is(nw.peer(3n).node.basicStatus().term, 1, 'pre-votes failed, so the term did not move');
  nw.recover();
  nw.tick(1n, 2);
  t.is(state(nw, 1n), 'leader@1');
  t.is(nw.peer(3n).node.basicStatus().lead, 1n);
});

test('§9.6 without PreVote a rejoining node with a raised term deposes the leader', (t) => {
  const nw = plain(ids3);
  nw.campaign(1n);
  nw.isolate(3n);
  nw.tick(3n, 100);
  t.true(nw.peer(3n).node.basicStatus().term > 1);
  nw.recover();
  nw.tick(3n, 20); // it campaigns again, at a term above the leader's
  t.true(nw.peer(1n).node.basicStatus().term > 1, 'the leader had to move to the higher term');
});

test('§9.6 CheckQuorum: a leader that has not heard from a quorum within an election timeout steps down', (t) => {
  const nw = new Network(ids3);
  nw.campaign(1n);
  nw.isolate(1n);
  nw.tick(1n, 9);
  t.is(state(nw, 1n), 'leader@1');
  nw.tick(1n, 11);
  t.is(state(nw, 1n), 'follower@1', 'stepped down without raising its term');
});

test('§9.6 leader lease: a follower that heard from its leader recently ignores vote requests', (t) => {
  const nw = new Network(ids3, { peer: { preVote: false, checkQuorum: true } });
  nw.campaign(1n);
  nw.ignore('MsgAppResp'); // keep the deposing answer from reaching node 1
  nw.peer(3n).node.campaign();
  nw.stabilize();
  t.is(nw.peer(2n).node.basicStatus().term, 1, 'node 2 did not even adopt the candidate’s term');
  t.is(nw.peer(2n).node.basicStatus().vote, 1n);
  t.is(state(nw, 1n), 'leader@1');
});
