import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { randomIdSource } from '../common/index.js';
import { NODE_FILE, type NodeState, readNodeState, writeNodeState } from './node-state.js';

const state: NodeState = {
  nodeId: randomIdSource.newId(),
  raftId: (1n << 64n) - 3n,
  clusterId: randomIdSource.newId(),
  role: 'manager',
  listenAddr: '0.0.0.0:4242',
  advertiseAddr: '[::1]:4242',
  joined: true,
  peers: [
    { id: 5n, address: '10.0.0.1:4242' },
    { id: (1n << 64n) - 3n, address: '[::1]:4242' },
  ],
  createdAt: 1_764_000_000_000,
};

test('node.json round-trips (64-bit ids, IPv6), is private, and absent means a new node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-ns-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is(await readNodeState(dir), null);
  await writeNodeState(dir, state);
  t.deepEqual(await readNodeState(dir), state);
  t.is((await stat(join(dir, NODE_FILE))).mode & 0o777, 0o600);
  t.regex(await readFile(join(dir, NODE_FILE), 'utf8'), /"raftId": "fffffffffffffffd"/);
});

test('a damaged node.json is refused with the file and the problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-ns-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [text, problem] of [
    ['{', /node\.json is damaged: .*JSON/],
    ['{"format":"other"}', /not a swarmd node file/],
    [JSON.stringify({ format: 'swarmd-node', version: 2 }), /unknown version 2/],
  ] as const) {
    await writeFile(join(dir, NODE_FILE), text);
    await t.throwsAsync(readNodeState(dir), { code: 'ERR_MANAGER_STATE_DIR', message: problem });
  }
});
