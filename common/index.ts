/**
 * @module common — what every swarmd module shares: the error base, structured logging, object ids, the
 * injectable clock and seeded randomness. Nothing here does I/O beyond the logger's default sink.
 */

export type { Clock, Timer } from './clock.js';
export { systemClock } from './clock.js';
export type { SwarmErrorOptions } from './errors.js';
export { errorCode, errorMessage, IllegalStateError, isTemporary, SwarmError } from './errors.js';
export type { IdSource } from './ids.js';
export { ID_ALPHABET, ID_LENGTH, isId, randomIdSource } from './ids.js';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './logger.js';
export { createLogger, nullLogger, parseLogLevel } from './logger.js';
export type { Rand } from './rand.js';
export { randomSeededRand, SeededRand } from './rand.js';
