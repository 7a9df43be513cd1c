import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { SeededRand } from '../../../common/index.js';
import {
  type ConfState,
  decodeConfChange,
  type Entry,
  type HardState,
  RawNode,
  type Snapshot,
  SnapshotOutOfDateError,
} from '../../raft/index.js';
import { DiskStorage } from './disk-storage.js';
import { NoUsableSnapshotError } from './errors.js';
import { Snapshotter, snapshotName } from './snapshotter.js';
import { captureLogger, ent, ents, plain, SpyFs, tempDir } from './testing/index.js';

const hs = (term: number, vote: bigint, commit: number): HardState => ({ term, vote, commit });
const cs: ConfState = { voters: [1n, 2n, 3n], learners: [] };

function allEntries(s: DiskStorage): Entry[] {
  return s.lastIndex() < s.firstIndex() ? [] : s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
}

async function until(cond: () => boolean, bound = 10_000): Promise<void> {
  for (let i = 0; i < bound && !cond(); i++) await new Promise((resolve) => setImmediate(resolve));
}

test('`DiskStorage.open()` on a new directory is an empty, new storage', async (t) => {
  const dir = await tempDir(t);
  const s = await DiskStorage.open(dir);
  t.deepEqual(s.recovered, {
    isNew: true,
    hardState: hs(0, 0n, 0),
    confState: { voters: [], learners: [] },
    appliedIndex: 0,
    snapshot: null,
    lastIndex: 0,
  });
  t.is(s.firstIndex(), 1);
  t.is(s.lastIndex(), 0);
  t.deepEqual(await readdir(dir), ['wal']);
  await s.close();
  await s.close();
});

test('`DiskStorage.persist()` makes a Ready durable and raft reads it back after a reopen', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir);
  await s.persist({ hardState: hs(1, 1n, 0), entries: ents(1, 5, 1), snapshot: null, mustSync: true });
  await s.persist({
    hardState: hs(2, 2n, 4),
    entries: [ent(5, 2), ent(6, 2)],
    snapshot: null,
    mustSync: true,
  });
  await s.persist({ hardState: hs(2, 2n, 6), entries: [], snapshot: null, mustSync: false });
  t.deepEqual(plain(allEntries(s)), plain([...ents(1, 4, 1), ent(5, 2), ent(6, 2)]));
  await s.close();
  s = await DiskStorage.open(dir);
  t.like(s.recovered, {
    isNew: false,
    hardState: hs(2, 2n, 6),
    appliedIndex: 0,
    snapshot: null,
    lastIndex: 6,
  });
  t.deepEqual(s.initialState().hardState, hs(2, 2n, 6));
  t.deepEqual(plain(allEntries(s)), plain([...ents(1, 4, 1), ent(5, 2), ent(6, 2)]));
  t.is(s.term(5), 2);
  await s.close();
});

test('`DiskStorage.save()` puts entries in memory only once the WAL fdatasync is done', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const s = await DiskStorage.open(dir, { fs });
  fs.hold('fdatasync');
  let resolved = false;
  const saved = s.save(hs(1, 1n, 0), ents(1, 3, 1)).then(() => {
    resolved = true;
  });
  await until(() => fs.waiting('fdatasync') === 1);
  t.is(s.lastIndex(), 0, 'raft does not see the entries yet');
  t.deepEqual(s.hardState(), hs(0, 0n, 0));
  t.false(resolved);
  fs.release('fdatasync');
  await saved;
  t.is(s.lastIndex(), 3);
  t.deepEqual(s.hardState(), hs(1, 1n, 0));
  await s.close();
});

