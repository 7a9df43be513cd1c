/**
 * The errors of pki. Codes are stable (`ERR_PKI_…`); the two authorization errors carry the gRPC status
 * they become at an API edge ({@link PKI_STATUS_BY_ERROR_CODE}), so that every service refuses a caller
 * the same way.
 */
import * as grpc from '@grpc/grpc-js';
import { SwarmError, type SwarmErrorOptions } from '../common/index.js';

/** A join token does not have the shape `SWMTKN-1-<50 base36>-<25 base36>`. */
export class TokenFormatError extends SwarmError {
  constructor(rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_PKI_TOKEN_FORMAT', `Invalid join token: ${rule}`, options);
  }
}

/**
 * The root CA a manager presented is not the one the join token names: the joiner refuses it (it may be
 * talking to another cluster, or to an impostor).
 */
export class RootCAMismatchError extends SwarmError {
  constructor(expected: string, actual: string) {
    super(
      'ERR_PKI_ROOT_CA_MISMATCH',
      `Cannot trust the remote root CA: its digest ${actual} differs from the digest ${expected} in the join token`,
      { fields: { expected, actual } },
    );
  }
}

/** A certificate, key or CSR could not be parsed, or breaks a rule (key type, signature, size). */
export class InvalidPkiObjectError extends SwarmError {
  /** What was refused: `certificate`, `csr`, `key`, `root CA`. */
  readonly what: string;

  constructor(what: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_PKI_INVALID', `Invalid ${what}: ${rule}`, {
      ...options,
      fields: { ...options.fields, what },
    });
    this.what = what;
  }
}

/** The node's credential files are missing, unreadable or inconsistent. */
export class CredentialsFileError extends SwarmError {
  constructor(path: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_PKI_CREDENTIALS', `Cannot use the node credentials in ${path}: ${rule}`, {
      ...options,
      fields: { ...options.fields, path },
    });
  }
}

/** The caller did not prove who it is: no certificate, or one that is not valid for this cluster now. */
export class UnauthenticatedError extends SwarmError {
  readonly status = grpc.status.UNAUTHENTICATED;

  constructor(method: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_PKI_UNAUTHENTICATED', `Cannot call ${method}: ${rule}`, {
      ...options,
      fields: { ...options.fields, method },
    });
  }
}

/** The caller is known, but its role may not call this method, or the cluster removed it. */
export class PermissionDeniedError extends SwarmError {
  readonly status = grpc.status.PERMISSION_DENIED;

  constructor(method: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_PKI_PERMISSION_DENIED', `Cannot call ${method}: ${rule}`, {
      ...options,
      fields: { ...options.fields, method },
    });
  }
}

/**
 * The rows to add to common's STATUS_BY_ERROR_CODE, so that `errorToStatus` maps pki's errors at every
 * edge (the Control API's handlers use that table).
 */
export const PKI_STATUS_BY_ERROR_CODE: Readonly<Record<string, { status: grpc.status }>> = Object.freeze({
  ERR_PKI_UNAUTHENTICATED: { status: grpc.status.UNAUTHENTICATED },
  ERR_PKI_PERMISSION_DENIED: { status: grpc.status.PERMISSION_DENIED },
  ERR_PKI_TOKEN_FORMAT: { status: grpc.status.INVALID_ARGUMENT },
  ERR_PKI_INVALID: { status: grpc.status.INVALID_ARGUMENT },
});
