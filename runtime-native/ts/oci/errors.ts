import { SwarmError } from '../../../common/index.js';

/**
 * Thrown by `compileContainerSpecOptions()` (and so `buildContainerSpec()`) when an option breaks a rule.
 * The message is `<option path>: <rule>` (`resources.memoryBytes: must be at least 6291456 bytes (6 MiB),
 * got 1024`); `option` and `rule` carry the two halves for callers that map them onto their own field names.
 * Never temporary: the same options fail the same way.
 */
export class SpecInvalidError extends SwarmError {
  /** The option's path as the caller wrote it: `env[2]`, `resources.cpuQuotaUs`, `mounts[0].source`. */
  readonly option: string;
  /** What the option must be, in words. */
  readonly rule: string;

  constructor(option: string, rule: string) {
    super('ERR_SPEC_INVALID', `${option}: ${rule}`, { fields: { 'spec.option': option } });
    this.option = option;
    this.rule = rule;
  }
}

/** Thrown by `writeBundle()` when config.json cannot be written (I/O failure, or larger than the runtime reads). */
export class BundleWriteError extends SwarmError {
  readonly dir: string;

  constructor(dir: string, reason: string, cause?: unknown) {
    super('ERR_BUNDLE_WRITE', `Cannot write bundle "${dir}": ${reason}`, {
      cause,
      fields: { 'bundle.dir': dir },
    });
    this.dir = dir;
  }
}

/** Thrown by `readBundleSpec()` when config.json is missing, unreadable, not JSON or not an OCI spec. */
export class BundleReadError extends SwarmError {
  readonly dir: string;

  constructor(dir: string, reason: string, cause?: unknown) {
    super('ERR_BUNDLE_READ', `Cannot read bundle "${dir}": ${reason}`, {
      cause,
      fields: { 'bundle.dir': dir },
    });
    this.dir = dir;
  }
}
