/**
 * The error base of every swarmd module. Each module declares its own classes in one `errors.ts`, each
 * extending {@link SwarmError} with a stable, greppable `code` (`ERR_STORE_NAME_CONFLICT`) and structured
 * fields; callers branch on `code` or `instanceof`, never on message text.
 */
export interface SwarmErrorOptions {
  cause?: unknown;
  /** Structured context (`{ 'service.id': id }`), logged with the error. */
  fields?: Record<string, unknown>;
  /** Whether retrying the same operation later may succeed (see {@link isTemporary}). */
  temporary?: boolean;
}

export class SwarmError extends Error {
  readonly code: string;
  readonly fields: Readonly<Record<string, unknown>>;
  #temporary: boolean;

  constructor(code: string, message: string, options: SwarmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fields = options.fields ?? {};
    this.#temporary = options.temporary ?? false;
  }

  get temporary(): boolean {
    return this.#temporary;
  }

  /** Marks this error as retryable; returns it for `throw makeTemporary(err)` chains. */
  markTemporary(): this {
    this.#temporary = true;
    return this;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.fields };
  }
}

/** Thrown when a component is used in a state that does not allow the call (run twice, step after stop). */
export class IllegalStateError extends SwarmError {
  constructor(message: string, options: SwarmErrorOptions = {}) {
    super('ERR_ILLEGAL_STATE', message, options);
  }
}

/** True when `err` says that trying again may succeed. */
export function isTemporary(err: unknown): boolean {
  return err instanceof SwarmError && err.temporary;
}

/** Returns the code of a {@link SwarmError} or of a Node system error (`ENOENT`), else undefined. */
export function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** A message for logs and CLI output from anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A command-line flag or argument broke a rule; the message names the flag and the rule
 * (`--limit-memory: must be a size such as 64m, 512k or 1g, got "lots"`). Command lines exit with the
 * usage status (2) on it.
 */
export class FlagError extends SwarmError {
  /** The flag (`--replicas`) or argument (`SERVICE=REPLICAS`) at fault. */
  readonly flag: string;

  constructor(flag: string, rule: string) {
    super('ERR_FLAG_INVALID', `${flag}: ${rule}`, { fields: { flag } });
    this.flag = flag;
  }
}
