import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { ConfState, Entry, HardState } from '../../raft/index.js';
import { crc32 } from './crc32.js';
import { DiskStorage } from './disk-storage.js';
import { SnapshotCorruptError, WalCorruptError, WrongDataKeyError } from './errors.js';
import { compileDiskStorageOptions } from './options.js';
import { RecordCursor, RecordType, writeEntry } from './record.js';
import { DATA_KEY_BYTES, Sealer } from './sealer.js';
import { Snapshotter, snapshotName } from './snapshotter.js';
import { captureLogger, ent, ents, plain, tempDir } from './testing/index.js';
import { segmentName, Wal } from './wal.js';

const hs = (term: number, vote: bigint, commit: number): HardState => ({ term, vote, commit });
const cs: ConfState = { voters: [1n, 2n, 3n], learners: [] };
const keyA = Buffer.alloc(DATA_KEY_BYTES, 0xa1);
const keyB = Buffer.alloc(DATA_KEY_BYTES, 0xb2);
const SECRET = 'the-password-is-hunter2';

/** Every file under `dir`, recursively, with its bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    out.set(p, await readFile(p));
  }
  return out;
}

/** A digest of every file's name, size and bytes under `dir`. */
async function fingerprint(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const [p, b] of [...(await files(dir))].sort(([a], [b]) => a.localeCompare(b)))
    h.update(p).update(String(b.length)).update(b);
  return h.digest('hex');
}

/** The files under `dir` that hold `needle` (in clear, or as UTF-16, or in base64/hex). */
async function holding(dir: string, needle: string): Promise<string[]> {
  const forms = [
    Buffer.from(needle),
    Buffer.from(needle, 'utf16le'),
    Buffer.from(Buffer.from(needle).toString('base64').slice(0, 16)),
    Buffer.from(Buffer.from(needle).toString('hex')),
  ];
  const found: string[] = [];
  for (const [p, b] of await files(dir)) if (forms.some((f) => b.includes(f))) found.push(p);
  return found;
}

function allEntries(s: DiskStorage): Entry[] {
  return s.lastIndex() < s.firstIndex() ? [] : s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
}

function recordOffsets(buf: Buffer): number[] {
  const c = new RecordCursor();
  const out: number[] = [];
  for (let off = 0; off < buf.length && c.read(buf, off, buf.length); off = c.next) out.push(off);
  return out;
}

/** Recomputes both checksums of the record at `off` (an attacker who knows the format). */
function reChecksum(buf: Buffer, off: number): void {
  buf.writeUInt32LE(crc32(buf, off, off + 8), off + 8);
  buf.writeUInt32LE(crc32(buf, off + 16, off + 16 + buf.readUInt32LE(off)), off + 12);
}

test('a sealed entry and a sealed snapshot are in no file of the data dir, and read back intact after a restart', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir, { dataKey: keyA });
  await s.save(hs(1, 1n, 0), [ent(1, 1, `entry says ${SECRET}`), ent(2, 1, 'cc', 'confChange')]);
  await s.save(hs(1, 1n, 2), ents(3, 5, 1));
  t.deepEqual(await holding(dir, SECRET), [], 'the entry is sealed');
  await s.createSnapshot(4, cs, Buffer.from(`snapshot says ${SECRET} too`));
  await s.save(hs(2, 1n, 5), [ent(6, 2, `later ${SECRET}`)]);
  await s.close();
  t.deepEqual(await holding(dir, SECRET), [], 'the snapshot is sealed');
  t.deepEqual(await holding(dir, 'entry says'), []);

  s = await DiskStorage.open(dir, { dataKey: Buffer.from(keyA) });
  t.like(s.recovered, {
    isNew: false,
    appliedIndex: 4,
    lastIndex: 6,
    hardState: hs(2, 1n, 5),
    confState: cs,
  });
  t.is(Buffer.from(s.recovered.snapshot?.data ?? []).toString(), `snapshot says ${SECRET} too`);
  t.deepEqual(plain(allEntries(s)), plain([ent(5, 1), ent(6, 2, `later ${SECRET}`)]));
  t.deepEqual(
    plain(s.wal.replay({ index: 0, term: 0 }).entries),
    plain([
      ent(1, 1, `entry says ${SECRET}`),
      ent(2, 1, 'cc', 'confChange'),
      ...ents(3, 5, 1),
      ent(6, 2, `later ${SECRET}`),
    ]),
    'every entry opens, from the start of the log too',
  );
  await s.close();
});

