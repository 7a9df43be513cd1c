/**
 * Join tokens, swarmkit's format (`ca/config.go`): `SWMTKN-1-<digest>-<secret>` where `<digest>` is the
 * SHA-256 of the root CA certificate (DER) in base36, zero-padded to 50 characters, and `<secret>` is 128
 * random bits in base36, zero-padded to 25. The digest lets a joiner check the root CA a manager sends
 * before trusting it; the secret is what the managers compare (rotation changes only the secret).
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { InvalidPkiObjectError, RootCAMismatchError, TokenFormatError } from './errors.js';

export const JOIN_TOKEN_PREFIX = 'SWMTKN-1-';
const DIGEST_LENGTH = 50;
const SECRET_LENGTH = 25;
const SECRET_BYTES = 16;
/** Longer inputs are refused before any parsing (a real token is 85 characters). */
const MAX_TOKEN_LENGTH = 256;

export interface ParsedJoinToken {
  /** The root CA digest, base36 (50 characters). */
  digest: string;
  /** The secret, base36 (25 characters). */
  secret: string;
}

function base36(bytes: Uint8Array, width: number): string {
  const hex = Buffer.from(bytes).toString('hex');
  return (hex === '' ? 0n : BigInt(`0x${hex}`)).toString(36).padStart(width, '0');
}

/**
 * The digest of a root CA certificate (PEM) as join tokens write it.
 * @throws InvalidPkiObjectError when the PEM is not a certificate
 */
export function rootCADigest(rootCertPem: string): string {
  let der: Buffer;
  try {
    der = new X509Certificate(rootCertPem).raw;
  } catch (err) {
    throw new InvalidPkiObjectError('root CA', 'certificate does not parse', { cause: err });
  }
  return base36(createHash('sha256').update(der).digest(), DIGEST_LENGTH);
}

/** A new join token for the root CA; `randomBytes(16)` gives the secret (the CSPRNG in production). */
export function generateJoinToken(rootCertPem: string, randomBytes: (n: number) => Uint8Array): string {
  const secret = randomBytes(SECRET_BYTES);
  if (secret.length !== SECRET_BYTES)
    throw new RangeError(`randomBytes(${SECRET_BYTES}) returned ${secret.length} bytes`);
  return `${JOIN_TOKEN_PREFIX}${rootCADigest(rootCertPem)}-${base36(secret, SECRET_LENGTH)}`;
}

/**
 * Splits a token into its digest and secret.
 * @throws TokenFormatError (ERR_PKI_TOKEN_FORMAT) naming the part that is wrong
 */
export function parseJoinToken(token: string): ParsedJoinToken {
  if (typeof token !== 'string' || token === '') throw new TokenFormatError('the token is empty');
  if (token.length > MAX_TOKEN_LENGTH)
    throw new TokenFormatError(`the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (token.startsWith('SWMTKN-2-'))
    throw new TokenFormatError('version 2 (FIPS) tokens are not supported; expected SWMTKN-1-…');
  if (!token.startsWith(JOIN_TOKEN_PREFIX))
    throw new TokenFormatError(`must start with "${JOIN_TOKEN_PREFIX}"`);
  const parts = token.slice(JOIN_TOKEN_PREFIX.length).split('-');
  if (parts.length !== 2)
    throw new TokenFormatError('expected SWMTKN-1-<digest>-<secret> (two parts after the prefix)');
  const [digest = '', secret = ''] = parts;
  if (!/^[0-9a-z]{50}$/.test(digest))
    throw new TokenFormatError(`the CA digest must be ${DIGEST_LENGTH} base36 characters (0-9, a-z)`);
  if (!/^[0-9a-z]{25}$/.test(secret))
    throw new TokenFormatError(`the secret must be ${SECRET_LENGTH} base36 characters (0-9, a-z)`);
  return { digest, secret };
}

/**
 * Checks, on the joining side, that the root CA a manager sent is the one the token names.
 * @throws RootCAMismatchError when the digests differ; TokenFormatError for a malformed token
 */
export function checkRootCA(rootCertPem: string, token: string): void {
  const { digest } = parseJoinToken(token);
  const actual = rootCADigest(rootCertPem);
  if (!joinTokenMatches(digest, actual)) throw new RootCAMismatchError(digest, actual);
}

/** Compares two tokens (or parts) in constant time for a given length; false for an empty `expected`. */
export function joinTokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length === 0) return false;
  // Compare equal-length buffers even when the lengths differ, so the time does not leak which is longer.
  const same = a.length === b.length;
  return timingSafeEqual(a, same ? b : a) && same;
}
