// Step-level tests of leadership transfer, snapshots, membership changes and flow control, on the
// synchronous in-process network of testing/network.ts. Section numbers refer to Ongaro's dissertation.
import test from 'ava';
import { decodeConfChange, encodeConfChange } from './conf-change.js';
import { ProposalDroppedError } from './errors.js';
import { MemoryStorage } from './memory-storage.js';
import type { MsgApp } from './message.js';
import { RawNode } from './raw-node.js';
import { logTerms, Network, storageWithLog, type TestPeer } from './testing/network.js';
import { SplitMix64 } from './testing/split-mix64.js';
import type { ConfChange, Entry } from './types.js';

const ids3 = [1n, 2n, 3n];
const enc = new TextEncoder();

function elected(ids = ids3, peer = {}, bootstrap = false): Network {
  const nw = new Network(ids, { peer, bootstrap });
  nw.campaign(1n);
  return nw;
}

function st(nw: Network, id: bigint) {
  return nw.peer(id).node.basicStatus();
}

function progressOf(nw: Network, leader: bigint, id: bigint) {
  const p = nw.peer(leader).node.status().progress?.get(id);
  if (p === undefined) throw new Error(`no progress for ${id}`);
  return p;
}

function changeConf(nw: Network, leader: bigint, cc: ConfChange): void {
  nw.peer(leader).node.proposeConfChange(cc);
  nw.stabilize();
}

/** Snapshots `p`'s state machine at its applied index and compacts its log there. */
function compact(p: TestPeer): number {
  const applied = p.node.basicStatus().applied;
  p.storage.createSnapshot(applied, p.confState, enc.encode(`snapshot@${applied}`));
  p.storage.compact(applied);
  return applied;
}

// ---- leadership transfer (§3.10) ----

test('§3.10 leadership transfer to an up-to-date follower makes it leader at the next term', (t) => {
  const nw = elected();
  nw.propose(1n, 'x');
  nw.peer(1n).node.transferLeader(3n);
  nw.stabilize();
  t.deepEqual([st(nw, 3n).raftState, st(nw, 3n).term], ['leader', 2]);
  t.deepEqual([st(nw, 1n).raftState, st(nw, 1n).lead], ['follower', 3n]);
  nw.propose(3n, 'y');
  t.deepEqual(nw.peer(1n).appliedData(), ['x', 'y']);
});

test('§3.10 leadership transfer to a lagging follower first brings its log up to date', (t) => {
  const nw = elected();
  nw.isolate(3n);
  for (const x of ['a', 'b', 'c']) nw.propose(1n, x);
  nw.recover();
  nw.ignore('MsgHeartbeat'); // only the transfer itself may catch node 3 up
  nw.peer(1n).node.transferLeader(3n);
  nw.stabilize();
  t.is(st(nw, 3n).raftState, 'leader');
  t.deepEqual(nw.peer(3n).appliedData(), ['a', 'b', 'c']);
});

test('§3.10 the leader drops proposals while a transfer is in progress', (t) => {
  const nw = elected();
  nw.isolate(3n);
  nw.peer(1n).node.transferLeader(3n);
  nw.stabilize();
  t.is(st(nw, 1n).leadTransferee, 3n);
  const err = t.throws(() => nw.peer(1n).node.propose(enc.encode('x')), { instanceOf: ProposalDroppedError });
  t.is(err?.reason, 'transferring-leadership');
});

test('§3.10 a transfer that does not finish within an election timeout is aborted', (t) => {
  const nw = elected();
  nw.isolate(3n);
  nw.peer(1n).node.transferLeader(3n);
  nw.stabilize();
  nw.recover();
  nw.isolate(3n);
  nw.tick(1n, 10);
  t.is(st(nw, 1n).leadTransferee, 0n);
  t.is(st(nw, 1n).raftState, 'leader');
  t.notThrows(() => nw.propose(1n, 'accepted again'));
});