test('snapshots then `compact()` release the WAL segments no kept snapshot needs, and a reopen starts from the newest', async (t) => {
  const dir = await tempDir(t);
  const opts = { segmentBytes: 1024, preallocateBytes: 0 };
  let s = await DiskStorage.open(dir, opts);
  for (let i = 1; i <= 200; i++) await s.save(hs(1, 1n, i - 1), [ent(i, 1)]);
  const segments = () => s.wal.segments.map((g) => ({ path: g.path, maxIndex: g.maxIndex }));
  const before = segments();

  await s.createSnapshot(100, cs, Buffer.from('state@100'));
  await s.compact(100);
  t.is(s.firstIndex(), 101);
  t.deepEqual(
    segments(),
    before.filter((g, i) => g.maxIndex > 100 || i === before.length - 1),
  );

  const snap150 = await s.createSnapshot(150, cs, Buffer.from('state@150'));
  t.deepEqual(snap150.metadata, { index: 150, term: 1, confState: cs });
  await s.compact(150);
  t.is(s.firstIndex(), 151);
  t.true(
    s.wal.segments.some((g) => g.maxIndex <= 150 && g.maxIndex > 100),
    'kept for the snapshot at 100',
  );

  await s.createSnapshot(180, cs, Buffer.from('state@180'));
  t.deepEqual((await readdir(join(dir, 'snap'))).sort(), [snapshotName(1, 150), snapshotName(1, 180)]);
  await s.compact(170);
  t.is(s.firstIndex(), 171);
  t.deepEqual(
    segments(),
    before.filter((g, i) => g.maxIndex > 150 || i === before.length - 1),
  );
  await s.close();

  s = await DiskStorage.open(dir, opts);
  t.like(s.recovered, { appliedIndex: 180, lastIndex: 200, hardState: hs(1, 1n, 199), confState: cs });
  t.is(Buffer.from(s.recovered.snapshot?.data ?? []).toString(), 'state@180');
  t.deepEqual(s.snapshot().metadata, { index: 180, term: 1, confState: cs });
  t.is(s.firstIndex(), 181);
  t.deepEqual(plain(allEntries(s)), plain(ents(181, 200, 1)));
  await s.close();

  // The newest snapshot file is damaged: the storage falls back to the one before it.
  const newest = join(dir, 'snap', snapshotName(1, 180));
  const buf = await readFile(newest);
  buf[buf.length - 1] = (buf[buf.length - 1] as number) ^ 1;
  await writeFile(newest, buf);
  const { logger, lines } = captureLogger();
  s = await DiskStorage.open(dir, { ...opts, logger });
  t.like(s.recovered, { appliedIndex: 150, lastIndex: 200 });
  t.is(Buffer.from(s.recovered.snapshot?.data ?? []).toString(), 'state@150');
  t.deepEqual(plain(allEntries(s)), plain(ents(151, 200, 1)));
  t.deepEqual(
    lines.filter((l) => l.level === 'warn').map((l) => l.msg),
    [
      'snapshot damaged, falling back to an older one',
      'snapshot fallback: replaying the log from an older snapshot',
    ],
  );
  await s.close();

  // Both damaged: the log cannot be replayed from anything.
  const older = join(dir, 'snap', snapshotName(1, 150));
  await writeFile(older, (await readFile(older)).subarray(0, 10));
  await t.throwsAsync(DiskStorage.open(dir, opts), {
    instanceOf: NoUsableSnapshotError,
    code: 'ERR_SNAP_NONE_USABLE',
  });
});

test('without a usable snapshot, a log that was never released replays from the start', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir);
  await s.save(hs(1, 1n, 10), ents(1, 10, 1));
  await s.createSnapshot(5, cs, Buffer.from('five'));
  await s.close();
  const f = join(dir, 'snap', snapshotName(1, 5));
  await writeFile(f, Buffer.alloc(8));
  const { logger, lines } = captureLogger();
  s = await DiskStorage.open(dir, { logger });
  t.like(s.recovered, { appliedIndex: 0, snapshot: null, lastIndex: 10 });
  t.true(lines.some((l) => l.msg === 'no usable snapshot: replaying the whole log'));
  t.deepEqual(plain(allEntries(s)), plain(ents(1, 10, 1)));
  await s.close();
});

test('a snapshot from the leader replaces the log, durably and in memory', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir);
  await s.save(hs(1, 1n, 2), ents(1, 8, 1));
  const snap: Snapshot = { metadata: { index: 20, term: 3, confState: cs }, data: Buffer.from('leader@20') };
  const fs = s.save(hs(3, 0n, 20), [ent(21, 3)], snap);
  const later = s.save(hs(3, 0n, 21), [ent(22, 3)]);
  await Promise.all([fs, later]);
  t.deepEqual(s.snapshot().metadata, snap.metadata);
  t.is(s.firstIndex(), 21);
  t.deepEqual(plain(allEntries(s)), plain([ent(21, 3), ent(22, 3)]));
  await t.throwsAsync(s.save(null, [], snap), { instanceOf: SnapshotOutOfDateError });
  await s.close();
  s = await DiskStorage.open(dir);
  t.like(s.recovered, { appliedIndex: 20, confState: cs, lastIndex: 22, hardState: hs(3, 0n, 21) });
  t.is(Buffer.from(s.recovered.snapshot?.data ?? []).toString(), 'leader@20');
  t.deepEqual(plain(allEntries(s)), plain([ent(21, 3), ent(22, 3)]));
  await s.close();
});

test('a snapshot file without a WAL marker (a crash between the two) is removed on open', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir);
  await s.save(hs(1, 1n, 10), ents(1, 10, 1));
  await s.createSnapshot(4, cs, Buffer.from('four'));
  await s.close();
  // The file of a snapshot at 7 made it to disk, its WAL marker did not.
  await new Snapshotter(join(dir, 'snap')).save({
    metadata: { index: 7, term: 1, confState: cs },
    data: Buffer.from('seven'),
  });
  const { logger, lines } = captureLogger();
  s = await DiskStorage.open(dir, { logger });
  t.like(s.recovered, { appliedIndex: 4, lastIndex: 10 });
  t.deepEqual(await readdir(join(dir, 'snap')), [snapshotName(1, 4)]);
  t.like(
    lines.find((l) => l.level === 'warn'),
    { msg: 'snapshot without a WAL marker removed', 'raft.index': 7 },
  );
  await s.close();
});

