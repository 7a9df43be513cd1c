import test from 'ava';
import fc from 'fast-check';
import type { raftpb } from '../../../proto/index.js';
import { loadProto } from '../../../proto/index.js';
import type { Entry, Message, MessageType, MsgSnap } from '../../raft/index.js';
import { isLocalMessage } from '../../raft/index.js';
import {
  decodeBatch,
  decodeMessage,
  decodeSnapshotChunk,
  encodeBatch,
  encodedMessageSize,
  encodeMessage,
  encodeSnapshotChunk,
  MESSAGE_TYPE_NUMBERS,
} from './codec.js';
import { MalformedMessageError } from './errors.js';

const MAX_ID = (1n << 64n) - 1n;
const MAX = Number.MAX_SAFE_INTEGER;
const LIMITS = { maxEntryBytes: 8 * 1024 * 1024 };
const big = new Uint8Array(1024 * 1024 + 7).map((_, i) => (i * 31 + 7) & 0xff);
const small = Uint8Array.from([0, 1, 2, 255]);
const empty = new Uint8Array(0);

const entries: Entry[] = [
  { term: MAX, index: MAX, type: 'normal', data: big },
  { term: 0, index: 0, type: 'normal', data: empty },
  { term: 1, index: 2 ** 32, type: 'confChange', data: small },
];

/** One message of every type raft has, each with extreme values where it has fields. */
const EXTREMES: Message[] = [
  { type: 'MsgHup', to: 1n, from: 1n, term: 0 },
  { type: 'MsgBeat', to: MAX_ID, from: MAX_ID, term: 0 },
  { type: 'MsgCheckQuorum', to: 1n, from: 1n, term: 0 },
  { type: 'MsgProp', to: MAX_ID, from: MAX_ID - 1n, term: 0, entries },
  { type: 'MsgApp', to: MAX_ID, from: 1n, term: MAX, index: MAX, logTerm: MAX, commit: MAX, entries },
  {
    type: 'MsgApp',
    to: 2n ** 63n,
    from: 2n ** 63n + 1n,
    term: 1,
    index: 0,
    logTerm: 0,
    commit: 0,
    entries: [],
  },
  {
    type: 'MsgAppResp',
    to: 1n,
    from: MAX_ID,
    term: MAX,
    index: MAX,
    reject: true,
    rejectHint: MAX,
    logTerm: MAX,
  },
  { type: 'MsgAppResp', to: 1n, from: 2n, term: 0, index: 0, reject: false, rejectHint: 0, logTerm: 0 },
  { type: 'MsgVote', to: MAX_ID, from: 2n ** 53n + 1n, term: MAX, index: MAX, logTerm: MAX, transfer: true },
  { type: 'MsgVoteResp', to: 2n ** 32n, from: MAX_ID, term: MAX, reject: true },
  {
    type: 'MsgPreVote',
    to: 3n,
    from: MAX_ID,
    term: 7,
    index: 2 ** 31,
    logTerm: 2 ** 31 - 1,
    transfer: false,
  },
  { type: 'MsgPreVoteResp', to: MAX_ID, from: 3n, term: 0, reject: false },
  {
    type: 'MsgSnap',
    to: MAX_ID,
    from: 1n,
    term: MAX,
    snapshot: {
      metadata: {
        index: MAX,
        term: MAX,
        confState: { voters: [1n, MAX_ID, 2n ** 49n], learners: [MAX_ID - 1n] },
      },
      data: big,
    },
  },
  {
    type: 'MsgSnap',
    to: 2n,
    from: 1n,
    term: 1,
    snapshot: { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: empty },
  },
  { type: 'MsgHeartbeat', to: MAX_ID, from: 1n, term: MAX, commit: MAX, context: null },
  { type: 'MsgHeartbeat', to: 1n, from: MAX_ID, term: 1, commit: 0, context: empty },
  { type: 'MsgHeartbeatResp', to: 1n, from: MAX_ID, term: MAX, context: big },
  { type: 'MsgHeartbeatResp', to: 1n, from: 2n, term: 1, context: null },
  { type: 'MsgUnreachable', to: 1n, from: MAX_ID, term: 0 },
  { type: 'MsgSnapStatus', to: 1n, from: MAX_ID, term: 0, reject: true },
  { type: 'MsgTransferLeader', to: MAX_ID, from: MAX_ID - 1n, term: MAX },
  { type: 'MsgTimeoutNow', to: MAX_ID, from: 1n, term: MAX },
  { type: 'MsgReadIndex', to: MAX_ID, from: 1n, term: 0, context: small },
  { type: 'MsgReadIndex', to: MAX_ID, from: 1n, term: 0, context: empty },
  { type: 'MsgReadIndexResp', to: 1n, from: MAX_ID, term: MAX, index: MAX, context: big },
];

