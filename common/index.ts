/**
 * @module common — what every swarmd module shares: the error base, structured logging, object ids, the
 * injectable clock and seeded randomness, the command-line unit parsers, and the one table between errors
 * and gRPC statuses (server and clients). Nothing here does I/O beyond the logger's default sink.
 */

export type { AtomicWriteOptions } from './atomic-file.js';
export { syncDirectory, writeFileAtomic } from './atomic-file.js';
export type { Clock, Timer } from './clock.js';
export { systemClock } from './clock.js';
export type { SwarmErrorOptions } from './errors.js';
export {
  errorCode,
  errorMessage,
  FlagError,
  IllegalStateError,
  isTemporary,
  SwarmError,
} from './errors.js';
export type { ErrorStatus, GrpcCaller, ReceivedStatus, StatusRule } from './grpc-status-errors.js';
export {
  ControlStatusError,
  ERROR_CODE_METADATA,
  ERROR_FIELDS_METADATA,
  errorToStatus,
  STATUS_BY_ERROR_CODE,
  statusRuleOf,
  statusToError,
} from './grpc-status-errors.js';
export type { IdSource } from './ids.js';
export { ID_ALPHABET, ID_LENGTH, isId, randomIdSource } from './ids.js';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './logger.js';
export { createLogger, nullLogger, parseLogLevel } from './logger.js';
export type { Rand } from './rand.js';
export { randomSeededRand, SeededRand } from './rand.js';
export type { UnitParseOptions } from './units.js';
export { parseBytes, parseCpus, parseDuration, parseInteger } from './units.js';
