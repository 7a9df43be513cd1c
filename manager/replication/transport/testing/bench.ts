/**
 * A hand-run benchmark of the raft transport (not part of CI): two transports on loopback, in two
 * processes, like two managers. The "leader" streams MsgApps (one 256-byte entry each) to the "follower",
 * which answers each with a MsgAppResp at once (no fsync: this measures the transport alone).
 *
 *   npx tsc -p . --outDir dist-transport && node dist-transport/manager/replication/transport/testing/bench.js
 *
 * Prints: the codec's cost per message against proto-loader's for the same RaftBatch; round trips with 1
 * and 64 messages in flight (rate, p50/p99); throughput with a window of 4096 messages sent in Ready-sized
 * batches of 64.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { raftpb } from '../../../../proto/index.js';
import { loadProto } from '../../../../proto/index.js';
import type { Message, MsgApp, MsgAppResp } from '../../../raft/index.js';
import { decodeBatch, encodeBatch } from '../codec.js';
import { RaftTransport } from '../raft-transport.js';

const LEADER = (1n << 64n) - 1n;
const FOLLOWER = (1n << 64n) - 2n;
const payload = new Uint8Array(256).fill(7);

function msgApp(i: number): MsgApp {
  return {
    type: 'MsgApp',
    to: FOLLOWER,
    from: LEADER,
    term: 5,
    index: i,
    logTerm: 5,
    commit: i,
    entries: [{ term: 5, index: i + 1, type: 'normal', data: payload }],
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

function codecBench(): void {
  const batch = Array.from({ length: 64 }, (_, i) => msgApp(1_000_000 + i));
  const rounds = 3000;
  const limits = { maxEntryBytes: 1 << 24 };
  let check = 0;
  let t0 = performance.now();
  for (let r = 0; r < rounds; r++) check += decodeBatch(encodeBatch(batch), limits).messages.length;
  const ours = ((performance.now() - t0) * 1000) / (rounds * batch.length);
  const type = loadProto('raft')['swarmd.raft.RaftBatch'] as unknown as {
    serialize(v: raftpb.RaftBatch): Buffer;
    deserialize(b: Buffer): raftpb.RaftBatch__Output;
  };
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    // What the transport would do on proto-loader's path: convert, serialize, deserialize, convert back.
    const pb: raftpb.RaftBatch = {
      messages: batch.map((m) => ({
        type: m.type,
        to: m.to.toString(),
        from: m.from.toString(),
        term: m.term,
        index: m.index,
        logTerm: m.logTerm,
        commit: m.commit,
        entries: m.entries.map((e) => ({
          term: e.term,
          index: e.index,
          type: 'EntryNormal' as const,
          data: e.data,
        })),
      })),
    };
    for (const p of type.deserialize(type.serialize(pb)).messages) {
      const m = {
        to: BigInt(p.to),
        from: BigInt(p.from),
        index: Number(p.index),
        entries: p.entries.map((e) => ({ index: Number(e.index), term: Number(e.term), data: e.data })),
      };
      check += m.entries.length;
    }
  }
  const theirs = ((performance.now() - t0) * 1000) / (rounds * batch.length);
  console.log(
    `codec, MsgApp with a 256-byte entry, encode+decode: ours ${ours.toFixed(2)} µs/msg, ` +
      `proto-loader ${theirs.toFixed(2)} µs/msg (${(theirs / ours).toFixed(1)}x fewer µs) [${check}]`,
  );
}

/** The follower process: answers every MsgApp with a MsgAppResp. */
async function follower(): Promise<void> {
  let leader: RaftTransport | null = null;
  const t: RaftTransport = new RaftTransport({
    id: FOLLOWER,
    listenAddress: '127.0.0.1:0',
    handler: {
      onMessage(m: Message) {
        if (m.type !== 'MsgApp') return;
        const resp: MsgAppResp = {
          type: 'MsgAppResp',
          to: LEADER,
          from: FOLLOWER,
          term: 5,
          index: m.index + 1,
          reject: false,
          rejectHint: 0,
          logTerm: 0,
        };
        leader?.send([resp]);
      },
      reportUnreachable() {},
      reportSnapshot() {},
    },
  });
  leader = t;
  const address = await t.start();
  process.on('message', (msg: { leader?: string; stop?: boolean }) => {
    if (msg.leader) t.addPeer(LEADER, msg.leader);
    if (msg.stop) void t.stop().then(() => process.exit(0));
  });
  process.send?.({ address });
}