const NETWORK = EXTREMES.filter((m) => !isLocalMessage(m.type));
const LOCAL = EXTREMES.filter((m) => isLocalMessage(m.type));

/** Bytes compared by content whatever their class (the decoder returns Buffer views); keys sorted. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array)
    return `bytes(${x.byteLength}):${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex')}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(
      Object.entries(x)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, plain(v)]),
    );
  return x;
}

const rpc = loadProto('raft');
const batchType = rpc['swarmd.raft.RaftBatch'] as unknown as {
  serialize(v: raftpb.RaftBatch): Buffer;
  deserialize(b: Buffer): raftpb.RaftBatch__Output;
};
const chunkType = rpc['swarmd.raft.SnapshotChunk'] as unknown as {
  serialize(v: raftpb.SnapshotChunk): Buffer;
  deserialize(b: Buffer): raftpb.SnapshotChunk__Output;
};

test('every message type of manager/raft has a wire number, and numbers are unique', (t) => {
  const types: MessageType[] = [...new Set(EXTREMES.map((m) => m.type))];
  t.is(types.length, 19);
  const numbers = types.map((type) => MESSAGE_TYPE_NUMBERS[type]);
  t.is(new Set(numbers).size, 19);
  const protoEnum = (
    rpc['swarmd.raft.MessageType'] as unknown as { type: { value: { name: string; number: number }[] } }
  ).type.value;
  for (const type of types)
    t.is(protoEnum.find((v) => v.name === type)?.number, MESSAGE_TYPE_NUMBERS[type], `${type} in raft.proto`);
});

for (const [i, m] of NETWORK.entries()) {
  const label = `#${i} ${m.type} to ${m.to.toString(16)}`;
  test(`\`decodeMessage(encodeMessage(m))\` is \`m\`: ${label}`, (t) => {
    const bytes = encodeMessage(m);
    t.is(bytes.byteLength, encodedMessageSize(m));
    t.deepEqual(plain(decodeMessage(bytes, LIMITS)), plain(m));
  });

  test(`proto-loader reads our bytes and we read its bytes: ${label}`, (t) => {
    const pb = batchType.deserialize(encodeBatch([m]));
    t.is(pb.messages.length, 1);
    const p = pb.messages[0] as raftpb.RaftMessage__Output;
    t.is(p.type, m.type);
    t.is(p.to, m.to.toString());
    t.is(p.from, m.from.toString());
    t.is(p.term, String(m.term));
    if ('entries' in m) t.is(p.entries.length, m.entries.length);
    if ('context' in m) t.is(p.context === undefined, m.context === null);
    const back = decodeBatch(batchType.serialize(pb), LIMITS);
    t.deepEqual(back.errors, []);
    t.deepEqual(plain(back.messages), plain([m]));
  });
}

test('uint64 ids survive exactly through proto-loader with `longs: String`', (t) => {
  const m = NETWORK.find((x) => x.type === 'MsgSnap') as MsgSnap;
  const p = batchType.deserialize(encodeBatch([m])).messages[0] as raftpb.RaftMessage__Output;
  t.is(p.to, '18446744073709551615');
  t.deepEqual(p.snapshot?.metadata?.confState?.voters, ['1', '18446744073709551615', '562949953421312']);
  t.deepEqual(p.snapshot?.metadata?.confState?.learners, ['18446744073709551614']);
  t.is(p.snapshot?.metadata?.index, String(MAX));
});

test('a batch keeps every message, in order', (t) => {
  const decoded = decodeBatch(encodeBatch(NETWORK), LIMITS);
  t.deepEqual(decoded.errors, []);
  t.deepEqual(plain(decoded.messages), plain(NETWORK));
  const part = decodeBatch(encodeBatch(NETWORK, 2, 5), LIMITS);
  t.deepEqual(plain(part.messages), plain(NETWORK.slice(2, 5)));
  t.deepEqual(decodeBatch(encodeBatch([]), LIMITS).messages, []);
});

for (const m of LOCAL) {
  test(`a local message never comes from the network: ${m.type} is refused`, (t) => {
    const err = t.throws(() => decodeMessage(encodeMessage(m), LIMITS), {
      instanceOf: MalformedMessageError,
    });
    t.is(err?.code, 'ERR_TRANSPORT_MALFORMED_MESSAGE');
    t.is(err?.message, `Cannot decode raft message: local message type ${m.type} from the network`);
  });
}

/** Encodes a RaftMessage with proto-loader, for inputs our encoder cannot produce. */
function protoMessage(m: raftpb.RaftMessage): Buffer {
  return batchType.serialize({ messages: [m] });
}

