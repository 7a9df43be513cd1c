import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';

/** Bytes of a data encryption key (AES-256). */
export const DATA_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** What sealing adds to the data: the nonce before it, the tag after it. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/** Cipher ids as recorded on disk (segment heads, snapshot files): 0 is data in clear. */
export const Cipher = {
  none: 0,
  aes256gcm: 1,
} as const;
export type Cipher = (typeof Cipher)[keyof typeof Cipher];

const KEY_ID_LABEL = 'swarmd raft data key id';
/** Nonces are cut from a pool of CSPRNG bytes: one randomFillSync costs ~3 µs, as much as sealing 256 bytes. */
const NONCE_POOL = 4096 - (4096 % NONCE_BYTES);

/**
 * AES-256-GCM with one data encryption key (DEK): seals a record's data as `nonce (12) | ciphertext |
 * tag (16)` with a fresh random nonce each time, the caller's additional authenticated data binding it to
 * where it belongs (an entry's term, index and type; a snapshot's metadata), so a sealed record moved
 * elsewhere does not open.
 *
 * `keyId` names the key on disk (a u32 from an HMAC of the key: it tells "another key" from "tampered
 * with" without revealing anything usable about the key).
 *
 * Random 96-bit nonces keep the chance of a repeat below 2^-32 for up to 2^32 records per key (NIST
 * SP 800-38D); past that the key must be rotated (see README.md).
 */
export class Sealer {
  readonly keyId: number;
  readonly #key: KeyObject;
  readonly #nonces = Buffer.allocUnsafe(NONCE_POOL);
  #nonceAt = NONCE_POOL;

  /** @throws RangeError when `key` is not {@link DATA_KEY_BYTES} bytes */
  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.byteLength !== DATA_KEY_BYTES)
      throw new RangeError(
        `dataKey must be ${DATA_KEY_BYTES} bytes (AES-256), got ${key instanceof Uint8Array ? key.byteLength : typeof key}`,
      );
    // createSecretKey copies the bytes: a caller that later zeroes its buffer does not change ours.
    this.#key = createSecretKey(key);
    this.keyId = createHmac('sha256', key).update(KEY_ID_LABEL).digest().readUInt32LE(0);
  }

  /** Bytes that sealing `n` bytes of data produces. */
  static sealedBytes(n: number): number {
    return n + SEAL_OVERHEAD;
  }

  /**
   * Seals `data` into `buf` at `off` (room for {@link sealedBytes}: nonce, ciphertext, tag) with `aad` as
   * additional authenticated data; returns the end.
   */
  sealInto(buf: Buffer, off: number, data: Uint8Array, aad: Uint8Array): number {
    if (this.#nonceAt === NONCE_POOL) {
      randomFillSync(this.#nonces);
      this.#nonceAt = 0;
    }
    // Each slice is used once: a nonce never repeats unless the CSPRNG's output does.
    this.#nonces.copy(buf, off, this.#nonceAt, this.#nonceAt + NONCE_BYTES);
    this.#nonces.fill(0, this.#nonceAt, this.#nonceAt + NONCE_BYTES);
    this.#nonceAt += NONCE_BYTES;
    const c = createCipheriv('aes-256-gcm', this.#key, buf.subarray(off, off + NONCE_BYTES));
    c.setAAD(aad);
    let p = off + NONCE_BYTES;
    // node:crypto has no update-into-a-buffer: this is the one copy sealing adds to a write.
    if (data.byteLength > 0) {
      const out = c.update(data);
      buf.set(out, p);
      p += out.length;
    }
    c.final();
    c.getAuthTag().copy(buf, p);
    return p + TAG_BYTES;
  }

  /**
   * The data sealed in `buf[start, end)` (as {@link sealInto} wrote it) with `aad`, or null when it does
   * not authenticate (tampered with, moved, or sealed with another key). Never returns unauthenticated
   * bytes.
   */
  open(buf: Buffer, start: number, end: number, aad: Uint8Array): Buffer | null {
    if (end - start < SEAL_OVERHEAD) return null;
    const d = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(start, start + NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    d.setAAD(aad);
    d.setAuthTag(buf.subarray(end - TAG_BYTES, end));
    const out = d.update(buf.subarray(start + NONCE_BYTES, end - TAG_BYTES));
    try {
      d.final();
    } catch {
      out.fill(0);
      return null;
    }
    return out;
  }
}
