import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { IllegalStateError } from '../../../common/index.js';
import type { Message, MsgSnap } from '../../raft/index.js';
import { encodeBatch, encodeSnapshotChunk } from './codec.js';
import { ListenError, PeerExistsError, UnknownPeerError } from './errors.js';
import { RaftTransport } from './raft-transport.js';
import { raftService } from './service.js';
import { append, freePort, heartbeat, sendUntil, silentServer, TestMember } from './testing/harness.js';

// Member ids near the top of the 64-bit range: they must survive the wire exactly.
const A = (1n << 64n) - 1n;
const B = (1n << 64n) - 2n;
const C = (1n << 63n) + 5n;
const D = 4n;

// Every member any test starts, stopped in after.always even when a test fails half-way.
const members = new Set<TestMember>();
const closers = new Set<() => Promise<void>>();

test.after.always(async () => {
  await Promise.all([...members].map((m) => m.stop()));
  await Promise.all([...closers].map((c) => c()));
});

async function cluster(ids: bigint[], options = {}): Promise<TestMember[]> {
  const ms = await Promise.all(ids.map((id) => TestMember.start(id, options, members)));
  for (const m of ms) for (const p of ms) if (m !== p) m.transport.addPeer(p.id, p.address);
  return ms;
}

function snapshotOf(from: bigint, to: bigint, data: Uint8Array): MsgSnap {
  return {
    type: 'MsgSnap',
    to,
    from,
    term: 9,
    snapshot: { metadata: { index: 1000, term: 8, confState: { voters: [A, B, C], learners: [D] } }, data },
  };
}

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function commits(ms: Message[]): number[] {
  return ms.map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

test('two transports exchange messages in order, both ways', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const n = 2000;
  for (let i = 0; i < n; i += 10) {
    a.transport.send(range(10).map((k) => heartbeat(A, B, i + k)));
    b.transport.send(range(10).map((k) => heartbeat(B, A, i + k)));
  }
  await b.waitFor('a → b', () => b.received.length === n);
  await a.waitFor('b → a', () => a.received.length === n);
  t.deepEqual(commits(b.received), range(n));
  t.deepEqual(commits(a.received), range(n));
  t.true(b.received.every((m) => m.from === A && m.to === B));
  t.deepEqual(a.unreachable, []);
  t.deepEqual(b.unreachable, []);
  t.is(b.transport.inboundStats().delivered, n);
});

test('entries and contexts arrive intact: large, empty and binary data', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const big = randomBytes(3 * 1024 * 1024, 3);
  const sent: Message[] = [
    append(A, B, 1, big),
    append(A, B, 2, new Uint8Array(0)),
    heartbeat(A, B, 5, Uint8Array.from([0, 0xff])),
    heartbeat(A, B, 6, new Uint8Array(0)),
    {
      type: 'MsgReadIndexResp',
      to: B,
      from: A,
      term: 3,
      index: Number.MAX_SAFE_INTEGER,
      context: big.subarray(7, 99),
    },
  ];
  a.transport.send(sent);
  await b.waitFor('5 messages', () => b.received.length === 5);
  const [m1, m2, m3, m4, m5] = b.received as [Message, Message, Message, Message, Message];
  t.true(m1.type === 'MsgApp' && Buffer.from(m1.entries[0]?.data ?? []).equals(big));
  t.true(m2.type === 'MsgApp' && m2.entries[0]?.data.byteLength === 0);
  t.true(m3.type === 'MsgHeartbeat' && Buffer.from(m3.context ?? []).equals(Buffer.from([0, 0xff])));
  t.true(m4.type === 'MsgHeartbeat' && m4.context !== null && m4.context.byteLength === 0);
  t.true(m5.type === 'MsgReadIndexResp' && m5.index === Number.MAX_SAFE_INTEGER);
});

test('three transports: every pair streams in order', async (t) => {
  const ms = await cluster([A, B, C]);
  const n = 500;
  for (let i = 0; i < n; i++)
    for (const m of ms) m.transport.send(ms.filter((p) => p !== m).map((p) => heartbeat(m.id, p.id, i)));
  for (const m of ms) await m.waitFor(`${m.id} receives`, () => m.received.length === 2 * n);
  for (const m of ms)
    for (const p of ms) if (p !== m) t.deepEqual(commits(m.from(p.id)), range(n), `${p.id} → ${m.id}`);
});