test('`DiskStorage` refuses stale snapshots, snapshots off the log, and compaction past the durable snapshot', async (t) => {
  const dir = await tempDir(t);
  const s = await DiskStorage.open(dir);
  await s.save(hs(2, 1n, 5), [...ents(1, 3, 1), ...ents(4, 6, 2)]);
  await t.throwsAsync(s.compact(2), { instanceOf: RangeError, message: /newest durable snapshot is at 0/ });
  const bad: Snapshot = { metadata: { index: 5, term: 1, confState: cs }, data: new Uint8Array(0) };
  await t.throwsAsync(s.saveSnapshot(bad), { instanceOf: RangeError, message: /the log has term 2 there/ });
  await t.throwsAsync(s.createSnapshot(9, cs, new Uint8Array(0)));
  const past: Snapshot = { metadata: { index: 9, term: 2, confState: cs }, data: new Uint8Array(0) };
  await t.throwsAsync(s.saveSnapshot(past), { instanceOf: RangeError, message: /past the last entry 6/ });
  await s.createSnapshot(4, cs, new Uint8Array(0));
  await t.throwsAsync(s.createSnapshot(3, cs, new Uint8Array(0)), { instanceOf: SnapshotOutOfDateError });
  await t.throwsAsync(s.save(null, [ent(9, 2)]), { instanceOf: RangeError, message: /gap/ });
  await s.compact(4);
  t.is(s.firstIndex(), 5);
  await s.close();
  await t.throwsAsync(s.save(null, []), { code: 'ERR_ILLEGAL_STATE' });
  await t.throwsAsync(DiskStorage.open(dir, { keepSnapshots: 0 }), {
    instanceOf: RangeError,
    message: 'keepSnapshots must be an integer in [1, 1000], got 0',
  });
});

test('a snapshot file that cannot be written fails that call only; the storage goes on', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const s = await DiskStorage.open(dir, { fs });
  await s.save(hs(1, 1n, 5), ents(1, 5, 1));
  const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  fs.fail('rename', enospc);
  await t.throwsAsync(s.createSnapshot(3, cs, Buffer.from('three')), { is: enospc });
  const leader: Snapshot = { metadata: { index: 9, term: 2, confState: cs }, data: Buffer.from('nine') };
  await t.throwsAsync(s.save(hs(2, 0n, 9), [], leader), { is: enospc });
  fs.heal('rename');
  await s.save(hs(1, 1n, 5), [ent(6, 1)]);
  await s.createSnapshot(3, cs, Buffer.from('three'));
  await s.compact(3);
  t.is(s.firstIndex(), 4);
  await s.save(hs(2, 0n, 9), [], leader);
  t.is(s.firstIndex(), 10);
  await s.close();
});

/** Drives a single-member raft over the storage: persist BEFORE advance, apply committed entries. */
async function drive(node: RawNode, storage: DiskStorage, applied: string[]): Promise<void> {
  while (node.hasReady()) {
    const rd = node.ready();
    await storage.persist(rd);
    for (const e of rd.committedEntries) {
      if (e.type === 'confChange') node.applyConfChange(decodeConfChange(e.data));
      else if (e.data.byteLength > 0) applied.push(Buffer.from(e.data).toString());
    }
    node.advance();
  }
}

test('a raft node restarts from the disk storage: same term, vote, log, and committed entries re-applied', async (t) => {
  const dir = await tempDir(t);
  let storage = await DiskStorage.open(dir, { segmentBytes: 2048 });
  let node = new RawNode({
    id: 1n,
    storage,
    rand: new SeededRand(7),
    applied: storage.recovered.appliedIndex,
  });
  node.bootstrap([1n]);
  let applied: string[] = [];
  await drive(node, storage, applied);
  node.campaign();
  await drive(node, storage, applied);
  t.is(node.basicStatus().raftState, 'leader');
  for (let i = 0; i < 50; i++) {
    node.propose(Buffer.from(`put k${i}`));
    await drive(node, storage, applied);
  }
  t.is(applied.length, 50);
  const before = node.basicStatus();
  const snapIndex = before.applied;
  await storage.createSnapshot(
    snapIndex,
    { voters: [1n], learners: [] },
    Buffer.from(JSON.stringify(applied)),
  );
  await storage.compact(snapIndex);
  for (let i = 50; i < 60; i++) {
    node.propose(Buffer.from(`put k${i}`));
    await drive(node, storage, applied);
  }
  await storage.close();

  storage = await DiskStorage.open(dir, { segmentBytes: 2048 });
  t.false(storage.recovered.isNew);
  t.is(storage.recovered.appliedIndex, snapIndex);
  t.deepEqual(storage.recovered.hardState.term, before.term);
  applied = JSON.parse(Buffer.from(storage.recovered.snapshot?.data ?? []).toString()) as string[];
  node = new RawNode({ id: 1n, storage, rand: new SeededRand(8), applied: storage.recovered.appliedIndex });
  node.campaign();
  await drive(node, storage, applied);
  node.propose(Buffer.from('put k60'));
  await drive(node, storage, applied);
  t.deepEqual(
    applied,
    Array.from({ length: 61 }, (_, i) => `put k${i}`),
  );
  t.true(node.basicStatus().term > before.term);
  await storage.close();
});