test('without a data key the same data is in clear (the check above can see it)', async (t) => {
  const dir = await tempDir(t);
  const s = await DiskStorage.open(dir);
  await s.save(hs(1, 1n, 1), [ent(1, 1, SECRET)]);
  await s.createSnapshot(1, cs, Buffer.from(SECRET));
  await s.close();
  t.is((await holding(dir, SECRET)).length, 2);
});

test('the wrong data key, no key, or a key for a log in clear: WrongDataKeyError at open, nothing changed', async (t) => {
  const dir = await tempDir(t);
  const s = await DiskStorage.open(dir, { dataKey: keyA, preallocateBytes: 4096 });
  await s.save(hs(1, 1n, 3), ents(1, 3, 1));
  await s.createSnapshot(2, cs, Buffer.from('state'));
  await s.save(null, ents(4, 5, 1), null, { sync: false });
  await s.close();
  // A torn tail that a right-key open would truncate: a wrong-key open must not touch it.
  const seg = join(dir, 'wal', segmentName(1, 1));
  const segBuf = await readFile(seg);
  const last = recordOffsets(segBuf).at(-1) as number;
  segBuf[last + 20] = (segBuf[last + 20] as number) ^ 0xff;
  await writeFile(seg, segBuf);
  const before = await fingerprint(dir);
  const a = new Sealer(keyA).keyId;
  const b = new Sealer(keyB).keyId;

  const wrong = await t.throwsAsync(DiskStorage.open(dir, { dataKey: keyB }), {
    instanceOf: WrongDataKeyError,
  });
  t.is(wrong.code, 'ERR_RAFT_WRONG_DATA_KEY');
  t.is(wrong.onDiskKeyId, a);
  t.is(wrong.givenKeyId, b);
  t.regex(
    wrong.message,
    /^Cannot open the Raft storage: .*0000000000000001-0000000000000001\.wal is encrypted with data key [0-9a-f]{8}, not with the given key [0-9a-f]{8}$/,
  );
  const none = await t.throwsAsync(DiskStorage.open(dir), { instanceOf: WrongDataKeyError });
  t.regex(none.message, /is encrypted with data key [0-9a-f]{8}, and no data key was given$/);
  t.is(await fingerprint(dir), before, 'no file was changed, truncated, renamed or removed');

  const clear = await tempDir(t);
  const c = await DiskStorage.open(clear);
  await c.save(hs(1, 1n, 1), [ent(1, 1)]);
  await c.close();
  const withKey = await t.throwsAsync(DiskStorage.open(clear, { dataKey: keyA }), {
    instanceOf: WrongDataKeyError,
  });
  t.regex(withKey.message, /is not encrypted, but a data key was given/);

  const ok = await DiskStorage.open(dir, { dataKey: keyA });
  t.is(ok.lastIndex(), 4, 'the right key opens it, and only then is the torn tail truncated');
  await ok.close();
});

test('a snapshot sealed with another key is refused, never renamed as damaged nor skipped', async (t) => {
  const dir = await tempDir(t);
  const snapA = new Snapshotter(dir, { dataKey: keyA });
  await snapA.save({ metadata: { index: 5, term: 2, confState: cs }, data: Buffer.from(SECRET) });
  const file = { path: join(dir, snapshotName(2, 5)), index: 5, term: 2 };
  t.is(Buffer.from((await snapA.load(file)).data).toString(), SECRET);
  for (const other of [new Snapshotter(dir, { dataKey: keyB }), new Snapshotter(dir)])
    await t.throwsAsync(other.loadNewest(), { instanceOf: WrongDataKeyError });
  t.deepEqual(await readdir(dir), [snapshotName(2, 5)]);

  const clearDir = await tempDir(t);
  await new Snapshotter(clearDir).save({
    metadata: { index: 5, term: 2, confState: cs },
    data: Buffer.from('x'),
  });
  await t.throwsAsync(new Snapshotter(clearDir, { dataKey: keyA }).loadNewest(), {
    instanceOf: WrongDataKeyError,
    message: /is not encrypted, but a data key was given/,
  });
});

