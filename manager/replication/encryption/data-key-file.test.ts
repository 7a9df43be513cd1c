import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { DiskStorage } from '../storage/index.js';
import { ent, SpyFs, tempDir } from '../storage/testing/index.js';
import { DEK_FILE, loadOrCreateDataKey, readDataKeyState, rewrapDataKey } from './data-key-file.js';
import { DataKeyFileError, InvalidUnlockKeyError, LockedError, WrongUnlockKeyError } from './errors.js';
import { generateUnlockKey } from './unlock-key.js';

const K1 = generateUnlockKey();
const K2 = generateUnlockKey();

async function fileJson(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, DEK_FILE), 'utf8')) as Record<string, unknown>;
}

test('a new manager gets a random 32-byte key in dek.json (0600), and the same key ever after', async (t) => {
  const dir = join(await tempDir(t), 'raft');
  t.is(await readDataKeyState(dir), 'absent');
  const dek = await loadOrCreateDataKey(dir, { unlockKey: null });
  t.is(dek.length, 32);
  t.is((await stat(join(dir, DEK_FILE))).mode & 0o777, 0o600);
  t.is((await stat(dir)).mode & 0o077, 0, 'the directory is not open to others');
  t.deepEqual(await fileJson(dir), {
    format: 'swarmd-dek',
    version: 1,
    locked: false,
    key: dek.toString('base64'),
  });
  t.is(await readDataKeyState(dir), 'unlocked');
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: null }), dek);
  t.deepEqual(
    await loadOrCreateDataKey(dir, { unlockKey: K1 }),
    dek,
    'a key for a file in clear is not needed',
  );
  const other = await loadOrCreateDataKey(join(await tempDir(t), 'raft'), { unlockKey: null });
  t.false(other.equals(dek));
});

test('created with an unlock key, dek.json holds the key sealed; without the key: LockedError, wrong key: WrongUnlockKeyError', async (t) => {
  const dir = await tempDir(t);
  let n = 0;
  const randomBytes = (len: number) => Buffer.alloc(len, ++n);
  const dek = await loadOrCreateDataKey(dir, { unlockKey: K1, randomBytes });
  t.deepEqual(dek, Buffer.alloc(32, 1));
  const f = await fileJson(dir);
  t.deepEqual(Object.keys(f).sort(), ['ciphertext', 'format', 'locked', 'nonce', 'version']);
  t.like(f, {
    format: 'swarmd-dek',
    version: 1,
    locked: true,
    nonce: Buffer.alloc(12, 2).toString('base64'),
  });
  const raw = await readFile(join(dir, DEK_FILE));
  t.false(raw.includes(dek.toString('base64')) || raw.includes(dek), 'the key is not in the file');
  t.is(await readDataKeyState(dir), 'locked');

  const locked = await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: null }), {
    instanceOf: LockedError,
  });
  t.is(locked.code, 'ERR_ENCRYPTION_LOCKED');
  t.is(locked.message, 'this manager is locked: give the unlock key (swarmd unlock)');
  const wrong = await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: K2 }), {
    instanceOf: WrongUnlockKeyError,
  });
  t.is(wrong.code, 'ERR_ENCRYPTION_WRONG_UNLOCK_KEY');
  t.false(wrong.message.includes(K2.slice(9)));
  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: 'SWMKEY-1-nope' }), {
    instanceOf: InvalidUnlockKeyError,
  });
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: ` ${K1}\n` }), dek);
  t.deepEqual(raw, await readFile(join(dir, DEK_FILE)), 'failed unlocks change nothing');
});

test('a sealed DEK whose file was edited does not open', async (t) => {
  const dir = await tempDir(t);
  await loadOrCreateDataKey(dir, { unlockKey: K1 });
  const f = await fileJson(dir);
  const ct = Buffer.from(f.ciphertext as string, 'base64');
  ct[0] = (ct[0] as number) ^ 1;
  await writeFile(join(dir, DEK_FILE), JSON.stringify({ ...f, ciphertext: ct.toString('base64') }));
  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: K1 }), { instanceOf: WrongUnlockKeyError });
});

test('`rewrapDataKey()` turns autolock on, changes the unlock key and turns it off, keeping the same DEK', async (t) => {
  const dir = await tempDir(t);
  const dek = await loadOrCreateDataKey(dir, { unlockKey: null });
  await rewrapDataKey(dir, dek, K1);
  t.is(await readDataKeyState(dir), 'locked');
  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: null }), { instanceOf: LockedError });
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: K1 }), dek);
  await rewrapDataKey(dir, dek, K2);
  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: K1 }), { instanceOf: WrongUnlockKeyError });
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: K2 }), dek);
  await rewrapDataKey(dir, dek, null);
  const state = await readDataKeyState(dir);
  t.is(state, 'unlocked');
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: null }), dek);
  t.is((await stat(join(dir, DEK_FILE))).mode & 0o777, 0o600);
  await t.throwsAsync(rewrapDataKey(dir, dek, 'SWMKEY-1-'), { instanceOf: InvalidUnlockKeyError });
  await t.throwsAsync(rewrapDataKey(dir, dek.subarray(1), null), { instanceOf: RangeError });
  t.deepEqual(await loadOrCreateDataKey(dir, { unlockKey: null }), dek, 'a refused rewrap wrote nothing');
});

