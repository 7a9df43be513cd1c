import { createCipheriv, createDecipheriv, randomBytes as cryptoRandomBytes, hkdfSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { errorCode, type Logger, nullLogger } from '../../../common/index.js';
import { DATA_KEY_BYTES, nodeStorageFs, type StorageFs } from '../storage/index.js';
import { DataKeyFileError, LockedError, WrongUnlockKeyError } from './errors.js';
import { parseUnlockKey, type RandomBytes } from './unlock-key.js';

/** The file, in the Raft directory, that holds the manager's data encryption key. */
export const DEK_FILE = 'dek.json';
const FORMAT = 'swarmd-dek';
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEK_INFO = 'swarmd raft dek kek v1';
/** Binds a sealed DEK to this format and version: a file edited to claim another one does not open. */
const SEAL_AAD = Buffer.from(`${FORMAT} v${VERSION}`);

/** `dek.json`, version 1. */
type DataKeyFile =
  | { format: typeof FORMAT; version: 1; locked: false; key: string }
  | { format: typeof FORMAT; version: 1; locked: true; nonce: string; ciphertext: string };

/** Whether a Raft directory has a data key, and whether it needs the unlock key. */
export type DataKeyState = 'absent' | 'unlocked' | 'locked';

/** Options of {@link loadOrCreateDataKey}, {@link rewrapDataKey} and {@link readDataKeyState}. */
export interface DataKeyFileOptions {
  /** For a new key (and the nonce sealing it). @default crypto.randomBytes */
  randomBytes?: RandomBytes;
  /** @default the real file system */
  fs?: StorageFs;
  /** @default a logger that drops everything */
  logger?: Logger;
}

/** The key-encryption key of an unlock key: HKDF-SHA256 (the unlock key is 32 random bytes already). */
function deriveKek(unlockKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', unlockKey, Buffer.alloc(0), KEK_INFO, 32));
}

function sealDek(
  dek: Uint8Array,
  unlockKey: Buffer,
  random: RandomBytes,
): { nonce: Buffer; ciphertext: Buffer } {
  const nonce = Buffer.from(random(NONCE_BYTES));
  const c = createCipheriv('aes-256-gcm', deriveKek(unlockKey), nonce, { authTagLength: TAG_BYTES });
  c.setAAD(SEAL_AAD);
  const ciphertext = Buffer.concat([c.update(dek), c.final(), c.getAuthTag()]);
  return { nonce, ciphertext };
}

/** The DEK, or null when the unlock key does not open it. */
function openDek(nonce: Buffer, ciphertext: Buffer, unlockKey: Buffer): Buffer | null {
  const d = createDecipheriv('aes-256-gcm', deriveKek(unlockKey), nonce, { authTagLength: TAG_BYTES });
  d.setAAD(SEAL_AAD);
  d.setAuthTag(ciphertext.subarray(DATA_KEY_BYTES));
  const dek = d.update(ciphertext.subarray(0, DATA_KEY_BYTES));
  try {
    d.final();
  } catch {
    dek.fill(0);
    return null;
  }
  return dek;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a base64 field of `n` bytes. @throws DataKeyFileError naming the field */
function bytesField(path: string, obj: Record<string, unknown>, name: string, n: number): Buffer {
  const v = obj[name];
  if (typeof v !== 'string' || !B64.test(v) || v.length % 4 !== 0)
    throw new DataKeyFileError(path, `field "${name}" must be a base64 string`);
  const raw = Buffer.from(v, 'base64');
  if (raw.byteLength !== n)
    throw new DataKeyFileError(path, `field "${name}" must hold ${n} bytes, got ${raw.byteLength}`);
  return raw;
}

/** `dek.json` checked field by field. */
function parseFile(
  path: string,
  buf: Buffer,
): { locked: false; key: Buffer } | { locked: true; nonce: Buffer; ciphertext: Buffer } {
  let obj: unknown;
  try {
    obj = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new DataKeyFileError(path, 'is not valid JSON', err);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new DataKeyFileError(path, 'must hold a JSON object');
  const o = obj as Record<string, unknown>;
  if (o.format !== FORMAT) throw new DataKeyFileError(path, `field "format" must be "${FORMAT}"`);
  if (o.version !== VERSION)
    throw new DataKeyFileError(
      path,
      `field "version" is ${JSON.stringify(o.version)}; this build reads ${VERSION}`,
    );
  if (o.locked === false) return { locked: false, key: bytesField(path, o, 'key', DATA_KEY_BYTES) };
  if (o.locked === true)
    return {
      locked: true,
      nonce: bytesField(path, o, 'nonce', NONCE_BYTES),
      ciphertext: bytesField(path, o, 'ciphertext', DATA_KEY_BYTES + TAG_BYTES),
    };
  throw new DataKeyFileError(path, 'field "locked" must be true or false');
}

async function readIfExists(fs: StorageFs, path: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw new DataKeyFileError(path, 'cannot be read', err);
  }
}

/** Writes `dek.json` atomically: a temporary file (0600), fsync, rename over, directory fsync. */
async function writeFile(fs: StorageFs, dir: string, content: DataKeyFile): Promise<void> {
  const path = join(dir, DEK_FILE);
  const tmp = `${path}.tmp`;
  await fs.mkdir(dir);
  await fs.unlink(tmp).catch((err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
  const bytes = Buffer.from(`${JSON.stringify(content)}\n`);
  const fd = await fs.open(tmp, 'wx');
  try {
    await fs.write(fd, bytes, 0, bytes.length, 0);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
}

function fileContent(dek: Uint8Array, unlockKey: string | null, random: RandomBytes): DataKeyFile {
  if (unlockKey === null)
    return { format: FORMAT, version: VERSION, locked: false, key: Buffer.from(dek).toString('base64') };
  const { nonce, ciphertext } = sealDek(dek, parseUnlockKey(unlockKey), random);
  return {
    format: FORMAT,
    version: VERSION,
    locked: true,
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

function checkDek(dek: Uint8Array): void {
  if (!(dek instanceof Uint8Array) || dek.byteLength !== DATA_KEY_BYTES)
    throw new RangeError(`dek must be ${DATA_KEY_BYTES} bytes`);
}

/**
 * Whether `<dir>/dek.json` exists and whether it is sealed with an unlock key: what `swarmd` checks at
 * start to know whether to wait for `swarmd unlock`.
 * @throws DataKeyFileError when the file is unreadable or breaks its format
 */
export async function readDataKeyState(dir: string, options: DataKeyFileOptions = {}): Promise<DataKeyState> {
  const path = join(dir, DEK_FILE);
  const buf = await readIfExists(options.fs ?? nodeStorageFs, path);
  if (buf === null) return 'absent';
  return parseFile(path, buf).locked ? 'locked' : 'unlocked';
}

/**
 * The manager's data encryption key (32 bytes) from `<dir>/dek.json`, opened with `unlockKey` when the
 * file is sealed (autolock). Without the file, a new random key is made and written durably first
 * (0600; sealed when `unlockKey` is given), so that no log is ever written with a key that is not on disk.
 * An unlock key given for a file in clear is ignored (see {@link rewrapDataKey} to seal it).
 * @throws LockedError when the file is sealed and `unlockKey` is null
 * @throws WrongUnlockKeyError when `unlockKey` does not open it
 * @throws InvalidUnlockKeyError when `unlockKey` is not an unlock key
 * @throws DataKeyFileError when the file breaks its format, or is missing while `<dir>/wal` holds a log
 */
export async function loadOrCreateDataKey(
  dir: string,
  options: DataKeyFileOptions & { unlockKey: string | null },
): Promise<Buffer> {
  const fs = options.fs ?? nodeStorageFs;
  const random = options.randomBytes ?? cryptoRandomBytes;
  const logger = (options.logger ?? nullLogger).child({ module: 'manager/replication/encryption' });
  const unlockKey = options.unlockKey;
  // A bad key is reported as such even when the file would not need it.
  const unlockBytes = unlockKey === null ? null : parseUnlockKey(unlockKey);
  const path = join(dir, DEK_FILE);
  const buf = await readIfExists(fs, path);
  if (buf === null) {
    if ((await fs.readdir(join(dir, 'wal'))).some((n) => n.endsWith('.wal')))
      throw new DataKeyFileError(
        path,
        `is missing, but ${join(dir, 'wal')} holds a Raft log: restore the file (a new key could not read the log)`,
      );
    const dek = Buffer.from(random(DATA_KEY_BYTES));
    checkDek(dek);
    await writeFile(fs, dir, fileContent(dek, unlockKey, random));
    await fs.syncDir(dirname(dir)); // the directory itself may be new
    logger.info('data encryption key created', { file: path, locked: unlockKey !== null });
    return dek;
  }
  const file = parseFile(path, buf);
  if (!file.locked) return file.key;
  if (unlockBytes === null) throw new LockedError(path);
  const dek = openDek(file.nonce, file.ciphertext, unlockBytes);
  if (dek === null) throw new WrongUnlockKeyError(path);
  return dek;
}

/**
 * Rewrites `<dir>/dek.json` (atomically) with the same data key `dek` (the one {@link loadOrCreateDataKey}
 * returned): sealed with `unlockKey`, or in clear when it is null. Turns autolock on or off, or moves to a
 * new unlock key. The data key itself stays: the log needs no rewrite (see README.md for what that does
 * and does not protect).
 * @throws InvalidUnlockKeyError when `unlockKey` is not an unlock key
 * @throws RangeError when `dek` is not 32 bytes
 */
export async function rewrapDataKey(
  dir: string,
  dek: Uint8Array,
  unlockKey: string | null,
  options: DataKeyFileOptions = {},
): Promise<void> {
  checkDek(dek);
  const content = fileContent(dek, unlockKey, options.randomBytes ?? cryptoRandomBytes);
  await writeFile(options.fs ?? nodeStorageFs, dir, content);
  (options.logger ?? nullLogger)
    .child({ module: 'manager/replication/encryption' })
    .info('data encryption key rewrapped', { file: join(dir, DEK_FILE), locked: unlockKey !== null });
}
