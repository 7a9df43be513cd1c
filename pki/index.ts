/**
 * @module pki — the cluster's identity, shared by managers, agents and swarmctl: the root CA and node
 * certificates (X.509 through @peculiar/x509, ECDSA P-256), join tokens, a node's credential files, when
 * to renew, TLS credentials for grpc-js and the per-call check of who is calling. See README.md.
 *
 * @example
 * ```ts
 * const server = new grpc.Server();
 * const creds = serverCredentials({ rootCAPem, certPem, keyPem });
 * // in a handler of a manager-only method:
 * const peer = authorize(call, ['manager'], { rootCAPem, clusterId, now: clock.now(), nodeExists });
 * ```
 */

export type { AuthorizableCall, AuthorizeOptions, PeerIdentity, PeerIdentityOptions } from './authorize.js';
export { authorize, peerCertificate, peerIdentity } from './authorize.js';
export type { CACallOptions, IssuedCredentials } from './ca-client.js';
export { fetchRootCAUnverified, joinCluster, renewNodeCertificate } from './ca-client.js';
export type { CertificateRenewerOptions } from './certificate-renewer.js';
export { CertificateRenewer } from './certificate-renewer.js';
export {
  CredentialsFileError,
  InvalidPkiObjectError,
  PermissionDeniedError,
  PKI_STATUS_BY_ERROR_CODE,
  RootCAMismatchError,
  TokenFormatError,
  UnauthenticatedError,
} from './errors.js';
export type { ParsedJoinToken } from './join-token.js';
export {
  checkRootCA,
  generateJoinToken,
  JOIN_TOKEN_PREFIX,
  joinTokenMatches,
  parseJoinToken,
  rootCADigest,
} from './join-token.js';
export { generateKeyPair, importSigningKey, privateKeyToPem } from './keys.js';
export type {
  KeyAndCSR,
  NodeCertificateInfo,
  SignNodeCertificateOptions,
  VerifyNodeCertificateOptions,
} from './node-certificate.js';
export {
  createKeyAndCSR,
  DEFAULT_BACKDATE_MS,
  DEFAULT_NODE_CERT_VALIDITY_MS,
  MAX_CSR_BYTES,
  parseCSR,
  parseNodeCertificate,
  signNodeCertificate,
  verifyNodeCertificate,
} from './node-certificate.js';
export type { NodeCredentials } from './node-credentials.js';
export {
  CERTIFICATES_DIR,
  certificatesDir,
  checkNodeCredentials,
  loadCredentialsDir,
  loadNodeCredentials,
  NODE_CERT_FILE,
  NODE_KEY_FILE,
  ROOT_CA_FILE,
  saveNodeCredentials,
} from './node-credentials.js';
export type { RenewalScheduleOptions, Validity } from './renewal-schedule.js';
export { nextRenewalTime, RenewalSchedule } from './renewal-schedule.js';
export { MANAGER_OU, MANAGER_TLS_NAME, ouToRole, ROOT_CA_CN, roleToOU, WORKER_OU } from './roles.js';
export type { CreateRootCAOptions, RootCA } from './root-ca.js';
export { createRootCA, DEFAULT_ROOT_CA_VALIDITY_MS } from './root-ca.js';
export type { ClientCredentialsOptions, RenewableClientCredentials, ServerTlsMaterial } from './tls.js';
export {
  bootstrapClientCredentials,
  CLIENT_CHANNEL_OPTIONS,
  clientCredentials,
  NodeServerCredentials,
  renewableClientCredentials,
  serverCredentials,
} from './tls.js';
