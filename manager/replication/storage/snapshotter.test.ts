import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { Snapshot } from '../../raft/index.js';
import { NoUsableSnapshotError, SnapshotCorruptError } from './errors.js';
import { Snapshotter, snapshotName } from './snapshotter.js';
import { captureLogger, SpyFs, tempDir } from './testing/index.js';

function snap(index: number, term: number, data = `state at ${index}`): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1n, 2n, 0xffff_ffff_ffff_fff1n], learners: [9n] } },
    data: Buffer.from(data),
  };
}

function plainSnap(s: Snapshot | null): unknown {
  return s === null ? null : { metadata: s.metadata, data: Buffer.from(s.data).toString() };
}

test('`Snapshotter.save()` writes a file that `load()` reads back whole', async (t) => {
  const dir = join(await tempDir(t), 'snap');
  const s = new Snapshotter(dir);
  const big = snap(12, 3, 'x'.repeat(200_000));
  const path = await s.save(big);
  t.is(path, join(dir, snapshotName(3, 12)));
  t.is(snapshotName(3, 12), '0000000000000003-000000000000000c.snap');
  t.deepEqual(await s.list(), [{ path, index: 12, term: 3 }]);
  t.deepEqual(plainSnap(await s.load({ path, index: 12, term: 3 })), plainSnap(big));
  const empty: Snapshot = {
    metadata: { index: 13, term: 3, confState: { voters: [], learners: [] } },
    data: new Uint8Array(0),
  };
  await s.save(empty);
  t.deepEqual(plainSnap(await s.loadNewest()), plainSnap(empty));
});

test('`Snapshotter.save()` goes through a temporary file: fsync, rename, then a directory fsync', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const s = new Snapshotter(dir, { fs });
  await s.save(snap(5, 1));
  const ops = fs.events.map((e) => (e.path === undefined ? e.op : `${e.op} ${e.path.slice(dir.length + 1)}`));
  const name = snapshotName(1, 5);
  const at = (op: string) => ops.findIndex((o) => o === op || o === `${op} `);
  t.true(at(`open ${name}.tmp`) >= 0);
  t.true(at('fsync') > at(`open ${name}.tmp`));
  t.true(at(`rename ${name}`) > at('fsync:done'));
  t.true(at('syncDir') > at(`rename:done ${name}`));
  t.deepEqual(await readdir(dir), [name]);
});

test('`Snapshotter.loadNewest()` falls back from a damaged newer snapshot with a warning', async (t) => {
  const dir = await tempDir(t);
  const { logger, lines } = captureLogger();
  const s = new Snapshotter(dir, { logger });
  await s.save(snap(5, 1));
  const newest = await s.save(snap(9, 2));
  const buf = await readFile(newest);
  buf[buf.length - 3] = (buf[buf.length - 3] as number) ^ 4;
  await writeFile(newest, buf);
  t.deepEqual(plainSnap(await s.loadNewest()), plainSnap(snap(5, 1)));
  const warn = lines.find((l) => l.level === 'warn');
  t.like(warn, { msg: 'snapshot damaged, falling back to an older one', 'snap.file': newest });
  t.like(warn?.error, {
    code: 'ERR_SNAP_CORRUPT',
    message: `Cannot load snapshot ${newest}: its data fails its checksum`,
  });
  t.deepEqual((await readdir(dir)).sort(), [snapshotName(1, 5), `${snapshotName(2, 9)}.broken`]);
});

test('`Snapshotter.loadNewest()` errors when every snapshot is damaged, and returns null when there is none', async (t) => {
  const dir = await tempDir(t);
  const s = new Snapshotter(dir);
  t.is(await s.loadNewest(), null);
  const a = await s.save(snap(5, 1));
  const b = await s.save(snap(9, 2));
  await writeFile(a, (await readFile(a)).subarray(0, 40));
  const bb = await readFile(b);
  bb[3] = 0;
  await writeFile(b, bb);
  const err = await t.throwsAsync(s.loadNewest(), {
    instanceOf: NoUsableSnapshotError,
    code: 'ERR_SNAP_NONE_USABLE',
  });
  t.is(err.message, `Cannot load a snapshot from ${dir}: all 2 candidate snapshot files are damaged`);
  t.true(err.cause instanceof SnapshotCorruptError);
  t.is(
    (err.cause as SnapshotCorruptError).message,
    `Cannot load snapshot ${b}: its header fails its checksum`,
  );
});

test('`Snapshotter.loadNewest()` only considers the snapshots it is told are usable', async (t) => {
  const dir = await tempDir(t);
  const s = new Snapshotter(dir);
  await s.save(snap(5, 1));
  await s.save(snap(9, 2));
  t.deepEqual(plainSnap(await s.loadNewest((m) => m.index === 5)), plainSnap(snap(5, 1)));
  t.is(await s.loadNewest(() => false), null);
});

test('`Snapshotter.load()` rejects a file whose name and contents disagree, or that was cut', async (t) => {
  const dir = await tempDir(t);
  const s = new Snapshotter(dir);
  const path = await s.save(snap(5, 1));
  const other = join(dir, snapshotName(1, 6));
  await writeFile(other, await readFile(path));
  await t.throwsAsync(s.load({ path: other, index: 6, term: 1 }), {
    instanceOf: SnapshotCorruptError,
    message: /holds snapshot 5 of term 1, not what its name says/,
  });
  const whole = await readFile(path);
  await writeFile(path, whole.subarray(0, whole.length - 1));
  await t.throwsAsync(s.load({ path, index: 5, term: 1 }), {
    instanceOf: SnapshotCorruptError,
    message: /truncated/,
  });
});

test('`Snapshotter.prune()` keeps the newest `keep` snapshots', async (t) => {
  const dir = await tempDir(t);
  const s = new Snapshotter(dir);
  for (const i of [3, 8, 5, 13]) await s.save(snap(i, 1));
  await writeFile(join(dir, `${snapshotName(1, 20)}.tmp`), 'unfinished');
  t.is(await s.prune(), 2);
  t.deepEqual(
    (await s.list()).map((f) => f.index),
    [13, 8],
  );
  t.deepEqual((await readdir(dir)).sort(), [snapshotName(1, 13), snapshotName(1, 8)].sort());
  const one = new Snapshotter(dir, { keep: 1 });
  t.is(await one.prune(), 1);
  t.throws(() => new Snapshotter(dir, { keep: 0 }), {
    instanceOf: RangeError,
    message: 'keep must be an integer in [1, 1000], got 0',
  });
});