test('messages written while the stream is busy are coalesced into few frames', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  // Wait for the stream to be up, so that the burst below queues behind one write.
  const warmUp = 1_000_000;
  await sendUntil(
    a,
    () => heartbeat(A, B, warmUp),
    () => b.received.length > 0,
  );
  const before = a.transport.peerStats(B);
  const n = 1000;
  for (let i = 0; i < n; i++) a.transport.send([heartbeat(A, B, i)]);
  await b.waitFor('burst', () => commits(b.received).filter((c) => c < warmUp).length === n);
  const after = a.transport.peerStats(B);
  t.is((after?.sent ?? 0) - (before?.sent ?? 0), n);
  t.true((after?.frames ?? 0) - (before?.frames ?? 0) <= 5, `frames: ${after?.frames}`);
});

test('a peer that never started does not delay the others and is reported unreachable', async (t) => {
  const [a, b] = (await cluster([A, B], { connectTimeoutMs: 500 })) as [TestMember, TestMember];
  a.transport.addPeer(C, `127.0.0.1:${await freePort()}`);
  const n = 300;
  for (let i = 0; i < n; i++) a.transport.send([heartbeat(A, C, i), heartbeat(A, B, i)]);
  await b.waitFor('b gets everything', () => b.received.length === n);
  t.deepEqual(commits(b.received), range(n));
  await a.waitFor('c unreachable', () => a.unreachable.includes(C));
  t.false(a.unreachable.includes(B));
  // Later messages to C are reported too (dropped at once while in backoff, or lost with the next
  // failed attempt), and none is ever written.
  const reports = a.unreachable.length;
  await sendUntil(
    a,
    () => heartbeat(A, C, 1),
    () => a.unreachable.length > reports,
  );
  t.is(a.transport.peerStats(C)?.sent, 0);
});

test('a hung peer (accepts TCP, never answers) fills its bounded queue, then messages drop', async (t) => {
  const hung = await silentServer();
  closers.add(hung.close);
  const [a, b] = (await cluster([A, B], { maxQueuedMessages: 10, connectTimeoutMs: 60_000 })) as [
    TestMember,
    TestMember,
  ];
  a.transport.addPeer(C, hung.address);
  // The limit is per peer: B, connecting too, queues its 5 messages; C drops what is past 10.
  a.transport.send(range(5).map((i) => heartbeat(A, B, i)));
  for (let i = 0; i < 25; i++) a.transport.send([heartbeat(A, C, i)]);
  await b.waitFor('b gets everything', () => b.received.length === 5);
  await a.waitFor('c unreachable', () => a.unreachable.includes(C));
  const stats = a.transport.peerStats(C);
  t.is(stats?.state, 'connecting');
  t.is(stats?.queued, 10);
  t.is(stats?.dropped, 15);
  t.false(a.unreachable.includes(B));
  await hung.close();
  closers.delete(hung.close);
});

test('a peer stopped mid-stream is reported unreachable; the others carry on', async (t) => {
  const [a, b, c] = (await cluster([A, B, C])) as [TestMember, TestMember, TestMember];
  for (let i = 0; i < 50; i++) a.transport.send([heartbeat(A, B, i), heartbeat(A, C, i)]);
  await c.waitFor('c gets 50', () => c.received.length === 50);
  await b.waitFor('b gets 50', () => b.received.length === 50);
  await c.stop();
  await a.waitFor('c unreachable', () => a.unreachable.includes(C));
  for (let i = 50; i < 100; i++) a.transport.send([heartbeat(A, C, i), heartbeat(A, B, i)]);
  await b.waitFor('b gets 100', () => b.received.length === 100);
  t.deepEqual(commits(b.received), range(100));
  t.false(a.unreachable.includes(B));
  t.true(a.logged('warn', 'lost raft peer stream').some((l) => l['raft.peer'] === C.toString(16)));
});

