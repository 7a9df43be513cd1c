/**
 * Join tokens for RotateJoinToken: `SWMTKN-1-<digest of the cluster's root CA>-<secret>` (pki's format),
 * so that a joining node can check the CA it is given against the token. The generator is injected so
 * that tests draw the secret from a seeded source.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { generateJoinToken } from '../../pki/index.js';
import type { Cluster, NodeRole } from '../../proto/index.js';

/** Makes a new join token for `role` in `cluster`. MUST be unpredictable outside tests. */
export type JoinTokenGenerator = (role: NodeRole, cluster: Cluster) => string;

/** Tokens over the cluster's root CA, the secret from `randomBytes` (the CSPRNG by default). */
export function rootCAJoinTokens(
  randomBytes: (n: number) => Uint8Array = (n) => cryptoRandomBytes(n),
): JoinTokenGenerator {
  return (_role, cluster) => generateJoinToken(cluster.rootCA.certificate, randomBytes);
}
