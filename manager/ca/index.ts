/**
 * @module manager/ca — the cluster's certificate authority on every manager: the CA and NodeCA gRPC
 * services (root CA download, joining with a token, renewal with a certificate), and the helpers that
 * make and rotate a cluster's identity. See README.md.
 */
export type {
  CAServerOptions,
  IssueCaller,
  IssuedCertificate,
  IssueRequest,
  RegisterCAOptions,
} from './ca-server.js';
export { CAServer, MAX_REQUEST_BYTES, MIN_NODE_CERT_EXPIRY_MS, registerCAServices } from './ca-server.js';
export type { RandomBytes } from './cluster-identity.js';
export {
  createClusterIdentity,
  issueLocalCredentials,
  joinTokenGenerator,
  rotateJoinToken,
  secureRandomBytes,
} from './cluster-identity.js';
export {
  CA_STATUS_BY_ERROR_CODE,
  CANotReadyError,
  caErrorToStatus,
  InvalidCARequestError,
  NodeRemovedError,
  TokenRefusedError,
} from './errors.js';