async function leaderMain(): Promise<void> {
  codecBench();
  const child = fork(fileURLToPath(import.meta.url), ['follower'], { stdio: 'inherit' });
  const followerAddress = await new Promise<string>((resolve) =>
    child.once('message', (m: { address: string }) => resolve(m.address)),
  );
  let onAck: ((index: number) => void) | null = null;
  let unreachable = 0;
  const t = new RaftTransport({
    id: LEADER,
    listenAddress: '127.0.0.1:0',
    handler: {
      onMessage(m: Message) {
        if (m.type === 'MsgAppResp') onAck?.(m.index - 1);
      },
      reportUnreachable() {
        unreachable++;
      },
      reportSnapshot() {},
    },
  });
  child.send({ leader: await t.start() });
  t.addPeer(FOLLOWER, followerAddress);
  // Warm up until both streams carry messages.
  await new Promise<void>((resolve) => {
    let acked = false;
    onAck = () => {
      acked = true;
      resolve();
    };
    const tick = (): void => {
      if (acked) return;
      t.send([msgApp(0)]);
      setTimeout(tick, 5);
    };
    tick();
  });

  // Round trips with `inFlight` messages outstanding: each acknowledgement sends the next message.
  // Each phase numbers its messages from its own base, so that a late answer from an earlier phase (the
  // warm-up resends) is not mistaken for one of its own.
  let base = 1_000_000;
  for (const inFlight of [1, 64, 256]) {
    const total = inFlight === 1 ? 20_000 : 200_000;
    base += 1_000_000;
    const first = base;
    const sentAt = new Float64Array(total);
    const rtts: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const sendOne = (): void => {
        sentAt[next] = performance.now();
        t.send([msgApp(first + next++)]);
      };
      onAck = (index) => {
        const i = index - first;
        if (i < 0 || i >= next) return;
        rtts.push(performance.now() - (sentAt[i] as number));
        if (rtts.length === total) resolve();
        else if (next < total) sendOne();
      };
      for (let i = 0; i < inFlight; i++) sendOne();
    });
    const secs = (performance.now() - t0) / 1000;
    rtts.sort((x, y) => x - y);
    console.log(
      `round trip MsgApp → MsgAppResp, ${inFlight} in flight: ${Math.round(total / secs).toLocaleString('en')} msg/s, ` +
        `p50 ${pct(rtts, 50).toFixed(3)} ms, p99 ${pct(rtts, 99).toFixed(3)} ms, max ${pct(rtts, 100).toFixed(3)} ms`,
    );
  }

  // Throughput: Ready-sized batches of 64, at most 4096 messages not yet acknowledged.
  {
    const total = 500_000;
    const window = 4096;
    let sent = 0;
    let acked = 0;
    const frames0 = t.peerStats(FOLLOWER)?.frames ?? 0;
    const t0 = performance.now();
    base += 1_000_000;
    const first = base;
    await new Promise<void>((resolve) => {
      onAck = (index) => {
        if (index < first) return;
        acked++;
        if (acked === total) resolve();
      };
      const pump = (): void => {
        while (sent < total && sent - acked <= window - 64) {
          const batch: Message[] = [];
          for (let k = 0; k < 64; k++) batch.push(msgApp(first + sent++));
          t.send(batch);
        }
        if (sent < total) setImmediate(pump);
      };
      pump();
    });
    const secs = (performance.now() - t0) / 1000;
    const frames = (t.peerStats(FOLLOWER)?.frames ?? 0) - frames0;
    console.log(
      `throughput, batches of 64, window ${window}: ${Math.round(total / secs).toLocaleString('en')} MsgApp/s ` +
        `acknowledged (${((total * 300) / secs / 1e6).toFixed(1)} MB/s of messages), ${(total / frames).toFixed(0)} messages per frame, unreachable reports ${unreachable}`,
    );
  }
  onAck = null;
  child.send({ stop: true });
  await new Promise((resolve) => child.once('exit', resolve));
  await t.stop();
}

if (process.argv[2] === 'follower') await follower();
else await leaderMain();