test('a sealed snapshot changed behind its checksums does not open: data, metadata or key id', async (t) => {
  const dir = await tempDir(t);
  const snap = new Snapshotter(dir, { dataKey: keyA });
  const path = await snap.save({
    metadata: { index: 5, term: 2, confState: cs },
    data: Buffer.alloc(100, 1),
  });
  const good = await readFile(path);
  const file = { path, index: 5, term: 2 };
  const m = good.readUInt32LE(8);
  /** Rewrites the file with `patch` applied and every checksum recomputed. */
  const tamper = async (patch: (b: Buffer) => void): Promise<void> => {
    const b = Buffer.from(good);
    patch(b);
    b.writeUInt32LE(crc32(b, 32, 32 + m), 12);
    b.writeUInt32LE(crc32(b, 32 + m), 24);
    b.writeUInt32LE(crc32(b, 0, 28), 28);
    await writeFile(path, b);
  };
  await tamper((b) => {
    b[b.length - 30] = (b[b.length - 30] as number) ^ 1;
  });
  await t.throwsAsync(snap.load(file), {
    instanceOf: SnapshotCorruptError,
    message: /its data fails authentication/,
  });
  // Another membership under the same sealed data: the metadata is authenticated too.
  await tamper((b) => b.writeBigUInt64LE(9n, 32 + 24));
  await t.throwsAsync(snap.load(file), { instanceOf: SnapshotCorruptError, message: /fails authentication/ });
  // A flipped byte without new checksums: the checksum catches it first.
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
  await writeFile(path, flipped);
  await t.throwsAsync(snap.load(file), {
    instanceOf: SnapshotCorruptError,
    message: /its data fails its checksum/,
  });
  await writeFile(path, good);
  t.deepEqual((await snap.load(file)).data, Buffer.alloc(100, 1));
});

test('a flipped byte in a sealed record: a torn last write is truncated, damage before a synced record is an error', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, segmentName(1, 1));
  const wal = await Wal.open(dir, { dataKey: keyA, preallocateBytes: 0 });
  await wal.save(hs(1, 1n, 2), ents(1, 3, 1));
  await wal.save(hs(1, 1n, 3), [ent(4, 1, SECRET)]);
  await wal.close();
  const good = await readFile(path);
  const offs = recordOffsets(good);
  // records: head, e1, e2, e3, hs, e4, hs
  const e4 = offs[5] as number;

  const { logger, lines } = captureLogger();
  const torn = Buffer.from(good);
  torn[e4 + 40] = (torn[e4 + 40] as number) ^ 0x10; // inside the last write's ciphertext
  await writeFile(path, torn);
  let re = await Wal.open(dir, { dataKey: keyA, logger });
  t.deepEqual(plain(re.replay().entries), plain(ents(1, 3, 1)));
  t.is(lines.filter((l) => l.msg === 'wal truncated a torn tail').length, 1);
  await re.close();

  const damaged = Buffer.from(good);
  const e2 = offs[2] as number;
  damaged[e2 + 40] = (damaged[e2 + 40] as number) ^ 0x10; // the first write, followed by a synced one
  await writeFile(path, damaged);
  await t.throwsAsync(Wal.open(dir, { dataKey: keyA }), {
    instanceOf: WalCorruptError,
    message: /fails its checksum, and a record written after a sync follows/,
  });

  await writeFile(path, good);
  re = await Wal.open(dir, { dataKey: keyA });
  t.deepEqual(plain(re.replay().entries), plain([...ents(1, 3, 1), ent(4, 1, SECRET)]));
  await re.close();
});

test('a sealed record changed behind its checksums is corruption, even as the last record: ciphertext, tag, or moved', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, segmentName(1, 1));
  const wal = await Wal.open(dir, { dataKey: keyA, preallocateBytes: 0 });
  await wal.save(hs(1, 1n, 2), ents(1, 3, 1));
  await wal.close();
  const good = await readFile(path);
  const offs = recordOffsets(good);
  const e3 = offs[3] as number;
  const bodyEnd = e3 + 16 + good.readUInt32LE(e3);
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['a ciphertext byte', (b) => (b[e3 + 16 + 17 + 12] = (b[e3 + 16 + 17 + 12] as number) ^ 1)],
    ['a tag byte', (b) => (b[bodyEnd - 1] = (b[bodyEnd - 1] as number) ^ 1)],
    ['a nonce byte', (b) => (b[e3 + 16 + 17] = (b[e3 + 16 + 17] as number) ^ 1)],
    // e3 moved to another term: index, term and type are the additional authenticated data.
    ['its term', (b) => b.writeUInt32LE(7, e3 + 16)],
    ['its type', (b) => (b[e3 + 16 + 16] = 1)],
  ];
  for (const [name, patch] of cases) {
    const b = Buffer.from(good);
    patch(b);
    reChecksum(b, e3);
    await writeFile(path, b);
    const err = await t.throwsAsync(Wal.open(dir, { dataKey: keyA }), { instanceOf: WalCorruptError }, name);
    t.regex(err.message, /is a sealed entry that fails authentication/, name);
    t.is(err.offset, e3, name);
  }
  // An entry in clear slipped into an encrypted segment, with valid checksums.
  const plainRecord = Buffer.alloc(64);
  const end = writeEntry(plainRecord, 0, ent(4, 1, 'forged'), 0);
  await writeFile(path, Buffer.concat([good, plainRecord.subarray(0, end)]));
  await t.throwsAsync(Wal.open(dir, { dataKey: keyA }), {
    instanceOf: WalCorruptError,
    message: /is an entry in clear in an encrypted segment$/,
  });
  t.is((await stat(path)).size, good.length + end, 'nothing truncated');
});

