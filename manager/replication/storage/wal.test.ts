import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { IllegalStateError } from '../../../common/index.js';
import type { Entry, HardState } from '../../raft/index.js';
import { crc32 } from './crc32.js';
import { WalCorruptError, WalFailedError, WalSnapshotNotFoundError } from './errors.js';
import { entryRecordBytes, RecordCursor, RecordType, writeEntry } from './record.js';
import { captureLogger, ent, ents, plain, SpyFs, tempDir } from './testing/index.js';
import { segmentName, Wal } from './wal.js';

const hs = (term: number, vote: bigint, commit: number): HardState => ({ term, vote, commit });

/** The offsets of the whole records of a segment file, head included. */
function recordOffsets(buf: Buffer): number[] {
  const c = new RecordCursor();
  const out: number[] = [];
  for (let off = 0; off < buf.length && c.read(buf, off, buf.length); off = c.next) out.push(off);
  return out;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

/** Lets the event loop turn until `cond()` holds, at most `bound` times. */
async function until(cond: () => boolean, bound = 10_000): Promise<void> {
  for (let i = 0; i < bound && !cond(); i++) await new Promise((resolve) => setImmediate(resolve));
}

test('`Wal.open()` creates an empty log in a new directory', async (t) => {
  const dir = join(await tempDir(t), 'wal');
  const wal = await Wal.open(dir);
  t.true(wal.created);
  const r = wal.replay();
  t.deepEqual(r.hardState, hs(0, 0n, 0));
  t.deepEqual(r.snapshot, { index: 0, term: 0 });
  t.deepEqual(r.entries, []);
  await wal.close();
  t.deepEqual(await segmentFiles(dir), [segmentName(1, 1)]);
  t.is(segmentName(1, 1), '0000000000000001-0000000000000001.wal');
  const again = await Wal.open(dir);
  t.false(again.created);
  await again.close();
});

test('`Wal.save()` round-trips entries and the hard state across a reopen', async (t) => {
  const dir = await tempDir(t);
  const { logger, lines } = captureLogger();
  const wal = await Wal.open(dir, { logger });
  await wal.save(hs(1, 1n, 0), [ent(1, 1), ent(2, 1, new Uint8Array(0)), ent(3, 1, 'cc', 'confChange')]);
  await wal.save(hs(1, 1n, 2), []);
  const big = Buffer.alloc(100_000, 7);
  await wal.save(null, [ent(4, 1, big)]);
  await wal.save(hs(2, 3n ** 20n, 4), [], { sync: false });
  await wal.close();
  await wal.close();
  const re = await Wal.open(dir, { logger });
  const r = re.replay();
  t.deepEqual(r.hardState, hs(2, 3n ** 20n, 4));
  t.deepEqual(
    plain(r.entries),
    plain([ent(1, 1), ent(2, 1, new Uint8Array(0)), ent(3, 1, 'cc', 'confChange'), ent(4, 1, big)]),
  );
  t.is(re.lastIndex, 4);
  await re.close();
  t.deepEqual(
    lines.filter((l) => l.level === 'warn'),
    [],
    'a preallocated zero tail is a clean end, not a torn one',
  );
});

test('entries that overwrite a suffix after a leader change are logged as-is and the latest win', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { segmentBytes: 1024 });
  await wal.save(hs(1, 1n, 3), ents(1, 10, 1));
  await wal.save(hs(2, 2n, 3), [ent(6, 2, 'new6'), ent(7, 2, 'new7')]);
  for (let i = 8; i <= 40; i++) await wal.save(null, [ent(i, 2)]);
  await wal.save(hs(3, 3n, 20), [ent(21, 3, 'new21')]);
  await wal.close();
  t.true((await segmentFiles(dir)).length > 1);
  wal = await Wal.open(dir, { segmentBytes: 1024 });
  const r = wal.replay();
  t.deepEqual(
    plain(r.entries),
    plain([...ents(1, 5, 1), ent(6, 2, 'new6'), ent(7, 2, 'new7'), ...ents(8, 20, 2), ent(21, 3, 'new21')]),
  );
  t.deepEqual(r.hardState, hs(3, 3n, 20));
  await wal.close();
});

