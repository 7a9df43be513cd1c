/**
 * The errors of the manager's key handling at rest (`dek.json`, unlock keys). Each has a stable `code`;
 * callers branch on `code` or `instanceof`. No message ever holds a key.
 */
import { SwarmError } from '../../../common/index.js';

/**
 * `dek.json` is sealed with the cluster's unlock key (autolock) and no unlock key was given: the manager
 * cannot read its Raft log until an operator gives the key (`swarmd unlock`).
 */
export class LockedError extends SwarmError {
  readonly file: string;

  constructor(file: string) {
    super('ERR_ENCRYPTION_LOCKED', 'this manager is locked: give the unlock key (swarmd unlock)', {
      fields: { file },
    });
    this.file = file;
  }
}

/** The unlock key given does not open `dek.json` (another cluster's key, an old key, or the file changed). */
export class WrongUnlockKeyError extends SwarmError {
  readonly file: string;

  constructor(file: string) {
    super(
      'ERR_ENCRYPTION_WRONG_UNLOCK_KEY',
      `Cannot unlock this manager: the unlock key does not open ${file} (a key of another cluster, a key replaced since, or the file was changed)`,
      { fields: { file } },
    );
    this.file = file;
  }
}

/** A text given as an unlock key is not one: the message names the rule it breaks (never the text). */
export class InvalidUnlockKeyError extends SwarmError {
  constructor(rule: string) {
    super('ERR_ENCRYPTION_UNLOCK_KEY_INVALID', `Invalid unlock key: ${rule}`);
  }
}

/**
 * `dek.json` is unreadable or breaks its format (the message names the field and the rule), or is missing
 * while the directory already holds a Raft log (a new key could not read it).
 */
export class DataKeyFileError extends SwarmError {
  readonly file: string;

  constructor(file: string, problem: string, cause?: unknown) {
    super('ERR_ENCRYPTION_DEK_FILE_INVALID', `Cannot read the data key: ${file} ${problem}`, {
      ...(cause === undefined ? {} : { cause }),
      fields: { file },
    });
    this.file = file;
  }
}
