// The proto pipeline as the transport relies on it: proto/index.ts loads raft.proto with the options the
// generator was run with, and 64-bit ids survive proto-loader's own codec. (These tests live here because
// tsconfig compiles proto/ only through its importers.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { raftpb } from '../../../proto/index.js';
import { loadGrpcObject, loadProto, PROTO_LOADER_OPTIONS } from '../../../proto/index.js';

test('the loader options match the flags `scripts/gen-proto.mjs` gives the generator', (t) => {
  // ava runs in the project directory.
  const script = readFileSync(join(process.cwd(), 'scripts', 'gen-proto.mjs'), 'utf8');
  const flag = (name: string): string | boolean => {
    const m = new RegExp(`'--${name}(?:=([^']+))?'`).exec(script);
    return m === null ? false : (m[1] ?? true);
  };
  t.is(flag('keepCase'), PROTO_LOADER_OPTIONS.keepCase ?? false);
  t.is(flag('longs'), PROTO_LOADER_OPTIONS.longs?.name ?? false);
  t.is(flag('enums'), PROTO_LOADER_OPTIONS.enums?.name ?? false);
  t.is(flag('bytes'), PROTO_LOADER_OPTIONS.bytes?.name ?? false);
  t.is(flag('defaults'), PROTO_LOADER_OPTIONS.defaults ?? false);
  t.is(flag('oneofs'), PROTO_LOADER_OPTIONS.oneofs ?? false);
  t.is(flag('importFileExtension'), '.js');
});

test('`loadProto()` loads once; `loadGrpcObject()` gives the typed Raft service', (t) => {
  t.is(loadProto('raft'), loadProto('raft'));
  const { swarmd } = loadGrpcObject('raft');
  const service = swarmd.raft.Raft.service;
  t.is(service.Stream.path, '/swarmd.raft.Raft/Stream');
  t.true(service.Stream.requestStream);
  t.false(service.Stream.responseStream);
  t.is(service.Snapshot.path, '/swarmd.raft.Raft/Snapshot');
  t.true(service.Snapshot.requestStream);
  t.is(typeof swarmd.raft.Raft, 'function');
});

test('uint64 ids near 2^64 - 1 survive proto-loader exactly (`longs: String`)', (t) => {
  const type = loadProto('raft')['swarmd.raft.ConfState'] as unknown as {
    serialize(v: raftpb.ConfState): Buffer;
    deserialize(b: Buffer): raftpb.ConfState__Output;
  };
  const ids = [(1n << 64n) - 1n, (1n << 64n) - 2n, (1n << 63n) + 1n, (1n << 53n) + 1n, 1n];
  const out = type.deserialize(
    type.serialize({ voters: ids.map(String), learners: [String((1n << 64n) - 3n)] }),
  );
  t.deepEqual(out.voters.map(BigInt), ids);
  t.deepEqual(out.learners.map(BigInt), [(1n << 64n) - 3n]);
});

test('optional `context` keeps null and empty apart; defaults fill the rest', (t) => {
  const type = loadProto('raft')['swarmd.raft.RaftMessage'] as unknown as {
    serialize(v: raftpb.RaftMessage): Buffer;
    deserialize(b: Buffer): raftpb.RaftMessage__Output;
  };
  const absent = type.deserialize(type.serialize({ type: 'MsgHeartbeat', to: '1', from: '2' }));
  t.is(absent.context, undefined);
  t.is(absent.commit, '0');
  t.deepEqual(absent.entries, []);
  t.is(absent.snapshot, null);
  const empty = type.deserialize(
    type.serialize({ type: 'MsgHeartbeat', to: '1', from: '2', context: Buffer.alloc(0) }),
  );
  t.is(empty.context?.byteLength, 0);
  t.is(empty.type, 'MsgHeartbeat');
});