test('dek.json is written atomically: temporary file, fsync, rename, directory fsync; a failed rename leaves the old file', async (t) => {
  const dir = await tempDir(t);
  const dek = await loadOrCreateDataKey(dir, { unlockKey: null });
  await writeFile(join(dir, `${DEK_FILE}.tmp`), 'left over by a crash');
  const fs = new SpyFs();
  await rewrapDataKey(dir, dek, K1, { fs });
  const tmp = join(dir, `${DEK_FILE}.tmp`);
  const ops = fs.events.filter((e) => !e.op.endsWith(':done')).map((e) => `${e.op} ${e.path ?? ''}`.trim());
  t.deepEqual(ops, [
    `mkdir ${dir}`,
    `unlink ${tmp}`,
    `open ${tmp}`,
    'write',
    'fsync',
    'close',
    `rename ${join(dir, DEK_FILE)}`,
    `syncDir ${dir}`,
  ]);
  const failing = new SpyFs();
  failing.fail('rename', new Error('EIO: injected'));
  await t.throwsAsync(rewrapDataKey(dir, dek, K2, { fs: failing }), { message: /injected/ });
  t.deepEqual(
    await loadOrCreateDataKey(dir, { unlockKey: K1 }),
    dek,
    'the file in place is the previous one',
  );
});

test('dek.json that breaks its format: DataKeyFileError naming the field', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, DEK_FILE);
  const key = Buffer.alloc(32, 1).toString('base64');
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"format":', /is not valid JSON$/],
    ['an array', '[]', /must hold a JSON object$/],
    [
      'another format',
      JSON.stringify({ format: 'x', version: 1, locked: false, key }),
      /field "format" must be "swarmd-dek"$/,
    ],
    [
      'a newer version',
      JSON.stringify({ format: 'swarmd-dek', version: 2, locked: false, key }),
      /field "version" is 2; this build reads 1$/,
    ],
    [
      'locked not a boolean',
      JSON.stringify({ format: 'swarmd-dek', version: 1, locked: 'no', key }),
      /field "locked" must be true or false$/,
    ],
    [
      'a short key',
      JSON.stringify({ format: 'swarmd-dek', version: 1, locked: false, key: 'AAAA' }),
      /field "key" must hold 32 bytes, got 3$/,
    ],
    [
      'a key not base64',
      JSON.stringify({ format: 'swarmd-dek', version: 1, locked: false, key: '!'.repeat(44) }),
      /field "key" must be a base64 string$/,
    ],
    [
      'no nonce',
      JSON.stringify({ format: 'swarmd-dek', version: 1, locked: true, ciphertext: key }),
      /field "nonce" must be a base64 string$/,
    ],
  ];
  for (const [name, content, rule] of cases) {
    await writeFile(path, content);
    const err = await t.throwsAsync(
      loadOrCreateDataKey(dir, { unlockKey: null }),
      { instanceOf: DataKeyFileError },
      name,
    );
    t.is(err.code, 'ERR_ENCRYPTION_DEK_FILE_INVALID', name);
    t.regex(err.message, rule, name);
    t.is(await readFile(path, 'utf8'), content, `${name}: the file is left alone`);
  }
});

test('a missing dek.json beside a Raft log is an error, not a new key', async (t) => {
  const dir = await tempDir(t);
  const dek = await loadOrCreateDataKey(dir, { unlockKey: null });
  const s = await DiskStorage.open(dir, { dataKey: dek });
  await s.close();
  await unlink(join(dir, DEK_FILE));
  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: null }), {
    instanceOf: DataKeyFileError,
    message: /is missing, but .*wal holds a Raft log: restore the file/,
  });
  t.is(await readDataKeyState(dir), 'absent', 'and it did not write one');
});

test('autolock end to end: a restarted locked manager opens its log only with the unlock key', async (t) => {
  const dir = await tempDir(t);
  const secret = 'db-password=hunter2';
  let dek = await loadOrCreateDataKey(dir, { unlockKey: null });
  let s = await DiskStorage.open(dir, { dataKey: dek });
  await s.save({ term: 1, vote: 1n, commit: 1 }, [ent(1, 1, secret)]);
  await rewrapDataKey(dir, dek, K1); // swarmctl cluster update --autolock
  await s.close();

  await t.throwsAsync(loadOrCreateDataKey(dir, { unlockKey: null }), { instanceOf: LockedError });
  dek = await loadOrCreateDataKey(dir, { unlockKey: K1 }); // swarmd unlock
  s = await DiskStorage.open(dir, { dataKey: dek });
  t.is(Buffer.from(s.entries(1, 2, Infinity)[0]?.data ?? []).toString(), secret);
  await s.close();
});
