/**
 * @module agent/session — the agent's side of proto/dispatcher.proto: a {@link Session} with the leader's
 * dispatcher that fails over between managers with backoff, and the {@link StatusReporter} that
 * coalesces task statuses and retries them across sessions (see ../README.md).
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  SessionEndedError,
  SessionOptionsError,
  SessionProtocolError,
  SessionUnavailableError,
} from './errors.js';
export {
  type AssignmentsResult,
  NOT_LEADER_CODE,
  Session,
  type SessionInfo,
  type SessionOptions,
} from './session.js';
export { StatusReporter, type StatusReporterOptions, type TaskStatusReport } from './status-reporter.js';