test('a torn sealed write is truncated at every byte offset of the last write, keeping its whole records', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, segmentName(1, 1));
  const wal = await Wal.open(dir, { dataKey: keyA, preallocateBytes: 0 });
  await wal.save(hs(1, 1n, 2), ents(1, 2, 1));
  await wal.save(hs(1, 1n, 3), [ent(3, 1, SECRET), ent(4, 1)]);
  await wal.close();
  const good = await readFile(path);
  const offs = recordOffsets(good); // head, e1, e2, hs, then the last write: e3, e4, hs
  const all = [...ents(1, 2, 1), ent(3, 1, SECRET), ent(4, 1)];
  for (let cut = offs[4] as number; cut < good.length; cut++) {
    await writeFile(path, good.subarray(0, cut));
    const re = await Wal.open(dir, { dataKey: keyA });
    const r = re.replay();
    await re.close();
    const whole = offs.filter((_, i) => i >= 4 && i <= 5 && (offs[i + 1] as number) <= cut).length;
    if (
      JSON.stringify(plain(r.entries)) !== JSON.stringify(plain(all.slice(0, 2 + whole))) ||
      r.hardState.commit !== 2
    ) {
      t.fail(`cut at ${cut}: ${JSON.stringify(plain(r.entries))}`);
      return;
    }
  }
  t.pass();
});

test('`Sealer`: a 32-byte key, a stable key id, the data bound to its additional data', (t) => {
  t.throws(() => new Sealer(Buffer.alloc(16)), {
    instanceOf: RangeError,
    message: /dataKey must be 32 bytes \(AES-256\), got 16/,
  });
  t.throws(() => compileDiskStorageOptions({ dataKey: Buffer.alloc(31) }), {
    instanceOf: RangeError,
    message: /dataKey must be 32 bytes/,
  });
  const s = new Sealer(keyA);
  t.is(s.keyId, new Sealer(Buffer.from(keyA)).keyId);
  t.not(s.keyId, new Sealer(keyB).keyId);
  const aad = Buffer.from('where');
  const buf = Buffer.alloc(Sealer.sealedBytes(5));
  t.is(s.sealInto(buf, 0, Buffer.from('hello'), aad), buf.length);
  t.false(buf.includes(Buffer.from('hello')));
  t.is(s.open(buf, 0, buf.length, aad)?.toString(), 'hello');
  t.is(s.open(buf, 0, buf.length, Buffer.from('there')), null);
  t.is(new Sealer(keyB).open(buf, 0, buf.length, aad), null);
  const again = Buffer.alloc(buf.length);
  s.sealInto(again, 0, Buffer.from('hello'), aad);
  t.false(again.equals(buf), 'a fresh nonce each time');
  const empty = Buffer.alloc(Sealer.sealedBytes(0));
  s.sealInto(empty, 0, new Uint8Array(0), aad);
  t.is(s.open(empty, 0, empty.length, aad)?.length, 0);
});

test('segment rollover and release keep every segment sealed with the key', async (t) => {
  const dir = await tempDir(t);
  let s = await DiskStorage.open(dir, { dataKey: keyA, segmentBytes: 2048, preallocateBytes: 0 });
  for (let i = 1; i <= 60; i++) await s.save(hs(1, 1n, i - 1), [ent(i, 1, `${SECRET}-${i}`)]);
  const before = s.wal.segments.length;
  t.true(before > 3);
  await s.createSnapshot(50, cs, Buffer.from(SECRET));
  await s.compact(50);
  t.true(s.wal.segments.length < before, 'segments were released');
  await s.close();
  t.deepEqual(await holding(dir, SECRET), []);
  s = await DiskStorage.open(dir, { dataKey: keyA, segmentBytes: 2048 });
  t.deepEqual(
    plain(allEntries(s)),
    plain(Array.from({ length: 10 }, (_, k) => ent(51 + k, 1, `${SECRET}-${51 + k}`))),
  );
  await s.close();
  const reformat = await readFile(join(dir, 'wal', (await readdir(join(dir, 'wal'))).sort()[0] as string));
  t.is(reformat.readUInt32LE(16 + 4), 2, 'segment heads are format version 2');
  t.is(reformat[16 + 64], 1, 'naming AES-256-GCM');
  t.is(reformat.readUInt32LE(16 + 68), new Sealer(keyA).keyId);
  t.is(RecordType.sealedEntry, 5);
});