const INVALID: [string, raftpb.RaftMessage, LimitsLike?][] = [
  ['missing type', { to: '1', from: '2', term: '1' }],
  ['unknown message type 99', { type: 99 as unknown as raftpb.MessageType, to: '1', from: '2' }],
  ['MsgHeartbeat without to', { type: 'MsgHeartbeat', from: '2', term: '1' }],
  ['MsgApp without from', { type: 'MsgApp', to: '2', term: '1' }],
  ['MsgReadIndex without context', { type: 'MsgReadIndex', to: '1', from: '2' }],
  ['MsgReadIndexResp without context', { type: 'MsgReadIndexResp', to: '1', from: '2', term: '1' }],
  ['MsgSnap without snapshot', { type: 'MsgSnap', to: '1', from: '2', term: '1' }],
  ['term exceeds 2^53 - 1', { type: 'MsgHeartbeat', to: '1', from: '2', term: '9007199254740992' }],
  [
    'commit exceeds 2^53 - 1',
    { type: 'MsgHeartbeat', to: '1', from: '2', term: '1', commit: '18446744073709551615' },
  ],
  [
    'entry index exceeds 2^53 - 1',
    { type: 'MsgApp', to: '1', from: '2', term: '1', entries: [{ index: '9007199254740993' }] },
  ],
  [
    'unknown entry type 7',
    { type: 'MsgApp', to: '1', from: '2', term: '1', entries: [{ type: 7 as unknown as 'EntryNormal' }] },
  ],
  [
    'entry 3 has 11 bytes of data, over the limit of 10',
    { type: 'MsgApp', to: '1', from: '2', term: '1', entries: [{ index: '3', data: Buffer.alloc(11) }] },
    { maxEntryBytes: 10 },
  ],
];
type LimitsLike = { maxEntryBytes: number };

for (const [reason, pb, limits] of INVALID) {
  test(`\`decodeMessage()\` refuses a message with ${reason}`, (t) => {
    // A bad message is dropped, not the batch: decodeBatch does not throw.
    const decoded = decodeBatch(protoMessage(pb), limits ?? LIMITS);
    t.deepEqual(decoded.messages, []);
    t.is(decoded.errors.length, 1);
    t.is(decoded.errors[0]?.reason, reason);
  });
}

test('entry data exactly at the limit is accepted', (t) => {
  const m: Message = {
    type: 'MsgProp',
    to: 1n,
    from: 2n,
    term: 0,
    entries: [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(10) }],
  };
  t.is(decodeMessage(encodeMessage(m), { maxEntryBytes: 10 }).type, 'MsgProp');
});

test('a bad message in a batch is dropped and the others kept, in order', (t) => {
  const good1 = NETWORK[0] as Message;
  const good2 = NETWORK[3] as Message;
  const bytes = Buffer.concat([
    encodeBatch([good1]),
    protoMessage({ type: 'MsgHeartbeat', from: '2', term: '1' }),
    // A RaftMessage whose own bytes are garbage (a field with wire type 7).
    Buffer.from([0x0a, 0x02, 0x0f, 0x01]),
    encodeBatch([good2]),
  ]);
  const decoded = decodeBatch(bytes, LIMITS);
  t.deepEqual(plain(decoded.messages), plain([good1, good2]));
  t.deepEqual(
    decoded.errors.map((e) => e.reason),
    ['MsgHeartbeat without to', 'unsupported wire type 7'],
  );
});