test('§3.10 a transfer to the leader itself or to a learner is ignored; a follower forwards the request', (t) => {
  const confState = { voters: ids3, learners: [4n] };
  const storages = new Map([1n, 2n, 3n, 4n].map((id) => [id, new MemoryStorage({ confState })] as const));
  const nw = new Network([1n, 2n, 3n, 4n], { storages });
  nw.campaign(1n);
  nw.peer(1n).node.transferLeader(1n);
  nw.peer(1n).node.transferLeader(4n);
  nw.stabilize();
  t.is(st(nw, 1n).leadTransferee, 0n);
  t.is(st(nw, 1n).raftState, 'leader');
  nw.peer(2n).node.transferLeader(2n);
  nw.stabilize();
  t.is(st(nw, 2n).raftState, 'leader', 'node 2 asked through itself, the leader obliged');
});

// ---- snapshots and log compaction (§5 of the dissertation) ----

test('§5 a follower behind the leader’s first index is sent a snapshot and installs it', (t) => {
  const nw = elected();
  nw.isolate(3n);
  for (const x of ['a', 'b', 'c', 'd']) nw.propose(1n, x);
  const snapIndex = compact(nw.peer(1n));
  t.is(nw.peer(1n).storage.firstIndex(), snapIndex + 1);
  nw.recover();
  nw.tick(1n);
  const f = nw.peer(3n);
  t.is(f.storage.snapshot().metadata.index, snapIndex);
  t.is(new TextDecoder().decode(f.storage.snapshot().data), `snapshot@${snapIndex}`);
  t.is(st(nw, 3n).commit, snapIndex);
  nw.propose(1n, 'e');
  t.deepEqual(f.appliedData(), ['e'], 'entries after the snapshot come through the log again');
  t.is(progressOf(nw, 1n, 3n).state, 'replicate');
});

test('§5 a failed snapshot sends the leader back to probing the follower', (t) => {
  const nw = elected();
  nw.isolate(3n);
  nw.propose(1n, 'a');
  compact(nw.peer(1n));
  nw.recover();
  nw.ignore('MsgSnap');
  nw.tick(1n);
  t.is(progressOf(nw, 1n, 3n).state, 'snapshot');
  nw.peer(1n).node.reportSnapshot(3n, 'failure');
  const p = progressOf(nw, 1n, 3n);
  t.deepEqual([p.state, p.pendingSnapshot, p.paused], ['probe', 0, true]);
  nw.recover();
  nw.tick(1n);
  t.is(
    progressOf(nw, 1n, 3n).state,
    'replicate',
    'the next heartbeat retried, and the snapshot went through',
  );
});

test('§5 a follower whose log already holds the snapshot’s last entry only moves its commit index', (t) => {
  const s = storageWithLog(ids3, [1, 1, 1, 1, 1], 1);
  const n = new RawNode({ id: 2n, storage: s, rand: new SplitMix64(2) });
  const snapshot = {
    metadata: { index: 3, term: 1, confState: { voters: ids3, learners: [] } },
    data: enc.encode('s'),
  };
  n.step({ type: 'MsgSnap', to: 2n, from: 1n, term: 1, snapshot });
  const rd = n.ready();
  t.is(rd.snapshot, null, 'nothing to install');
  t.is(rd.hardState?.commit, 3);
  t.like(rd.messages[0], { type: 'MsgAppResp', index: 3, reject: false });
  t.is(n.basicStatus().lastIndex, 5, 'the log is kept');
});

test('§5 a snapshot taken before a member joined is not sent to it; a fresh one is', (t) => {
  const nw = elected();
  nw.propose(1n, 'a');
  compact(nw.peer(1n));
  nw.addPeer(4n);
  changeConf(nw, 1n, { type: 'addLearnerNode', nodeId: 4n });
  nw.tick(1n, 3);
  t.is(nw.peer(4n).storage.snapshot().metadata.index, 0, 'the stored snapshot does not include node 4');
  t.false(nw.delivered.some((m) => m.type === 'MsgSnap'));
  compact(nw.peer(1n));
  nw.tick(1n, 2);
  t.is(nw.peer(4n).storage.snapshot().metadata.confState.learners[0], 4n);
  nw.propose(1n, 'b');
  t.deepEqual(nw.peer(4n).appliedData(), ['b']);
});

