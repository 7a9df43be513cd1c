import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { InvalidUnlockKeyError } from './errors.js';

/** What every unlock key starts with (swarmkit's shape: `SWMKEY-1-` then the key in base64). */
export const UNLOCK_KEY_PREFIX = 'SWMKEY-1-';
/** Bytes of an unlock key. */
export const UNLOCK_KEY_BYTES = 32;

/** A source of random bytes (`crypto.randomBytes`; tests pass a seeded one). */
export type RandomBytes = (n: number) => Uint8Array;

const B64_UNPADDED = 43; // ceil(32 * 8 / 6)
const B64 = /^[A-Za-z0-9+/]+$/;

/**
 * A new unlock key: `SWMKEY-1-` and 32 random bytes in base64 without padding (43 characters), as
 * swarmkit prints them.
 */
export function generateUnlockKey(randomBytes: RandomBytes = cryptoRandomBytes): string {
  const raw = randomBytes(UNLOCK_KEY_BYTES);
  if (raw.byteLength !== UNLOCK_KEY_BYTES)
    throw new RangeError(`randomBytes(${UNLOCK_KEY_BYTES}) returned ${raw.byteLength} bytes`);
  return UNLOCK_KEY_PREFIX + Buffer.from(raw).toString('base64').replace(/=+$/, '');
}

/**
 * The 32 bytes of an unlock key given as text. Whitespace around it (a pasted line) is ignored; the
 * base64 may carry its one `=` of padding or not.
 * @throws InvalidUnlockKeyError naming the rule the text breaks (the text itself is never repeated)
 */
export function parseUnlockKey(text: string): Buffer {
  if (typeof text !== 'string') throw new InvalidUnlockKeyError(`it must be a string, got ${typeof text}`);
  const t = text.trim();
  if (t === '') throw new InvalidUnlockKeyError('it is empty');
  if (!t.startsWith(UNLOCK_KEY_PREFIX))
    throw new InvalidUnlockKeyError(`it must start with "${UNLOCK_KEY_PREFIX}"`);
  let b64 = t.slice(UNLOCK_KEY_PREFIX.length);
  if (b64.length === B64_UNPADDED + 1 && b64.endsWith('=')) b64 = b64.slice(0, -1);
  if (!B64.test(b64))
    throw new InvalidUnlockKeyError(
      `after "${UNLOCK_KEY_PREFIX}" it must be base64 (A-Z, a-z, 0-9, + and /), and it holds other characters`,
    );
  if (b64.length !== B64_UNPADDED)
    throw new InvalidUnlockKeyError(
      `after "${UNLOCK_KEY_PREFIX}" it must be ${B64_UNPADDED} base64 characters (${UNLOCK_KEY_BYTES} bytes), got ${b64.length}`,
    );
  const raw = Buffer.from(b64, 'base64');
  // 43 characters carry 258 bits: the last 2 must be zero, or the text is not the encoding of a key.
  if (raw.byteLength !== UNLOCK_KEY_BYTES || raw.toString('base64').replace(/=+$/, '') !== b64)
    throw new InvalidUnlockKeyError(
      `after "${UNLOCK_KEY_PREFIX}" it is not the base64 of ${UNLOCK_KEY_BYTES} bytes (its last character is off)`,
    );
  return raw;
}