test('unknown fields from a newer sender are skipped', (t) => {
  const m = NETWORK[4] as Message;
  // field 99 varint, field 100 length-delimited, field 101 fixed32, field 102 fixed64
  const extra = Buffer.from([
    0x98, 0x06, 0xff, 0x01, 0xa2, 0x06, 0x02, 0xaa, 0xbb, 0xad, 0x06, 1, 2, 3, 4, 0xb1, 0x06, 1, 2, 3, 4, 5,
    6, 7, 8,
  ]);
  t.deepEqual(plain(decodeMessage(Buffer.concat([encodeMessage(m), extra]), LIMITS)), plain(m));
});

test('a broken frame is refused whole with `MalformedMessageError`', (t) => {
  const good = encodeBatch(NETWORK.slice(0, 3));
  for (const [name, bytes] of [
    ['truncated', good.subarray(0, good.byteLength - 3)],
    ['length past the end', Buffer.from([0x0a, 0x7f, 0x08])],
    ['unterminated varint', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['field number 0', Buffer.from([0x02, 0x00])],
    ['text', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ] as const) {
    t.throws(() => decodeBatch(bytes, LIMITS), { instanceOf: MalformedMessageError }, name);
  }
});

test('arbitrary bytes never make the decoders throw anything but `MalformedMessageError`', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const decode of [decodeBatch, decodeMessage, decodeSnapshotChunk]) {
        try {
          decode(bytes, LIMITS);
        } catch (err) {
          if (!(err instanceof MalformedMessageError)) throw err;
        }
      }
    }),
    { numRuns: 3000, seed: 42 },
  );
  t.pass();
});

test('mutated valid frames decode or fail with `MalformedMessageError`, never crash', (t) => {
  const good = encodeBatch(
    NETWORK.filter((m) => m.type !== 'MsgSnap' && !('entries' in m && m.entries.length)),
  );
  fc.assert(
    fc.property(fc.nat(good.byteLength - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const bytes = Buffer.from(good);
      bytes[at] = byte;
      try {
        decodeBatch(bytes, LIMITS);
      } catch (err) {
        if (!(err instanceof MalformedMessageError)) throw err;
      }
    }),
    { numRuns: 3000, seed: 7 },
  );
  t.pass();
});

const arbId = fc.bigInt({ min: 1n, max: MAX_ID });
const arbNum = fc.oneof(fc.constantFrom(0, 1, 127, 128, 2 ** 31, 2 ** 32, MAX), fc.nat({ max: MAX }));
const arbBytes = fc.uint8Array({ maxLength: 40 });
const arbEntry = fc.record({
  term: arbNum,
  index: arbNum,
  type: fc.constantFrom('normal' as const, 'confChange' as const),
  data: arbBytes,
});

