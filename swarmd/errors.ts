/**
 * The errors of the swarmd command line. {@link FlagError} (a flag or argument broke a rule) lives in
 * common, beside the unit parsers that throw it, so that swarmctl shares it.
 */
export { FlagError } from '../common/index.js';