test('`Wal.save()` refuses entries that would leave a gap, before writing anything', async (t) => {
  const dir = await tempDir(t);
  const wal = await Wal.open(dir);
  await wal.save(null, ents(1, 3, 1));
  t.throws(() => wal.save(null, [ent(5, 1)]), {
    instanceOf: RangeError,
    message: /gap after the last entry 3/,
  });
  t.throws(() => wal.save(null, [ent(4, 1), ent(6, 1)]), { instanceOf: RangeError });
  t.throws(() => wal.saveSnapshot({ index: 4, term: 1 }), {
    instanceOf: RangeError,
    message: /past the last entry 3/,
  });
  await wal.save(null, [ent(4, 1)]);
  await wal.close();
});

test('segments roll over at `segmentBytes`, carry the hard state and snapshot in their head, and read back in order', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { segmentBytes: 1024, preallocateBytes: 0 });
  await wal.save(hs(1, 1n, 0), []);
  for (let i = 1; i <= 100; i++) await wal.save(i === 50 ? hs(1, 1n, 49) : null, [ent(i, 1)]);
  const names = await segmentFiles(dir);
  t.true(names.length >= 5, `${names.length} segments`);
  for (const [i, name] of names.entries()) t.is(name.slice(0, 16), (i + 1).toString(16).padStart(16, '0'));
  for (const s of wal.segments.slice(0, -1)) t.true((await stat(s.path)).size >= 1024);
  t.deepEqual(
    wal.segments.map((s) => s.firstIndex),
    [1, ...wal.segments.slice(0, -1).map((s) => s.maxIndex + 1)],
    'each segment is named after the index its first entry was expected to have',
  );
  await wal.close();
  wal = await Wal.open(dir, { segmentBytes: 1024 });
  t.deepEqual(plain(wal.replay().entries), plain(ents(1, 100, 1)));
  t.deepEqual(wal.replay().hardState, hs(1, 1n, 49));
  await wal.close();
});

test('`Wal.releaseTo()` deletes only whole segments at or before the snapshot, and the log replays from it', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { segmentBytes: 1024 });
  await wal.save(hs(1, 1n, 0), []);
  for (let i = 1; i <= 120; i++) await wal.save(hs(1, 1n, i - 1), [ent(i, 1)]);
  await wal.saveSnapshot({ index: 70, term: 1 });
  const before = wal.segments.map((s) => ({ path: s.path, maxIndex: s.maxIndex }));
  const deleted = await wal.releaseTo(70);
  const expected = before.findIndex((s) => s.maxIndex > 70);
  t.true(expected > 0);
  t.is(deleted, expected, 'every segment holding only entries <= 70, and no other');
  t.deepEqual(
    wal.segments.map((s) => s.path),
    before.slice(expected).map((s) => s.path),
  );
  t.deepEqual(
    await segmentFiles(dir),
    before.slice(expected).map((s) => s.path.slice(dir.length + 1)),
  );
  t.is(await wal.releaseTo(70), 0, 'idempotent');
  await wal.save(hs(1, 1n, 120), [ent(121, 1)]);
  await wal.close();

  wal = await Wal.open(dir, { segmentBytes: 1024 });
  t.deepEqual(wal.snapshots.at(-1), { index: 70, term: 1 });
  const r = wal.replay();
  t.deepEqual(r.snapshot, { index: 70, term: 1 });
  t.deepEqual(plain(r.entries), plain(ents(71, 121, 1)));
  t.deepEqual(r.hardState, hs(1, 1n, 120));
  const err = t.throws(() => wal.replay({ index: 0, term: 0 }), { instanceOf: WalCorruptError });
  t.regex(err.message, /entries 1\.\.\d+ after snapshot 0 are missing/);
  t.throws(() => wal.replay({ index: 60, term: 1 }), { instanceOf: WalSnapshotNotFoundError });
  await wal.close();
});

test('`Wal.releaseTo()` never deletes the current segment', async (t) => {
  const dir = await tempDir(t);
  const wal = await Wal.open(dir);
  await wal.save(null, ents(1, 5, 1));
  await wal.saveSnapshot({ index: 5, term: 1 });
  t.is(await wal.releaseTo(5), 0);
  await wal.close();
  t.is((await segmentFiles(dir)).length, 1);
});