// ---- membership changes, one server at a time (§4) ----

test('§4.1 only one membership change may be pending at a time', (t) => {
  const nw = elected(ids3, {}, true);
  nw.addPeer(4n);
  nw.addPeer(5n);
  const leader = nw.peer(1n).node;
  leader.proposeConfChange({ type: 'addLearnerNode', nodeId: 4n });
  const err = t.throws(() => leader.proposeConfChange({ type: 'addLearnerNode', nodeId: 5n }), {
    instanceOf: ProposalDroppedError,
  });
  t.is(err?.reason, 'conf-change-pending');
  nw.stabilize();
  t.notThrows(() => changeConf(nw, 1n, { type: 'addLearnerNode', nodeId: 5n }));
  t.deepEqual(nw.peer(1n).confState, { voters: ids3, learners: [4n, 5n] });
});

test('§4.1 a new leader accepts no membership change until it has applied its whole log', (t) => {
  const storages = new Map(ids3.map((id) => [id, storageWithLog(ids3, [1, 1], 1)] as const));
  const nw = new Network(ids3, { storages });
  nw.ignore('MsgAppResp');
  nw.campaign(1n);
  const err = t.throws(() => nw.peer(1n).node.proposeConfChange({ type: 'removeNode', nodeId: 3n }), {
    instanceOf: ProposalDroppedError,
  });
  t.is(err?.reason, 'conf-change-pending');
  nw.recover();
  nw.tick(1n);
  t.notThrows(() => changeConf(nw, 1n, { type: 'removeNode', nodeId: 3n }));
});

test('§4.1 invalid membership changes are refused when proposed', (t) => {
  const nw = elected();
  const leader = nw.peer(1n).node;
  const refuse = (cc: ConfChange) =>
    t.throws(() => leader.proposeConfChange(cc), { instanceOf: ProposalDroppedError })?.message;
  t.regex(refuse({ type: 'addNode', nodeId: 2n }) ?? '', /already a voter/);
  t.regex(refuse({ type: 'removeNode', nodeId: 9n }) ?? '', /not a member/);
  t.regex(refuse({ type: 'addLearnerNode', nodeId: 3n }) ?? '', /demoting a voter is not supported/);
  t.regex(refuse({ type: 'addNode', nodeId: 0n }) ?? '', /must not be 0/);
  const solo = new Network([1n]);
  solo.campaign(1n);
  t.throws(() => solo.peer(1n).node.proposeConfChange({ type: 'removeNode', nodeId: 1n }), {
    message: /last voter/,
  });
});

test('§4.2.1 a learner receives the log but neither counts for commit nor campaigns', (t) => {
  const confState = { voters: ids3, learners: [4n] };
  const storages = new Map([1n, 2n, 3n, 4n].map((id) => [id, new MemoryStorage({ confState })] as const));
  const nw = new Network([1n, 2n, 3n, 4n], { storages });
  nw.campaign(1n);
  nw.propose(1n, 'x');
  t.deepEqual(nw.peer(4n).appliedData(), ['x']);
  nw.isolate(2n);
  nw.isolate(3n);
  const commit = st(nw, 1n).commit;
  nw.propose(1n, 'y');
  t.is(st(nw, 1n).commit, commit, 'the leader and a learner are not a quorum of three voters');
  nw.recover();
  nw.isolate(1n);
  nw.tick(4n, 50);
  t.deepEqual([st(nw, 4n).raftState, st(nw, 4n).term, st(nw, 4n).isLearner], ['follower', 1, true]);
});

