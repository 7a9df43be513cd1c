/**
 * Errors ⇄ gRPC statuses: the ONE table that turns an error `code` into the status a Control API client
 * receives ({@link errorToStatus}, used only by manager/controlapi's handlers), and its reverse for clients
 * ({@link statusToError}, for swarmctl).
 *
 * The table maps `code` strings, not classes: the store's errors (`ERR_STORE_*`) and the replication
 * layer's (`ERR_REPLICATION_*`, reaching the handlers through the store's proposer or the
 * `linearizableRead` hook) are mapped without importing them. The status carries the error's message (with
 * a hint for some codes) and, in the trailers, the code (`x-swarmd-error-code`) and the JSON-safe fields
 * (`x-swarmd-error-fields-bin`, UTF-8 JSON), so that a client gets back the same code and fields.
 *
 * It lives in common (it imports only `@grpc/grpc-js` and the error base) so that both the server
 * (manager/controlapi) and its clients (cli/, which may not import manager/) share it.
 */
import * as grpc from '@grpc/grpc-js';
import { errorCode, errorMessage, isTemporary, SwarmError } from './errors.js';

/**
 * The parts of a server call that say who calls (grpc-js does not export its common call type): what
 * authentication hooks receive, whatever the kind of call.
 */
export type GrpcCaller = Pick<
  grpc.ServerUnaryCall<unknown, unknown>,
  'metadata' | 'getPeer' | 'getAuthContext' | 'getPath'
>;

/** Trailer with the error's stable code. */
export const ERROR_CODE_METADATA = 'x-swarmd-error-code';
/** Trailer with the error's fields as UTF-8 JSON (a binary trailer: messages are not ASCII-only). */
export const ERROR_FIELDS_METADATA = 'x-swarmd-error-fields-bin';

/** How one error code becomes a status. */
export interface StatusRule {
  readonly status: grpc.status;
  /** Appended to the message: what the caller should do. */
  readonly hint?: (err: unknown) => string;
}

function matchesOf(err: unknown): string {
  const fields = err instanceof SwarmError ? err.fields : {};
  const matches = Array.isArray(fields.matches) ? (fields.matches as unknown[]).map(String) : [];
  return matches.length === 0 ? '' : `: ${matches.join(', ')}`;
}

const retry = (): string => '; retry in a moment';

/**
 * The table. Codes not listed become UNAVAILABLE when the error is temporary ({@link isTemporary}), else
 * INTERNAL, with the message.
 */
export const STATUS_BY_ERROR_CODE: Readonly<Record<string, StatusRule>> = Object.freeze({
  // manager/controlapi
  ERR_CONTROLAPI_INVALID_SPEC: { status: grpc.status.INVALID_ARGUMENT },
  ERR_CONTROLAPI_INVALID_REQUEST: { status: grpc.status.INVALID_ARGUMENT },
  ERR_CONTROLAPI_NOT_FOUND: { status: grpc.status.NOT_FOUND },
  ERR_CONTROLAPI_IN_USE: { status: grpc.status.FAILED_PRECONDITION },
  ERR_CONTROLAPI_FAILED_PRECONDITION: { status: grpc.status.FAILED_PRECONDITION },
  ERR_CONTROLAPI_UNAVAILABLE: { status: grpc.status.UNAVAILABLE, hint: retry },
  // manager/store
  ERR_STORE_NOT_FOUND: { status: grpc.status.NOT_FOUND },
  ERR_STORE_NAME_CONFLICT: { status: grpc.status.ALREADY_EXISTS },
  ERR_STORE_ID_CONFLICT: { status: grpc.status.ALREADY_EXISTS },
  ERR_STORE_VERSION_CONFLICT: {
    status: grpc.status.ABORTED,
    hint: () => '; read it again, reapply the change and retry',
  },
  ERR_STORE_AMBIGUOUS_REFERENCE: { status: grpc.status.INVALID_ARGUMENT, hint: matchesOf },
  ERR_STORE_WATCHER_OVERFLOW: { status: grpc.status.RESOURCE_EXHAUSTED },
  ERR_STORE_INVALID_ACTION: { status: grpc.status.INTERNAL },
  // A closed store: the manager is stopping.
  ERR_ILLEGAL_STATE: { status: grpc.status.UNAVAILABLE, hint: retry },
  // manager/replication, through the proposer or the read barrier
  ERR_REPLICATION_NOT_LEADER: { status: grpc.status.UNAVAILABLE, hint: retry },
  ERR_REPLICATION_PROPOSAL_DROPPED: { status: grpc.status.UNAVAILABLE, hint: retry },
  ERR_REPLICATION_TIMEOUT: {
    status: grpc.status.UNAVAILABLE,
    hint: () => '; the cluster may be electing a leader or have lost its quorum, retry in a moment',
  },
  ERR_REPLICATION_STOPPED: { status: grpc.status.UNAVAILABLE, hint: retry },
  // pki and manager/ca: identity, join tokens, certificate requests
  ERR_PKI_UNAUTHENTICATED: { status: grpc.status.UNAUTHENTICATED },
  ERR_PKI_PERMISSION_DENIED: { status: grpc.status.PERMISSION_DENIED },
  ERR_PKI_TOKEN_FORMAT: { status: grpc.status.INVALID_ARGUMENT },
  ERR_PKI_INVALID: { status: grpc.status.INVALID_ARGUMENT },
  ERR_CA_INVALID_REQUEST: { status: grpc.status.INVALID_ARGUMENT },
  ERR_CA_TOKEN_REFUSED: { status: grpc.status.PERMISSION_DENIED },
  ERR_CA_NODE_REMOVED: { status: grpc.status.PERMISSION_DENIED },
  ERR_CA_NOT_READY: { status: grpc.status.UNAVAILABLE, hint: retry },
  // manager/replication/encryption: unlocking a manager
  ERR_ENCRYPTION_LOCKED: { status: grpc.status.FAILED_PRECONDITION },
  ERR_ENCRYPTION_WRONG_UNLOCK_KEY: { status: grpc.status.PERMISSION_DENIED },
  ERR_ENCRYPTION_UNLOCK_KEY_INVALID: { status: grpc.status.INVALID_ARGUMENT },
  // manager/logbroker
  ERR_LOGBROKER_INVALID_REQUEST: { status: grpc.status.INVALID_ARGUMENT },
  ERR_LOGBROKER_NO_LEADER: { status: grpc.status.UNAVAILABLE, hint: retry },
  ERR_LOGBROKER_NOT_SUBSCRIBED: { status: grpc.status.PERMISSION_DENIED },
  ERR_LOGBROKER_UNAUTHENTICATED: { status: grpc.status.UNAUTHENTICATED },
});

