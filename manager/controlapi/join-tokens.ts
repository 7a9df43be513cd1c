/**
 * Join tokens. A token says which role a joining node gets and, later, which CA it must trust; their real
 * format and the CA come with the identity issue. For now {@link placeholderJoinTokens} makes tokens of the
 * final shape, `SWMTKN-1-<digest>-<secret>`, where the digest is a PLACEHOLDER derived from the cluster id
 * (not a CA certificate's digest yet) and the secret is 25 random base36 characters. The generator is
 * injected into the Control API so that the identity issue can replace it.
 */
import { createHash } from 'node:crypto';
import { type IdSource, randomIdSource } from '../../common/index.js';
import type { Cluster, NodeRole } from '../../proto/index.js';

/** Makes a new join token for `role` in `cluster`. MUST be unpredictable outside tests. */
export type JoinTokenGenerator = (role: NodeRole, cluster: Cluster) => string;

/** The length of the digest part (a SHA-256 in base36, as docker's tokens have). */
const DIGEST_LENGTH = 50;

/**
 * The digest placeholder of a cluster: the SHA-256 of its id (UTF-8), in base36, 50 characters (the same
 * digest the composition root's tokens carry, so that rotated tokens look like the first ones).
 */
export function placeholderDigest(clusterId: string): string {
  const hex = createHash('sha256').update(clusterId, 'utf8').digest('hex');
  return BigInt(`0x${hex}`).toString(36).padStart(DIGEST_LENGTH, '0');
}

/**
 * The placeholder generator: `SWMTKN-1-<placeholderDigest(cluster.id)>-<secret>`, the secret drawn from
 * `secrets` (25 base36 characters, ≥ 128 bits from the CSPRNG by default; a seeded source in tests).
 */
export function placeholderJoinTokens(secrets: IdSource = randomIdSource): JoinTokenGenerator {
  return (_role, cluster) => `SWMTKN-1-${placeholderDigest(cluster.id)}-${secrets.newId()}`;
}
