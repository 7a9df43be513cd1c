/**
 * The CA service's errors and the statuses they become. Refusals write nothing to the store; messages name
 * the field or the rule.
 */
import * as grpc from '@grpc/grpc-js';
import { errorCode, errorToStatus, SwarmError, type SwarmErrorOptions } from '../../common/index.js';
import { PKI_STATUS_BY_ERROR_CODE } from '../../pki/index.js';

/** A field of a request is malformed, or the request is too large. */
export class InvalidCARequestError extends SwarmError {
  readonly field: string;

  constructor(field: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_CA_INVALID_REQUEST', `Cannot issue a certificate: ${field} ${rule}`, {
      ...options,
      fields: { ...options.fields, field },
    });
    this.field = field;
  }
}

/** The join token is not one the cluster accepts now (wrong, rotated, of the other role, of another CA). */
export class TokenRefusedError extends SwarmError {
  constructor(rule: string) {
    super('ERR_CA_TOKEN_REFUSED', `Cannot join the cluster: ${rule}`);
  }
}

/** A node renewing its certificate no longer exists in the cluster. */
export class NodeRemovedError extends SwarmError {
  constructor(nodeId: string) {
    super(
      'ERR_CA_NODE_REMOVED',
      `Cannot renew the certificate of node ${nodeId}: the node was removed from the cluster (join again with a token)`,
      { fields: { 'node.id': nodeId } },
    );
  }
}

/** The cluster has no root CA yet (the store has no Cluster object, or it has no CA). */
export class CANotReadyError extends SwarmError {
  constructor() {
    super('ERR_CA_NOT_READY', 'The cluster has no root CA yet; retry in a moment', { temporary: true });
  }
}

/** The status of each CA and pki error (to be merged into common's STATUS_BY_ERROR_CODE). */
export const CA_STATUS_BY_ERROR_CODE: Readonly<Record<string, { status: grpc.status }>> = Object.freeze({
  ...PKI_STATUS_BY_ERROR_CODE,
  ERR_CA_INVALID_REQUEST: { status: grpc.status.INVALID_ARGUMENT },
  ERR_CA_TOKEN_REFUSED: { status: grpc.status.PERMISSION_DENIED },
  ERR_CA_NODE_REMOVED: { status: grpc.status.PERMISSION_DENIED },
  ERR_CA_NOT_READY: { status: grpc.status.UNAVAILABLE },
});

/** common's errorToStatus (message, code and fields in the trailers) with the CA's codes mapped. */
export function caErrorToStatus(err: unknown): ReturnType<typeof errorToStatus> {
  const status = errorToStatus(err);
  const code = errorCode(err);
  const rule = code === undefined ? undefined : CA_STATUS_BY_ERROR_CODE[code];
  return rule === undefined ? status : { ...status, code: rule.status };
}