test('§4.2.1 a learner promoted by a later change counts for the quorum', (t) => {
  const nw = elected(ids3, {}, true);
  nw.addPeer(4n);
  changeConf(nw, 1n, { type: 'addLearnerNode', nodeId: 4n });
  nw.propose(1n, 'caught up');
  t.deepEqual(nw.peer(4n).appliedData(), ['caught up']);
  changeConf(nw, 1n, { type: 'addNode', nodeId: 4n });
  t.deepEqual(nw.peer(4n).confState, { voters: [1n, 2n, 3n, 4n], learners: [] });
  nw.isolate(2n);
  nw.isolate(3n);
  const commit = st(nw, 1n).commit;
  nw.propose(1n, 'y');
  t.is(st(nw, 1n).commit, commit, 'two of four voters are not a quorum');
  nw.recover();
  nw.isolate(3n);
  nw.tick(1n);
  t.true(st(nw, 1n).commit > commit, 'three of four are');
});

test('§4.2.2 removing the leader steps it down and hands leadership to an up-to-date voter', (t) => {
  const nw = elected(ids3, {}, true);
  nw.propose(1n, 'x');
  changeConf(nw, 1n, { type: 'removeNode', nodeId: 1n });
  t.is(st(nw, 1n).raftState, 'follower');
  const leader = [2n, 3n].find((id) => st(nw, id).raftState === 'leader');
  t.not(leader, undefined, 'a new leader took over without waiting for an election timeout');
  t.deepEqual(nw.peer(leader ?? 2n).confState, { voters: [2n, 3n], learners: [] });
  nw.propose(leader ?? 2n, 'y');
  t.deepEqual(nw.peer(leader === 2n ? 3n : 2n).appliedData(), ['x', 'y']);
  nw.tick(1n, 50);
  t.is(st(nw, 1n).raftState, 'follower', 'a removed node never campaigns');
});

test('§4.1 removing members shrinks the quorum', (t) => {
  const nw = elected([1n, 2n, 3n, 4n, 5n], {}, true);
  changeConf(nw, 1n, { type: 'removeNode', nodeId: 5n });
  changeConf(nw, 1n, { type: 'removeNode', nodeId: 4n });
  t.deepEqual(nw.peer(2n).confState, { voters: ids3, learners: [] });
  nw.isolate(3n);
  nw.isolate(4n);
  nw.isolate(5n);
  nw.propose(1n, 'two of three');
  t.deepEqual(nw.peer(2n).appliedData(), ['two of three']);
});

test('a node with committed but unapplied conf changes does not campaign', (t) => {
  const s = new MemoryStorage({ confState: { voters: [1n], learners: [] } });
  const cc: Entry = {
    term: 1,
    index: 1,
    type: 'confChange',
    data: encodeConfChange({ type: 'addNode', nodeId: 2n }),
  };
  s.append([cc]);
  s.setHardState({ term: 1, vote: 0n, commit: 1 });
  const n = new RawNode({ id: 1n, storage: s, rand: new SplitMix64(1) });
  n.campaign();
  t.is(n.basicStatus().raftState, 'follower');
  const rd = n.ready();
  for (const e of rd.committedEntries) n.applyConfChange(decodeConfChange(e.data));
  n.advance();
  n.campaign();
  t.is(n.basicStatus().raftState, 'preCandidate', 'with node 2 applied it campaigns (and needs its vote)');
});

// ---- replication flow control ----

test('the inflight window caps unacknowledged MsgApps to a follower; a heartbeat response unsticks it', (t) => {
  const nw = elected(ids3, { maxInflightMsgs: 2, maxSizePerMsg: 0 });
  nw.ignore('MsgAppResp');
  const before = nw.delivered.length;
  for (const x of ['a', 'b', 'c', 'd', 'e']) nw.propose(1n, x);
  const sent = nw.delivered
    .slice(before)
    .filter((m): m is MsgApp => m.type === 'MsgApp' && m.to === 2n && m.entries.length > 0);
  t.is(sent.length, 2, 'two messages in flight, then the follower is paused');
  nw.recover();
  nw.tick(1n, 3);
  t.deepEqual(nw.peer(2n).appliedData(), ['a', 'b', 'c', 'd', 'e']);
});

