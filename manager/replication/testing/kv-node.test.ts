/**
 * Real processes: kv-node members (a ReplicatedNode over the KV state machine) on loopback, killed with
 * SIGKILL and started again on their state dirs. Times are measured and logged, never asserted.
 */
import { join } from 'node:path';
import test from 'ava';
import { KvClientError } from './kv-client.js';
import { KvCluster, KvNodeStartError, waitUntil } from './kv-cluster.js';
import { flipByteInMiddleRecord } from './wal-tamper.js';

// Every cluster a test starts; each kills the processes it started (by PID) in after.always.
const clusters = new Set<KvCluster>();
test.after.always(async () => {
  await Promise.all([...clusters].map((c) => c.close()));
});

// The default tick (100 ms, elections after 1-2 s): a shorter one makes spurious elections likely on 2
// busy cores, and these tests ask the leader for membership changes and transfers.
const TICK_MS = 100;
const val = (s: string) => Buffer.from(s.padEnd(256, '.'));

test.serial(
  '3 processes: kill -9 of the leader, writes resume under a new leader; the restarted member catches up through the log',
  async (t) => {
    const c = await KvCluster.start(3, { tickMs: TICK_MS }, clusters);
    const leader = await c.waitForLeader();
    for (let i = 0; i < 20; i++) await c.put(`k${i}`, val(`v${i}`));

    const killedAt = performance.now();
    await c.kill(leader);
    const first = await c.put('after-kill', val('x'));
    t.log(
      `kill -9 of leader ${leader}: a write succeeded again after ${Math.round(performance.now() - killedAt)} ms (via ${first.via})`,
    );
    const next = await c.waitForLeader();
    t.not(next, leader);
    let last = first.revision;
    for (let i = 0; i < 20; i++) last = (await c.put(`down${i}`, val(`d${i}`))).revision;

    await c.startNode(leader);
    const st = await c.waitApplied(leader, last);
    t.is(st.snapshotsInstalled, 0, 'caught up from the log, not a snapshot');
    t.deepEqual((await c.client(leader).get('down19', { local: true }))?.value, val('d19'));
    t.deepEqual((await c.client(leader).get('k0', { local: true }))?.value, val('v0'));
    // Linearizable reads from a follower see the latest write.
    const w = await c.put('k0', val('new'));
    const follower = c.live.find((id) => id !== w.via) as bigint;
    t.deepEqual((await c.client(follower).get('k0'))?.value, val('new'));
  },
);

test.serial('3 processes: a member restarted after compaction catches up through a snapshot', async (t) => {
  const c = await KvCluster.start(3, { tickMs: TICK_MS, snapshotEntries: 50, logTailEntries: 10 }, clusters);
  const leader = await c.waitForLeader();
  await c.put('first', val('1'));
  const lagger = c.live.find((id) => id !== leader) as bigint;
  await c.kill(lagger);
  let last = 0;
  for (let i = 0; i < 200; i++) last = (await c.put(`k${i % 40}`, val(`v${i}`))).revision;
  const lst = await c.status(leader);
  t.true(lst.snapshotsTaken >= 3, `leader took ${lst.snapshotsTaken} snapshots`);
  t.true(lst.firstIndex > 100, `leader's log starts at ${lst.firstIndex}`);

  const restartedAt = performance.now();
  await c.startNode(lagger);
  const st = await c.waitApplied(lagger, last);
  t.log(
    `restarted member ${lagger} caught up to ${last} in ${Math.round(performance.now() - restartedAt)} ms`,
  );
  t.true(st.snapshotsInstalled >= 1, 'installed a snapshot from the leader');
  t.deepEqual((await c.client(lagger).get('k39', { local: true }))?.value, val('v199'));
  t.deepEqual((await c.client(lagger).get('first', { local: true }))?.value, val('1'));
  t.is(st.keys, (await c.status(leader)).keys);
});

test.serial(
  '5 processes: two leaders killed in turn, writes resume with 3 of 5; both catch up after restart',
  async (t) => {
    const c = await KvCluster.start(5, { tickMs: TICK_MS }, clusters);
    const killed: bigint[] = [];
    let last = 0;
    for (let round = 0; round < 2; round++) {
      const leader = await c.waitForLeader();
      for (let i = 0; i < 10; i++) last = (await c.put(`r${round}-${i}`, val(`${round}.${i}`))).revision;
      const at = performance.now();
      await c.kill(leader);
      killed.push(leader);
      last = (await c.put(`after${round}`, val('x'))).revision;
      t.log(
        `kill -9 of leader ${leader}: a write succeeded again after ${Math.round(performance.now() - at)} ms`,
      );
    }
    t.is(c.live.length, 3);
    for (const id of killed) await c.startNode(id);
    for (const id of c.ids) {
      const st = await c.waitApplied(id, last);
      t.is(st.members.length, 5);
      t.deepEqual((await c.client(id).get('after1', { local: true }))?.value, val('x'));
    }
  },
);

