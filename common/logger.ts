import { SwarmError } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/**
 * Structured logging: one JSON object per line. The message is a constant lower-case phrase and the
 * variables go in dotted fields (`task.id`, `raft.term`), spelled the same everywhere (design.md §7).
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line; components call `child({ module })` once. */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. @default 'info' */
  level?: LogLevel;
  /** Receives each finished line, without the newline. @default writes to stderr */
  sink?: (line: string) => void;
  /** Supplies the `time` field. @default Date.now */
  now?: () => number;
}

/** Makes a value safe for JSON: errors keep their name, code, message and fields. */
function serialize(value: unknown): unknown {
  if (value instanceof SwarmError)
    return { ...value.toJSON(), ...(value.cause ? { cause: serialize(value.cause) } : {}) };
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

class JsonLogger implements Logger {
  readonly #min: number;
  readonly #sink: (line: string) => void;
  readonly #now: () => number;
  readonly #bindings: LogFields;

  constructor(min: number, sink: (line: string) => void, now: () => number, bindings: LogFields) {
    this.#min = min;
    this.#sink = sink;
    this.#now = now;
    this.#bindings = bindings;
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LEVEL_ORDER[level] < this.#min) return;
    const record: LogFields = { time: new Date(this.#now()).toISOString(), level, msg, ...this.#bindings };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = serialize(v);
    this.#sink(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write('error', msg, fields);
  }
  child(bindings: LogFields): Logger {
    return new JsonLogger(this.#min, this.#sink, this.#now, { ...this.#bindings, ...bindings });
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(level in LEVEL_ORDER))
    throw new RangeError(`log level must be one of debug, info, warn, error, got "${level}"`);
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new JsonLogger(LEVEL_ORDER[level], sink, options.now ?? Date.now, {});
}

/** A logger that drops everything: the default where a component is given none. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};

/** Parses a level name from a flag, for composition roots. */
export function parseLogLevel(s: string): LogLevel {
  if (s in LEVEL_ORDER) return s as LogLevel;
  throw new RangeError(`log level must be one of debug, info, warn, error, got "${s}"`);
}