test('`maxSizePerMsg` splits a catch-up into one entry per message at minimum size', (t) => {
  const nw = elected(ids3, { maxSizePerMsg: 0 });
  nw.isolate(3n);
  for (const x of ['a', 'b', 'c']) nw.propose(1n, x);
  nw.recover();
  const before = nw.delivered.length;
  nw.tick(1n);
  const apps = nw.delivered.slice(before).filter((m): m is MsgApp => m.type === 'MsgApp' && m.to === 3n);
  t.true(apps.length >= 3);
  t.true(apps.every((m) => m.entries.length <= 1));
  t.deepEqual(nw.peer(3n).appliedData(), ['a', 'b', 'c']);
});

test('MsgUnreachable sends a replicating follower back to probing', (t) => {
  const nw = elected();
  t.is(progressOf(nw, 1n, 2n).state, 'replicate');
  nw.peer(1n).node.reportUnreachable(2n);
  t.is(progressOf(nw, 1n, 2n).state, 'probe');
});

test('proposals past `maxUncommittedEntriesSize` are dropped until entries commit', (t) => {
  const nw = elected(ids3, { maxUncommittedEntriesSize: 10 });
  nw.isolate(2n);
  nw.isolate(3n);
  const leader = nw.peer(1n).node;
  leader.propose(new Uint8Array(8));
  const err = t.throws(() => leader.propose(new Uint8Array(8)), { instanceOf: ProposalDroppedError });
  t.is(err?.reason, 'uncommitted-size-limit');
  nw.recover();
  nw.tick(1n);
  t.notThrows(() => leader.propose(new Uint8Array(8)));
});

test('a rejection hint lets the leader skip a follower’s divergent tail in one round trip', (t) => {
  const storages = new Map([
    [1n, storageWithLog(ids3, [1, 1, 1, 4, 4, 4], 5)],
    [2n, storageWithLog(ids3, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2], 5)],
    [3n, storageWithLog(ids3, [1, 1, 1, 4, 4, 4], 5)],
  ]);
  const nw = new Network(ids3, { storages });
  nw.campaign(1n);
  const rejections = nw.delivered.filter((m) => m.type === 'MsgAppResp' && m.from === 2n && m.reject);
  t.is(rejections.length, 1);
  t.deepEqual(logTerms(nw.peer(2n).storage), [1, 1, 1, 4, 4, 4, 6]);
});

test('duplicated and reordered messages do not change the outcome', (t) => {
  const nw = elected();
  const seen: MsgApp[] = [];
  nw.msgHook = (m) => {
    if (m.type === 'MsgApp') seen.push(m);
    return true;
  };
  for (const x of ['a', 'b', 'c']) nw.propose(1n, x);
  nw.msgHook = null;
  nw.send(seen.reverse()); // every append again, newest first
  nw.tick(1n, 2);
  for (const id of ids3) t.deepEqual(nw.peer(id).appliedData(), ['a', 'b', 'c'], `node ${id}`);
});

test('a replicating leader ignores a rejection sent before the follower matched (a reordered message)', (t) => {
  const nw = elected();
  for (const x of ['a', 'b', 'c']) nw.propose(1n, x);
  const p = progressOf(nw, 1n, 2n);
  t.deepEqual([p.state, p.match], ['replicate', 4]);
  // A rejection from long ago: the follower then had only entry 1.
  nw.peer(1n).node.step({
    type: 'MsgAppResp',
    to: 1n,
    from: 2n,
    term: 1,
    index: 3,
    reject: true,
    rejectHint: 1,
    logTerm: 1,
  });
  const after = progressOf(nw, 1n, 2n);
  t.deepEqual([after.state, after.match, after.next], ['replicate', 4, 5]);
});