test('a snapshot from the leader voids the log before it; replay from an older snapshot is refused', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { segmentBytes: 1024 });
  await wal.save(hs(1, 1n, 3), ents(1, 30, 1));
  await wal.saveSnapshot({ index: 3, term: 1 });
  // A leader of term 3 sends a snapshot at 10, whose entry 10 differs: entries 4..30 (uncommitted, stale) go.
  await wal.save(hs(3, 0n, 10), [], { snapshot: { index: 10, term: 2 } });
  await wal.close();
  wal = await Wal.open(dir, { segmentBytes: 1024 });
  let r = wal.replay();
  t.deepEqual(r.snapshot, { index: 10, term: 2 });
  t.deepEqual(r.entries, [], 'stale entries recorded before the snapshot are not resurrected');
  t.throws(() => wal.replay({ index: 3, term: 1 }), {
    instanceOf: WalSnapshotNotFoundError,
    code: 'ERR_WAL_SNAPSHOT_NOT_FOUND',
    message: /a snapshot at index 10 from the leader replaced the log since/,
  });
  await wal.save(hs(3, 0n, 11), [ent(11, 3), ent(12, 3)]);
  t.throws(() => wal.save(null, [ent(20, 3)]), { instanceOf: RangeError });
  t.throws(() => wal.save(null, [ent(30, 3)], { snapshot: { index: 25, term: 3 } }), {
    instanceOf: RangeError,
  });
  await wal.save(null, [ent(26, 4)], { snapshot: { index: 25, term: 3 } });
  await wal.close();
  wal = await Wal.open(dir, { segmentBytes: 1024 });
  r = wal.replay();
  t.deepEqual(r.snapshot, { index: 25, term: 3 });
  t.deepEqual(plain(r.entries), plain([ent(26, 4)]));
  const lastInstall = wal.segments.map((s) => s.hasInstall).lastIndexOf(true);
  t.true(lastInstall >= 1, 'the test spans segments');
  t.is(await wal.releaseTo(0), lastInstall, 'segments before a snapshot from the leader are void');
  t.deepEqual(plain(wal.replay().entries), plain([ent(26, 4)]));
  await wal.close();
});

test('replay from an older compaction snapshot keeps the entries between it and the newest', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir);
  await wal.save(hs(1, 1n, 20), ents(1, 20, 1));
  await wal.saveSnapshot({ index: 5, term: 1 });
  await wal.saveSnapshot({ index: 15, term: 1 });
  await wal.close();
  wal = await Wal.open(dir);
  t.deepEqual(wal.snapshots, [
    { index: 5, term: 1 },
    { index: 15, term: 1 },
  ]);
  t.deepEqual(plain(wal.replay().entries), plain(ents(16, 20, 1)));
  t.deepEqual(plain(wal.replay({ index: 5, term: 1 }).entries), plain(ents(6, 20, 1)));
  t.throws(() => wal.replay({ index: 5, term: 2 }), { instanceOf: WalSnapshotNotFoundError });
  await wal.save(null, [ent(21, 1)]);
  t.throws(() => wal.replay(), { instanceOf: IllegalStateError });
  await wal.close();
});