test('property: random messages of every network type round-trip', (t) => {
  const arbMessage: fc.Arbitrary<Message> = fc.oneof(
    fc.record({
      type: fc.constant('MsgApp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      index: arbNum,
      logTerm: arbNum,
      commit: arbNum,
      entries: fc.array(arbEntry, { maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant('MsgProp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      entries: fc.array(arbEntry, { maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant('MsgAppResp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      index: arbNum,
      reject: fc.boolean(),
      rejectHint: arbNum,
      logTerm: arbNum,
    }),
    fc.record({
      type: fc.constantFrom('MsgVote' as const, 'MsgPreVote' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      index: arbNum,
      logTerm: arbNum,
      transfer: fc.boolean(),
    }),
    fc.record({
      type: fc.constantFrom('MsgVoteResp' as const, 'MsgPreVoteResp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      reject: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('MsgHeartbeat' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      commit: arbNum,
      context: fc.option(arbBytes, { nil: null }),
    }),
    fc.record({
      type: fc.constant('MsgHeartbeatResp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      context: fc.option(arbBytes, { nil: null }),
    }),
    fc.record({
      type: fc.constant('MsgReadIndex' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      context: arbBytes,
    }),
    fc.record({
      type: fc.constant('MsgReadIndexResp' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      index: arbNum,
      context: arbBytes,
    }),
    fc.record({
      type: fc.constantFrom('MsgTransferLeader' as const, 'MsgTimeoutNow' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
    }),
    fc.record({
      type: fc.constant('MsgSnap' as const),
      to: arbId,
      from: arbId,
      term: arbNum,
      snapshot: fc.record({
        metadata: fc.record({
          index: arbNum,
          term: arbNum,
          confState: fc.record({
            voters: fc.array(arbId, { maxLength: 5 }),
            learners: fc.array(arbId, { maxLength: 3 }),
          }),
        }),
        data: arbBytes,
      }),
    }),
  );
  fc.assert(
    fc.property(fc.array(arbMessage, { maxLength: 6 }), (ms) => {
      const decoded = decodeBatch(encodeBatch(ms), LIMITS);
      if (decoded.errors.length > 0) throw decoded.errors[0];
      if (JSON.stringify(plain(decoded.messages), big2s) !== JSON.stringify(plain(ms), big2s))
        throw new Error('round trip changed the messages');
      const viaProto = decodeBatch(batchType.serialize(batchType.deserialize(encodeBatch(ms))), LIMITS);
      if (JSON.stringify(plain(viaProto.messages), big2s) !== JSON.stringify(plain(ms), big2s))
        throw new Error('proto-loader round trip changed the messages');
    }),
    { numRuns: 500, seed: 1 },
  );
  t.pass();
});

function big2s(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

test('snapshot chunks: the header goes in the first chunk, without the data', (t) => {
  const m = NETWORK.find((x) => x.type === 'MsgSnap') as MsgSnap;
  const first = decodeSnapshotChunk(encodeSnapshotChunk(m, big.byteLength, big.subarray(0, 100)), LIMITS);
  t.is(first.totalSize, big.byteLength);
  t.deepEqual(plain(first.data), plain(big.subarray(0, 100)));
  t.deepEqual(plain(first.header), plain({ ...m, snapshot: { metadata: m.snapshot.metadata, data: empty } }));
  const next = decodeSnapshotChunk(encodeSnapshotChunk(null, 0, big.subarray(100)), LIMITS);
  t.is(next.header, null);
  t.is(next.totalSize, 0);
  t.is(next.data.byteLength, big.byteLength - 100);
  // proto-loader agrees.
  const pb = chunkType.deserialize(encodeSnapshotChunk(m, 5, small));
  t.is(pb.totalSize, '5');
  t.is(pb.header?.type, 'MsgSnap');
  t.is(pb.header?.snapshot?.data.byteLength, 0);
  t.deepEqual([...(pb.data ?? [])], [...small]);
});

test('a snapshot header must be a MsgSnap without data', (t) => {
  const hb = protoMessage({ type: 'MsgHeartbeat', to: '1', from: '2', term: '1' });
  const asChunk = chunkType.serialize({ header: batchType.deserialize(hb).messages[0] ?? null });
  t.throws(() => decodeSnapshotChunk(asChunk, LIMITS), { message: /snapshot header is a MsgHeartbeat/ });
  const withData = chunkType.serialize({
    header: {
      type: 'MsgSnap',
      to: '1',
      from: '2',
      term: '1',
      snapshot: { data: Buffer.from([1]), metadata: {} },
    },
  });
  t.throws(() => decodeSnapshotChunk(withData, LIMITS), { message: /snapshot header carries data/ });
});

test('`encodeMessage()` refuses a member id outside 64 bits', (t) => {
  t.throws(() => encodeMessage({ type: 'MsgTimeoutNow', to: 1n << 64n, from: 1n, term: 1 }), {
    instanceOf: RangeError,
  });
  t.throws(() => encodeMessage({ type: 'MsgTimeoutNow', to: -1n, from: 1n, term: 1 }), {
    instanceOf: RangeError,
  });
});
