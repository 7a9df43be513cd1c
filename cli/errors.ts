/**
 * The errors of swarmctl itself. Errors the manager answers with arrive as common's `ControlStatusError`
 * (the server's code, message and fields); a flag or argument that breaks a rule is common's `FlagError`
 * (exit status 2). Messages follow design.md §7 and are printed as `swarmctl: <message>`.
 */
import { SwarmError, type SwarmErrorOptions } from '../common/index.js';

/** The base of swarmctl's own errors. */
export class CliError extends SwarmError {}

/**
 * No manager answered at the address swarmctl was pointed to (no socket, connection refused, nothing within
 * the deadline). Says where swarmctl looked and how to point it elsewhere.
 */
export class ConnectionError extends CliError {
  /** What swarmctl tried: `the socket /var/lib/swarmd/swarmd.sock` or `10.0.0.1:4242`. */
  readonly target: string;

  constructor(target: string, reason: string, hint: string, options: SwarmErrorOptions = {}) {
    super('ERR_CLI_CONNECTION', `Cannot connect to the manager at ${target}: ${reason}; ${hint}`, {
      ...options,
      fields: { ...options.fields, target, reason },
    });
    this.target = target;
  }
}

/** An update that would change nothing: nothing is sent (as swarmkit's swarmctl). */
export class NoChangesError extends CliError {
  constructor(what: string) {
    super('ERR_CLI_NO_CHANGES', `Cannot update ${what}: no changes detected`, { fields: { object: what } });
  }
}

/**
 * An update carried the version it read, and someone else wrote the object since: nothing was changed.
 * Running the command again reads the new version and applies the change to it.
 */
export class UpdateConflictError extends CliError {
  constructor(what: string, options: SwarmErrorOptions = {}) {
    super(
      'ERR_CLI_UPDATE_CONFLICT',
      `Cannot update ${what}: someone else updated it since it was read, so nothing was changed; run the command again to apply the change to the new version`,
      options,
    );
  }
}

/** A command's request cannot be carried out as asked (`service scale` of a global service). */
export class CommandError extends CliError {
  constructor(message: string, options: SwarmErrorOptions = {}) {
    super('ERR_CLI_COMMAND', message, options);
  }
}