/** The torn-tail test for one configuration: cut the last write at every byte offset. */
async function tornTail(t: import('ava').ExecutionContext, preallocateBytes: number): Promise<void> {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { preallocateBytes });
  await wal.save(hs(1, 1n, 0), ents(1, 5, 1));
  await wal.save(hs(1, 1n, 4), [ent(6, 1, 'the sixth entry, long enough to span a few words')]);
  await wal.close();
  const path = join(dir, segmentName(1, 1));
  const whole = await readFile(path);
  const offsets = recordOffsets(whole);
  const hsRecord = offsets[offsets.length - 1] as number;
  const entryRecord = offsets[offsets.length - 2] as number;
  const lastWriteEnd = hsRecord + 16 + 24;
  for (let cut = entryRecord; cut < lastWriteEnd; cut++) {
    await writeFile(path, whole.subarray(0, cut));
    const { logger, lines } = captureLogger();
    wal = await Wal.open(dir, { logger, preallocateBytes });
    const r = wal.replay();
    const keepsEntry = cut >= hsRecord;
    t.deepEqual(
      plain(r.entries),
      plain(
        keepsEntry
          ? [...ents(1, 5, 1), ent(6, 1, 'the sixth entry, long enough to span a few words')]
          : ents(1, 5, 1),
      ),
      `cut at ${cut}`,
    );
    t.deepEqual(r.hardState, hs(1, 1n, 0), `cut at ${cut}`);
    const torn = cut !== entryRecord && cut !== hsRecord;
    const warns = lines.filter((l) => l.level === 'warn');
    if (torn) {
      t.is(warns.length, 1, `cut at ${cut}`);
      t.like(warns[0], {
        msg: 'wal truncated a torn tail',
        'wal.file': path,
        'wal.offset': keepsEntry ? hsRecord : entryRecord,
      });
      t.is((await stat(path)).size, keepsEntry ? hsRecord : entryRecord, 'the torn bytes are gone');
    } else t.deepEqual(warns, [], `cut at ${cut}`);
    const next = keepsEntry ? 7 : 6;
    await wal.save(hs(2, 2n, 5), [ent(next, 2, 'after')], {});
    await wal.close();
    wal = await Wal.open(dir, { preallocateBytes });
    const again = wal.replay();
    t.deepEqual(plain(again.entries.slice(-1)), plain([ent(next, 2, 'after')]));
    t.deepEqual(again.hardState, hs(2, 2n, 5));
    await wal.close();
  }
}

test('a torn last write is truncated with a warning at every byte offset, and appends continue (no preallocation)', async (t) => {
  await tornTail(t, 0);
});

test('a torn last write is truncated with a warning at every byte offset, and appends continue (preallocated)', async (t) => {
  await tornTail(t, 4096);
});

test('garbage appended after the last record is truncated with a warning', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { preallocateBytes: 0 });
  await wal.save(hs(1, 1n, 3), ents(1, 3, 1));
  await wal.close();
  const path = join(dir, segmentName(1, 1));
  const size = (await stat(path)).size;
  let x = 99;
  const garbage = Buffer.alloc(333);
  for (let i = 0; i < garbage.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    garbage[i] = x >>> 24;
  }
  await writeFile(path, Buffer.concat([await readFile(path), garbage]));
  const { logger, lines } = captureLogger();
  wal = await Wal.open(dir, { logger, preallocateBytes: 0 });
  t.deepEqual(plain(wal.replay().entries), plain(ents(1, 3, 1)));
  t.like(
    lines.find((l) => l.level === 'warn'),
    { msg: 'wal truncated a torn tail', 'wal.offset': size, 'wal.bytes': 333 },
  );
  t.is((await stat(path)).size, size);
  await wal.save(null, [ent(4, 1)]);
  await wal.close();
});

test('a flipped byte in a record of an older segment stops open() with the file and offset', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir, { segmentBytes: 1024 });
  for (let i = 1; i <= 60; i++) await wal.save(hs(1, 1n, i - 1), [ent(i, 1)]);
  await wal.close();
  const path = join(dir, (await segmentFiles(dir))[0] as string);
  const buf = await readFile(path);
  const off = recordOffsets(buf)[5] as number;
  for (const [at, problem] of [
    [off + 20, 'fails its checksum'],
    [off + 1, 'fails its header checksum'],
  ] as const) {
    const bad = Buffer.from(buf);
    bad[at] = (bad[at] as number) ^ 0x10;
    await writeFile(path, bad);
    const err = await t.throwsAsync(Wal.open(dir, { segmentBytes: 1024 }), {
      instanceOf: WalCorruptError,
      code: 'ERR_WAL_CORRUPT',
    });
    t.is(err.message, `Cannot open the Raft log: record at offset ${off} of ${path} ${problem}`);
    t.is(err.file, path);
    t.is(err.offset, off);
    t.like(err.fields, { 'wal.file': path, 'wal.offset': off });
  }
  await writeFile(path, buf);
  wal = await Wal.open(dir, { segmentBytes: 1024 });
  t.is(wal.replay().entries.length, 60);
  await wal.close();
});

