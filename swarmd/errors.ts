import { SwarmError } from '../common/index.js';

/** A command-line flag or argument broke a rule; the message names the flag and the rule. */
export class FlagError extends SwarmError {
  constructor(flag: string, rule: string) {
    super('ERR_FLAG_INVALID', `${flag}: ${rule}`, { fields: { flag } });
  }
}