test('the stream reconnects after the peer restarts on the same port', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  a.transport.send([heartbeat(A, B, 1)]);
  await b.waitFor('first message', () => b.received.length === 1);
  const port = b.address.split(':')[1];
  await b.stop();
  await a.waitFor('b unreachable', () => a.unreachable.includes(B));
  const b2 = await TestMember.start(B, { listenAddress: `127.0.0.1:${port}` }, members);
  let i = 100;
  await sendUntil(
    a,
    () => heartbeat(A, B, i++),
    () => b2.received.length > 0,
  );
  // Once back, the stream is ordered again.
  const from = b2.received.length;
  a.transport.send(range(20).map((k) => heartbeat(A, B, 10_000 + k)));
  await b2.waitFor('20 more', () => b2.received.length === from + 20);
  t.deepEqual(
    commits(b2.received.slice(from)),
    range(20).map((k) => 10_000 + k),
  );
  t.true((a.transport.peerStats(B)?.connects ?? 0) >= 2);
});

test('on a shared server: raft is one service among others, and stop() leaves the server serving', async (t) => {
  const identity = (b: Buffer): Buffer => b;
  const echo: grpc.ServiceDefinition = {
    Say: {
      path: '/test.Echo/Say',
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  const server = new grpc.Server();
  server.addService(echo, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
      cb(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  closers.add(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  const address = `127.0.0.1:${port}`;
  const b = await TestMember.start(B, { server, listenAddress: address }, members);
  t.is(b.address, address);
  const a = await TestMember.start(A, {}, members);
  a.transport.addPeer(B, address);
  a.transport.send(range(10).map((k) => heartbeat(A, B, k)));
  await b.waitFor('10 messages', () => b.received.length === 10);
  t.deepEqual(commits(b.received), range(10));
  await b.stop();
  // The peer's stream ends and new ones are refused: unreachable.
  await a.waitFor('b unreachable', () => a.unreachable.includes(B));
  const Client = grpc.makeGenericClientConstructor(echo, 'Echo');
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Say(request: Buffer, callback: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
  };
  const answer = await new Promise<Buffer>((resolve, reject) =>
    client.Say(Buffer.from('still here'), (err, res) => (err ? reject(err) : resolve(res as Buffer))),
  );
  client.close();
  t.is(answer.toString(), 'still here');
});

test('a snapshot of several MiB arrives whole, in chunks, and is reported finished', async (t) => {
  const [a, b] = (await cluster([A, B], { snapshotChunkBytes: 256 * 1024 })) as [TestMember, TestMember];
  const data = randomBytes(5 * 1024 * 1024 + 123, 11);
  a.transport.send([heartbeat(A, B, 1), snapshotOf(A, B, data), heartbeat(A, B, 2)]);
  await a.waitFor('snapshot status', () => a.snapshots.length === 1);
  t.deepEqual(a.snapshots, [{ peer: B, status: 'finish' }]);
  const snap = b.received.find((m) => m.type === 'MsgSnap');
  t.truthy(snap);
  if (snap?.type !== 'MsgSnap') return;
  t.true(Buffer.from(snap.snapshot.data).equals(data));
  t.deepEqual(snap.snapshot.metadata, {
    index: 1000,
    term: 8,
    confState: { voters: [A, B, C], learners: [D] },
  });
  t.is(snap.term, 9);
  // The heartbeats went on the message stream, independently of the snapshot.
  await b.waitFor('heartbeats', () => commits(b.received).filter((c) => c > 0).length === 2);
  t.deepEqual(a.unreachable, []);
});

test('an empty snapshot is delivered too', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  a.transport.send([snapshotOf(A, B, new Uint8Array(0))]);
  await a.waitFor('snapshot status', () => a.snapshots.length === 1);
  t.deepEqual(a.snapshots, [{ peer: B, status: 'finish' }]);
  t.is(b.received[0]?.type, 'MsgSnap');
});

test('failed snapshots are reported as failure: dead peer, refused by raft, over the size limit', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const c = await TestMember.start(C, { maxSnapshotBytes: 1024 }, members);
  a.transport.addPeer(C, c.address);
  a.transport.addPeer(D, `127.0.0.1:${await freePort()}`);
  b.onMessage = (m) => {
    if (m.type === 'MsgSnap') throw new Error('snapshot out of date');
  };
  const data = randomBytes(64 * 1024, 5);
  a.transport.send([snapshotOf(A, B, data), snapshotOf(A, C, data), snapshotOf(A, D, data)]);
  await a.waitFor('three outcomes', () => a.snapshots.length === 3);
  t.deepEqual(
    [...a.snapshots].sort((x, y) => (x.peer < y.peer ? -1 : 1)),
    [
      { peer: D, status: 'failure' },
      { peer: C, status: 'failure' },
      { peer: B, status: 'failure' },
    ],
  );
  for (const id of [B, C, D]) t.true(a.unreachable.includes(id), `unreachable ${id}`);
  t.is(b.received.length, 0);
  t.true(
    c.logged('warn', 'dropped snapshot').some((l) => String(l.reason).includes('over the limit of 1024')),
  );
  // A later snapshot to B, once raft accepts it, succeeds.
  b.onMessage = null;
  a.transport.send([snapshotOf(A, B, data)]);
  await a.waitFor('fourth outcome', () => a.snapshots.length === 4);
  t.deepEqual(a.snapshots[3], { peer: B, status: 'finish' });
});

test('a snapshot not acknowledged in time fails', async (t) => {
  const hung = await silentServer();
  closers.add(hung.close);
  const a = await TestMember.start(A, { snapshotTimeoutMs: 300 }, members);
  a.transport.addPeer(B, hung.address);
  a.transport.send([snapshotOf(A, B, randomBytes(1000, 1))]);
  await a.waitFor('snapshot failure', () => a.snapshots.length === 1);
  t.deepEqual(a.snapshots, [{ peer: B, status: 'failure' }]);
  t.true(a.logged('warn', 'failed to send snapshot').length === 1);
  await hung.close();
  closers.delete(hung.close);
});

/** TCP and timer handles of this process, by kind. */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

test.serial(
  '`stop()` with messages queued and a snapshot in flight resolves and leaves no handles',
  async (t) => {
    const baseline = handles();
    const hung = await silentServer();
    const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
    a.transport.addPeer(C, hung.address);
    for (let i = 0; i < 100; i++) a.transport.send([heartbeat(A, C, i), heartbeat(A, B, i)]);
    a.transport.send([
      snapshotOf(A, B, randomBytes(4 * 1024 * 1024, 2)),
      snapshotOf(A, C, randomBytes(10, 2)),
    ]);
    t.true((a.transport.peerStats(C)?.queued ?? 0) > 0);
    const stopping = a.stop();
    t.is(a.stop(), stopping, 'stop() is idempotent');
    await stopping;
    await b.stop();
    await hung.close();
    t.is(a.transport.state, 'stopped');
    // Nothing more reaches the driver after stop.
    const reports = a.unreachable.length + a.snapshots.length;
    a.transport.send([heartbeat(A, B, 1)]);
    a.transport.addPeer(D, '127.0.0.1:1');
    t.false(a.transport.hasPeer(D));
    // Sockets close asynchronously after the sessions are destroyed: wait for them, with a bound.
    const deadline = Date.now() + 5000;
    const tcp = (h: Map<string, number>) =>
      (h.get('TCPSocketWrap') ?? 0) + (h.get('TCPServerWrap') ?? 0) + (h.get('TCPConnectWrap') ?? 0);
    while (tcp(handles()) > tcp(baseline) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    t.is(tcp(handles()), tcp(baseline), JSON.stringify([...handles()]));
    t.is(a.unreachable.length + a.snapshots.length, reports);
  },
);

test('`stop()` before `start()` and `start()` after `stop()`', async (t) => {
  const never = new RaftTransport({
    id: A,
    listenAddress: '127.0.0.1:0',
    handler: { onMessage() {}, reportUnreachable() {}, reportSnapshot() {} },
  });
  never.addPeer(B, '127.0.0.1:1');
  await never.stop();
  t.is(never.state, 'stopped');
  await t.throwsAsync(never.start(), { instanceOf: IllegalStateError });
  t.throws(() => never.address, { instanceOf: IllegalStateError });
});

test('`start()` on a port in use fails with `ListenError`', async (t) => {
  const a = await TestMember.start(A, {}, members);
  const clash = new RaftTransport({
    id: B,
    listenAddress: a.address,
    handler: { onMessage() {}, reportUnreachable() {}, reportSnapshot() {} },
  });
  const err = await t.throwsAsync(clash.start(), { instanceOf: ListenError });
  t.is(err?.code, 'ERR_TRANSPORT_LISTEN');
  t.is(err?.message, `Cannot listen for raft peers on ${a.address}`);
  await clash.stop();
  await t.throwsAsync(a.transport.start(), { instanceOf: IllegalStateError });
});

test('peer management: add, move, remove, unknown peers', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const c = await TestMember.start(C, {}, members);
  t.throws(() => a.transport.addPeer(B, c.address), {
    instanceOf: PeerExistsError,
    message: /already known/,
  });
  t.throws(() => a.transport.updatePeer(D, c.address), { instanceOf: UnknownPeerError });
  t.throws(() => a.transport.addPeer(A, c.address), { instanceOf: RangeError });
  t.throws(() => a.transport.addPeer(0n, c.address), { instanceOf: RangeError });
  t.throws(() => a.transport.addPeer(D, 'no-port'), { instanceOf: TypeError });
  t.throws(() => a.transport.addPeer(D, '127.0.0.1:0'), { instanceOf: TypeError });
  // A message to an unknown peer is dropped and reported.
  a.transport.send([heartbeat(A, D, 1)]);
  await a.waitFor('d unreachable', () => a.unreachable.includes(D));
  // B moves: its id now lives at C's address, whose member refuses calls meant for B.
  a.transport.updatePeer(B, c.address);
  t.is(a.transport.peerAddress(B), c.address);
  await sendUntil(
    a,
    () => heartbeat(A, B, 1),
    () => c.logged('warn', 'refused raft call for another member').length > 0,
  );
  t.is(c.received.length, 0);
  a.transport.updatePeer(B, b.address);
  await sendUntil(
    a,
    () => heartbeat(A, B, 2),
    () => b.received.length > 0,
  );
  a.transport.removePeer(B);
  a.transport.removePeer(B);
  t.false(a.transport.hasPeer(B));
  t.is(a.transport.peerStats(B), null);
});

// ---- malformed input ----

/** A raw client stream to `address`'s Stream call: frames are written as given. */
function rawStream(
  address: string,
  md: Record<string, string> = {},
): {
  call: grpc.ClientWritableStream<Buffer>;
  status: Promise<grpc.ServiceError | null>;
  client: grpc.Client;
} {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  let settle: (e: grpc.ServiceError | null) => void = () => {};
  const status = new Promise<grpc.ServiceError | null>((r) => {
    settle = r;
  });
  const call = client.makeClientStreamRequest<Buffer, unknown>(
    raftService().streamPath,
    (b: Buffer) => b,
    (b: Buffer) => b,
    metadata,
    {},
    (err) => settle(err),
  );
  call.on('error', () => {});
  return { call, status, client };
}

test('malformed frames and messages are dropped with a warning; the stream carries on', async (t) => {
  const b = await TestMember.start(B, { maxEntryBytes: 1000 }, members);
  const { call, status, client } = rawStream(b.address, {
    'x-raft-from': A.toString(),
    'x-raft-to': B.toString(),
  });
  closers.add(async () => client.close());
  const bad: Message[] = [
    heartbeat(A, C, 1), // addressed to another member
    append(A, B, 7, new Uint8Array(1001)), // entry over the limit
    snapshotOf(A, B, new Uint8Array(10)), // snapshots have their own call
  ];
  call.write(Buffer.from('this is not protobuf \xff\xff\xff'));
  call.write(Buffer.from([0x0a, 0x04, 0x08, 0x63, 0x10, 0x01])); // unknown type 99
  call.write(encodeBatch([heartbeat(A, B, 1), ...bad, heartbeat(A, B, 2)]));
  call.write(encodeBatch([{ type: 'MsgHup', to: B, from: A, term: 0 }])); // a local message
  call.write(encodeBatch([heartbeat(A, B, 3)]));
  call.end();
  t.is(await status, null, 'the stream ends normally');
  t.deepEqual(commits(b.received), [1, 2, 3]);
  t.is(b.logged('warn', 'dropped malformed raft frame').length, 1);
  t.deepEqual(
    b.logged('warn', 'dropped malformed raft message').map((l) => (l.err as { reason: string }).reason),
    [
      'unknown message type 99',
      'entry 7 has 1001 bytes of data, over the limit of 1000',
      'local message type MsgHup from the network',
    ],
  );
  t.is(b.logged('warn', 'dropped raft message for another member').length, 1);
  t.is(b.logged('warn', 'dropped snapshot sent outside the Snapshot call').length, 1);
  t.is(b.transport.inboundStats().dropped, 6);
  client.close();
});

test('a stream or snapshot meant for another member is refused with FAILED_PRECONDITION', async (t) => {
  const b = await TestMember.start(B, {}, members);
  const { call, status, client } = rawStream(b.address, { 'x-raft-to': C.toString() });
  call.write(encodeBatch([heartbeat(A, B, 1)]));
  call.end();
  t.is((await status)?.code, grpc.status.FAILED_PRECONDITION);
  t.is(b.received.length, 0);
  client.close();
});

test('malformed snapshot streams fail with a status; the server keeps serving', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const client = new grpc.Client(b.address, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  const snapshotCall = (frames: Buffer[]): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => {
      const call = client.makeClientStreamRequest<Buffer, unknown>(
        raftService().snapshotPath,
        (x: Buffer) => x,
        (x: Buffer) => x,
        new grpc.Metadata(),
        {},
        (err) => resolve(err),
      );
      call.on('error', () => {});
      for (const f of frames) call.write(f);
      call.end();
    });
  const snap = snapshotOf(A, B, new Uint8Array(100));
  const cases: [string, Buffer[], RegExp][] = [
    ['garbage', [Buffer.from('garbage garbage')], /Cannot receive snapshot/],
    ['no header', [encodeSnapshotChunk(null, 0, new Uint8Array(10))], /the first chunk has no header/],
    ['no chunk at all', [], /no chunk/],
    ['short', [encodeSnapshotChunk(snap, 100, new Uint8Array(60))], /60 of 100 bytes/],
    [
      'long',
      [encodeSnapshotChunk(snap, 100, new Uint8Array(60)), encodeSnapshotChunk(null, 0, new Uint8Array(60))],
      /more than the 100 bytes announced/,
    ],
    [
      'for another member',
      [encodeSnapshotChunk(snapshotOf(A, C, new Uint8Array(1)), 1, new Uint8Array(1))],
      /addressed to/,
    ],
  ];
  for (const [name, frames, details] of cases) {
    const err = await snapshotCall(frames);
    t.truthy(err, name);
    t.regex(err?.details ?? '', details, name);
  }
  t.is(b.received.length, 0);
  client.close();
  // The server still serves real peers.
  a.transport.send([snapshotOf(A, B, new Uint8Array(100)), heartbeat(A, B, 7)]);
  await a.waitFor('snapshot ok', () => a.snapshots.length === 1);
  t.deepEqual(a.snapshots, [{ peer: B, status: 'finish' }]);
});

test('garbage on the port (plain text, HTTP/1.1, a bogus HTTP/2 preface) does not crash the server', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  const port = Number(b.address.split(':')[1]);
  const payloads = [
    Buffer.from('hello\r\n\r\n'),
    Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x08\x00\x00\x00\x00\x00garbage-garbage'),
    randomBytes(64 * 1024, 99),
  ];
  for (const payload of payloads) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(payload));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
  }
  a.transport.send([heartbeat(A, B, 42)]);
  await b.waitFor('real message after garbage', () => b.received.length === 1);
  t.deepEqual(commits(b.received), [42]);
});

test('a driver that throws in `onMessage` loses that message only', async (t) => {
  const [a, b] = (await cluster([A, B])) as [TestMember, TestMember];
  b.onMessage = (m) => {
    if (m.type === 'MsgHeartbeat' && m.commit === 2) throw new Error('boom');
  };
  a.transport.send([1, 2, 3].map((i) => heartbeat(A, B, i)));
  await b.waitFor('two messages', () => b.received.length === 2);
  t.deepEqual(commits(b.received), [1, 3]);
  t.is(b.logged('warn', 'raft refused a peer message').length, 1);
});