/** A status as the server sends it (`callback(status)` or `call.emit('error', status)`). */
export interface ErrorStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

function jsonSafeFields(err: unknown): string | null {
  if (!(err instanceof SwarmError) || Object.keys(err.fields).length === 0) return null;
  try {
    return JSON.stringify(err.fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return null;
  }
}

/** The rule for `err`: its code's row of the table, else UNAVAILABLE if temporary, else INTERNAL. */
export function statusRuleOf(err: unknown): StatusRule {
  const code = errorCode(err);
  const rule = code === undefined ? undefined : STATUS_BY_ERROR_CODE[code];
  if (rule !== undefined) return rule;
  return isTemporary(err)
    ? { status: grpc.status.UNAVAILABLE, hint: retry }
    : { status: grpc.status.INTERNAL };
}

/** The status a handler answers with for `err` (see the table). */
export function errorToStatus(err: unknown): ErrorStatus {
  const rule = statusRuleOf(err);
  const metadata = new grpc.Metadata();
  const code = errorCode(err);
  if (code !== undefined && err instanceof SwarmError) metadata.set(ERROR_CODE_METADATA, code);
  const fields = jsonSafeFields(err);
  if (fields !== null) metadata.set(ERROR_FIELDS_METADATA, Buffer.from(fields, 'utf8'));
  return { code: rule.status, details: errorMessage(err) + (rule.hint?.(err) ?? ''), metadata };
}

/** What a client received: a `grpc.ServiceError`, or anything with a status code and details. */
export interface ReceivedStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata | undefined;
}

/**
 * An error status received from the Control API. `code` is the server's error code
 * (`ERR_STORE_VERSION_CONFLICT`) when it sent one, else `ERR_GRPC_<STATUS>` (`ERR_GRPC_UNAVAILABLE` when
 * no manager answers); `fields` are the server's fields; temporary for UNAVAILABLE.
 */
export class ControlStatusError extends SwarmError {
  /** The gRPC status code. */
  readonly status: grpc.status;

  constructor(status: grpc.status, code: string, message: string, fields: Record<string, unknown>) {
    super(code, message, {
      fields,
      temporary: status === grpc.status.UNAVAILABLE,
    });
    this.status = status;
  }
}

function firstString(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const v = metadata?.get(key)[0];
  return typeof v === 'string' ? v : v === undefined ? undefined : v.toString('utf8');
}

/** The error a client throws for a status it received (the reverse of {@link errorToStatus}). */
export function statusToError(received: ReceivedStatus): ControlStatusError {
  const code =
    firstString(received.metadata, ERROR_CODE_METADATA) ??
    `ERR_GRPC_${grpc.status[received.code] ?? String(received.code)}`;
  let fields: Record<string, unknown> = {};
  const raw = firstString(received.metadata, ERROR_FIELDS_METADATA);
  if (raw !== undefined)
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        fields = parsed as Record<string, unknown>;
    } catch {
      // Fields are a courtesy: a status without readable ones is still the error.
    }
  return new ControlStatusError(received.code, code, received.details, fields);
}
