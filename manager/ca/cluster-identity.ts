/**
 * A cluster's identity as the store keeps it: the root CA (certificate and key, PEM) and the two join
 * tokens on the Cluster object. Helpers for `swarmd init` (a new CA and tokens, the first manager's
 * certificate issued locally) and for `swarmctl join-token --rotate`.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import {
  createKeyAndCSR,
  createRootCA,
  DEFAULT_NODE_CERT_VALIDITY_MS,
  generateJoinToken,
  type NodeCredentials,
  signNodeCertificate,
} from '../../pki/index.js';
import type { Cluster, NodeRole } from '../../proto/index.js';

export type RandomBytes = (n: number) => Uint8Array;

/** The CSPRNG: join token secrets must be unpredictable outside tests. */
export const secureRandomBytes: RandomBytes = (n) => cryptoRandomBytes(n);

/** A new cluster's `rootCA` and `joinTokens`, for its Cluster object. */
export async function createClusterIdentity(options: {
  clusterId: string;
  now: number;
  randomBytes?: RandomBytes;
  rootValidityMs?: number;
}): Promise<Pick<Cluster, 'rootCA' | 'joinTokens'>> {
  const rand = options.randomBytes ?? secureRandomBytes;
  const root = await createRootCA({
    clusterId: options.clusterId,
    now: options.now,
    ...(options.rootValidityMs === undefined ? {} : { validityMs: options.rootValidityMs }),
  });
  return {
    rootCA: { certificate: root.certificatePem, key: root.keyPem },
    joinTokens: {
      worker: generateJoinToken(root.certificatePem, rand),
      manager: generateJoinToken(root.certificatePem, rand),
    },
  };
}

/** The Cluster with a new join token for `role` (the old one stops working once this is written). */
export function rotateJoinToken(
  cluster: Cluster,
  role: NodeRole,
  randomBytes: RandomBytes = secureRandomBytes,
): Cluster {
  const token = generateJoinToken(cluster.rootCA.certificate, randomBytes);
  return { ...cluster, joinTokens: { ...cluster.joinTokens, [role]: token } };
}

/**
 * A join-token generator of the shape the Control API takes (`(role, cluster) => token`), over the
 * cluster's real root CA.
 */
export function joinTokenGenerator(
  randomBytes: RandomBytes = secureRandomBytes,
): (role: NodeRole, cluster: Cluster) => string {
  return (_role, cluster) => generateJoinToken(cluster.rootCA.certificate, randomBytes);
}

/**
 * Credentials for a node, issued locally by a manager that holds the CA key (the first manager at
 * `swarmd init`, which has nobody to ask).
 */
export async function issueLocalCredentials(options: {
  cluster: Pick<Cluster, 'id' | 'rootCA' | 'spec'>;
  nodeId: string;
  role: NodeRole;
  now: number;
}): Promise<NodeCredentials> {
  const { keyPem, csrPem } = await createKeyAndCSR({ nodeId: options.nodeId });
  const certPem = await signNodeCertificate({
    rootCA: { certificatePem: options.cluster.rootCA.certificate, keyPem: options.cluster.rootCA.key },
    csrPem,
    nodeId: options.nodeId,
    role: options.role,
    clusterId: options.cluster.id,
    now: options.now,
    validityMs: options.cluster.spec.caConfig.nodeCertExpiryMs || DEFAULT_NODE_CERT_VALIDITY_MS,
  });
  return { keyPem, certPem, rootCAPem: options.cluster.rootCA.certificate };
}