test.serial('3 processes: a member joins through the API, takes leadership, and is removed', async (t) => {
  const c = await KvCluster.start(3, { tickMs: TICK_MS }, clusters);
  const leader = await c.waitForLeader();
  for (let i = 0; i < 10; i++) await c.put(`k${i}`, val(`v${i}`));
  const address = await c.reserve(4n);
  await c.startNode(4n, { join: true });
  const conf = await c.client(leader).addMember(4n, address);
  t.deepEqual([...conf.voters].sort(), ['1', '2', '3', '4']);
  const w = await c.put('k0', val('with4'));
  await c.waitApplied(4n, w.revision);
  await c.client(leader).transfer(4n);
  t.is(await c.waitForLeader(), 4n);
  // Once a write went through the new leader, its log is applied and it takes conf changes.
  await c.put('k1', val('on4'));
  const conf2 = await c.client(4n).removeMember(leader);
  t.deepEqual(
    [...conf2.voters].sort(),
    ['1', '2', '3', '4'].filter((id) => id !== String(leader)),
  );
  await c.kill(leader);
  await c.put('after', val('remove'));
  t.deepEqual((await c.status(4n)).removedIds, [String(leader)]);
});

test.serial('a proposal a new leader overwrote is rejected as dropped, and never applied', async (t) => {
  const c = await KvCluster.start(3, { tickMs: TICK_MS, requestTimeoutMs: 60_000 }, clusters);
  const old = await c.waitForLeader();
  await c.put('x', val('before'));
  const followers = c.live.filter((id) => id !== old);
  // The leader alone appends the proposal: it cannot commit.
  for (const id of followers) await c.kill(id);
  const doomed = c.client(old).put('x', val('doomed'));
  doomed.catch(() => {});
  await waitUntil('the proposal to be in the old leader’s log', async () => {
    const st = await c.status(old);
    return st.lastIndex > st.commit;
  });
  // Freeze it; the others come back, elect a leader among themselves and write over its index.
  const oldPid = c.process(old)?.pid as number;
  process.kill(oldPid, 'SIGSTOP');
  try {
    for (const id of followers) await c.startNode(id);
    const next = await c.waitForLeader({ exclude: [old] });
    await c.client(next).put('y', val('new leader'));
  } finally {
    process.kill(oldPid, 'SIGCONT');
  }
  const err = await t.throwsAsync(doomed, { instanceOf: KvClientError });
  t.is(err?.code, 'ERR_REPLICATION_PROPOSAL_DROPPED');
  t.is(err?.body.reason, 'superseded');
  const next = await c.waitForLeader();
  t.deepEqual((await c.client(next).get('x'))?.value, val('before'));
});

test.serial(
  'a corrupted WAL record is reported at start with its file and offset, not skipped',
  async (t) => {
    const c = await KvCluster.start(3, { tickMs: TICK_MS }, clusters);
    const leader = await c.waitForLeader();
    let last = 0;
    for (let i = 0; i < 30; i++) last = (await c.put(`k${i}`, val(`v${i}`))).revision;
    const victim = c.live.find((id) => id !== leader) as bigint;
    await c.waitApplied(victim, last);
    await c.kill(victim, 'SIGTERM');
    const damage = await flipByteInMiddleRecord(join(c.dir(victim), 'wal'));
    t.log(
      `flipped a byte in the record at offset ${damage.recordOffset} of ${damage.file} (${damage.entryRecords} entries)`,
    );
    const err = await t.throwsAsync(c.startNode(victim), { instanceOf: KvNodeStartError });
    t.is(err?.error?.code, 'ERR_WAL_CORRUPT');
    t.is(err?.error?.['wal.file'], damage.file);
    t.is(err?.error?.['wal.offset'], damage.recordOffset);
    t.regex(
      String(err?.error?.message),
      new RegExp(`record at offset ${damage.recordOffset} of ${damage.file}`),
    );
    // The other two go on.
    await c.put('still', val('up'));
  },
);
