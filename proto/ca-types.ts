/**
 * The generated types of `proto/ca.proto` (package `swarmd.ca`: the root CA and node certificates, served
 * by manager/ca), re-exported as `capb` by index.ts.
 */
export type { CAClient, CADefinition, CAHandlers } from './gen/swarmd/ca/CA.js';
export type {
  GetRootCACertificateRequest,
  GetRootCACertificateRequest__Output,
} from './gen/swarmd/ca/GetRootCACertificateRequest.js';
export type {
  GetRootCACertificateResponse,
  GetRootCACertificateResponse__Output,
} from './gen/swarmd/ca/GetRootCACertificateResponse.js';
export type {
  IssueNodeCertificateRequest,
  IssueNodeCertificateRequest__Output,
} from './gen/swarmd/ca/IssueNodeCertificateRequest.js';
export type {
  IssueNodeCertificateResponse,
  IssueNodeCertificateResponse__Output,
} from './gen/swarmd/ca/IssueNodeCertificateResponse.js';
export type { NodeCAClient, NodeCADefinition, NodeCAHandlers } from './gen/swarmd/ca/NodeCA.js';
