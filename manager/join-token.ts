/**
 * Join tokens: `SWMTKN-1-<digest>-<secret>`, swarmkit's shape. Until the identity issue brings the CA, the
 * digest is the SHA-256 of the cluster id (it becomes the root CA certificate's) in base36, 50 characters,
 * and the secret 128 random bits in base36, 25 characters. {@link generateJoinToken} is the one function
 * the identity issue replaces.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const PREFIX = 'SWMTKN-1-';
const TOKEN_RE = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;

function base36(bytes: Uint8Array, width: number): string {
  const n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  return n.toString(36).padStart(width, '0');
}

/** A new join token of the cluster `clusterId`; `randomBytes(16)` gives the secret. */
export function generateJoinToken(clusterId: string, randomBytes: (n: number) => Uint8Array): string {
  const digest = createHash('sha256').update(clusterId, 'utf8').digest();
  return `${PREFIX}${base36(digest, 50)}-${base36(randomBytes(16), 25)}`;
}

/** True when `s` has the shape of a join token. */
export function isJoinToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** Compares a presented token with the cluster's in constant time. */
export function joinTokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