test('a flipped byte in the last segment before a later synced write is corruption, not a torn tail', async (t) => {
  const dir = await tempDir(t);
  const wal = await Wal.open(dir);
  for (let i = 1; i <= 10; i++) await wal.save(hs(1, 1n, i - 1), [ent(i, 1)]);
  await wal.close();
  const path = join(dir, segmentName(1, 1));
  const buf = await readFile(path);
  const off = recordOffsets(buf)[4] as number;
  buf[off + 24] = (buf[off + 24] as number) ^ 1;
  await writeFile(path, buf);
  const { logger, lines } = captureLogger();
  const err = await t.throwsAsync(Wal.open(dir, { logger }), { instanceOf: WalCorruptError });
  t.regex(
    err.message,
    new RegExp(
      `^Cannot open the Raft log: record at offset ${off} of ${path} fails its checksum, and a record written after a sync follows at offset \\d+$`,
    ),
  );
  t.deepEqual(
    lines.filter((l) => l.level === 'warn'),
    [],
    'nothing was truncated',
  );
  t.is((await readFile(path)).length, buf.length);
  await t.throwsAsync(Wal.open(dir), { instanceOf: WalCorruptError }, 'and it stays refused');
});

/** Appends to the segment a record with valid checksums whose content is `patch`ed after encoding. */
async function appendCrafted(path: string, e: Entry, patch: (record: Buffer) => void): Promise<number> {
  const buf = Buffer.alloc(entryRecordBytes(e));
  writeEntry(buf, 0, e, 0);
  patch(buf);
  buf.writeUInt32LE(crc32(buf, 0, 8), 8);
  buf.writeUInt32LE(crc32(buf, 16, 16 + buf.readUInt32LE(0)), 12);
  const file = await readFile(path);
  await writeFile(path, Buffer.concat([file, buf]));
  return file.length;
}

test('a checksummed record that makes no sense is corruption, never a torn tail', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, segmentName(1, 1));
  const cases: Array<[string, Entry, (b: Buffer) => void, RegExp]> = [
    ['a gap', ent(10, 1), () => {}, /holds entry 10 would leave a gap after the last entry 3$/],
    ['an unknown type', ent(4, 1), (b) => (b[4] = 9), /has the unknown record type 9$/],
    ['a bad entry type', ent(4, 1), (b) => (b[16 + 16] = 7), /is an entry record that cannot be decoded$/],
    [
      'a second segment head',
      ent(4, 1),
      (b) => (b[4] = RecordType.segment),
      /has the unknown record type 1$/,
    ],
  ];
  for (const [name, e, patch, message] of cases) {
    const wal = await Wal.open(dir, { preallocateBytes: 0 });
    await wal.save(hs(1, 1n, 3), ents(1, 3, 1));
    await wal.close();
    const at = await appendCrafted(path, e, patch);
    const err = await t.throwsAsync(Wal.open(dir), { instanceOf: WalCorruptError }, name);
    t.regex(err.message, message, name);
    t.is(err.offset, at, name);
    await unlink(path);
  }
});

test('a snapshot marker whose term disagrees with the log is corruption', async (t) => {
  const dir = await tempDir(t);
  const wal = await Wal.open(dir);
  await wal.save(hs(1, 1n, 3), ents(1, 3, 1));
  await wal.saveSnapshot({ index: 2, term: 9 });
  await wal.close();
  await t.throwsAsync(Wal.open(dir), {
    instanceOf: WalCorruptError,
    message: /marks a snapshot at index 2 of term 9, but that entry has term 1$/,
  });
});

test('a missing middle segment or a damaged segment head stops open()', async (t) => {
  const dir = await tempDir(t);
  const wal = await Wal.open(dir, { segmentBytes: 1024 });
  for (let i = 1; i <= 80; i++) await wal.save(null, [ent(i, 1)]);
  await wal.close();
  const names = await segmentFiles(dir);
  t.true(names.length >= 3);
  const last = join(dir, names[names.length - 1] as string);
  const head = await readFile(last);
  const bad = Buffer.from(head);
  bad[30] = (bad[30] as number) ^ 0xff;
  await writeFile(last, bad);
  await t.throwsAsync(Wal.open(dir), {
    instanceOf: WalCorruptError,
    message: `Cannot open the Raft log: record at offset 0 of ${last} fails its checksum (the segment head)`,
  });
  await writeFile(last, head);
  await unlink(join(dir, names[1] as string));
  await t.throwsAsync(Wal.open(dir), {
    instanceOf: WalCorruptError,
    message: /segment 2 between them is missing/,
  });
});

test('leftover temporary segment files are removed on open', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir);
  await wal.save(null, ents(1, 2, 1));
  await wal.close();
  await writeFile(join(dir, `${segmentName(2, 3)}.tmp`), 'half a segment');
  wal = await Wal.open(dir);
  t.deepEqual(await readdir(dir), [segmentName(1, 1)]);
  t.is(wal.replay().entries.length, 2);
  await wal.close();
});

test('`Wal.save()` resolves only after its fdatasync has completed', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const wal = await Wal.open(dir, { fs });
  fs.hold('fdatasync');
  let resolved = false;
  const saved = wal.save(hs(1, 1n, 0), ents(1, 3, 1)).then(() => {
    resolved = true;
    fs.events.push({ op: 'save resolved' });
  });
  await until(() => fs.waiting('fdatasync') === 1);
  t.is(fs.waiting('fdatasync'), 1);
  for (let i = 0; i < 100; i++) await new Promise((resolve) => setImmediate(resolve));
  t.false(resolved, 'still waiting for the disk');
  fs.release('fdatasync');
  await saved;
  const ops = fs.events.map((e) => e.op);
  const tail = ops.slice(ops.lastIndexOf('write'));
  t.deepEqual(tail, ['write', 'write:done', 'fdatasync', 'fdatasync:done', 'save resolved']);
  await wal.close();
});

test('saves queued during a sync are group-committed: one write, one fdatasync, resolved in order', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const wal = await Wal.open(dir, { fs, preallocateBytes: 0 });
  fs.hold('fdatasync');
  const order: string[] = [];
  const first = wal.save(hs(1, 1n, 0), [ent(1, 1)]).then(() => order.push('a'));
  await until(() => fs.waiting('fdatasync') === 1);
  const rest = [
    wal.save(null, [ent(2, 1)]).then(() => order.push('b')),
    wal.save(hs(1, 1n, 1), [ent(3, 1), ent(4, 1)]).then(() => order.push('c')),
    wal.save(null, [ent(5, 1)], { sync: false }).then(() => order.push('d')),
  ];
  const writes = fs.count('write');
  const syncs = fs.count('fdatasync');
  fs.release('fdatasync');
  await Promise.all([first, ...rest]);
  t.deepEqual(order, ['a', 'b', 'c', 'd']);
  t.is(fs.count('write') - writes, 1, 'b, c and d in one write');
  t.is(fs.count('fdatasync') - syncs, 1, 'and one fdatasync');
  await wal.close();
  const re = await Wal.open(dir);
  t.deepEqual(plain(re.replay().entries), plain(ents(1, 5, 1)));
  await re.close();
});

test('`sync: false` writes without an fdatasync; close() syncs', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const wal = await Wal.open(dir, { fs });
  const syncs = fs.count('fdatasync');
  await wal.save(hs(1, 1n, 0), [], { sync: false });
  t.is(fs.count('fdatasync'), syncs);
  await wal.close();
  t.is(fs.count('fdatasync'), syncs + 1);
});

test('a failed fdatasync fails the save and every later one with `WalFailedError`', async (t) => {
  const dir = await tempDir(t);
  const fs = new SpyFs();
  const wal = await Wal.open(dir, { fs });
  await wal.save(null, [ent(1, 1)]);
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  fs.fail('fdatasync', eio);
  const err = await t.throwsAsync(wal.save(null, [ent(2, 1)]), {
    instanceOf: WalFailedError,
    code: 'ERR_WAL_FAILED',
  });
  t.is(err.cause, eio);
  t.regex(err.message, /^Cannot write the Raft log in .*: fdatasync failed: EIO/);
  fs.heal('fdatasync');
  await t.throwsAsync(wal.save(null, [ent(3, 1)]), { is: err });
  await wal.close();
  await t.throwsAsync(wal.save(null, [ent(3, 1)]), { instanceOf: IllegalStateError });
});

test('what open() read is made durable before anything is appended after it', async (t) => {
  const dir = await tempDir(t);
  let wal = await Wal.open(dir);
  await wal.save(null, [ent(1, 1)], { sync: false });
  // Simulate a crash: the process dies without close(); what it wrote is only in the page cache.
  const fs = new SpyFs();
  wal = await Wal.open(dir, { fs });
  t.true(fs.count('fdatasync') >= 1);
  await wal.close();
});
