/**
 * Validation of secret and config specs: {@link compileSecretSpec}, {@link compileConfigSpec}. Both need a
 * valid name and data of at least one byte, below swarmkit's limits (500 KiB for secrets, 1000 KiB for
 * configs).
 */
import type { Config, Secret } from '../../proto/index.js';
import { InvalidSpecError } from './errors.js';
import { type AnnotationsInput, compileAnnotations, type Opt, Problems, shown } from './validate-common.js';

export interface SecretSpecInput {
  annotations?: Opt<AnnotationsInput>;
  data?: Opt<Uint8Array>;
}

export type ConfigSpecInput = SecretSpecInput;

/** Secret data must be shorter than this (swarmkit's MaxSecretSize). */
export const MAX_SECRET_BYTES = 500 * 1024;
/** Config data must be shorter than this (swarmkit's MaxConfigSize). */
export const MAX_CONFIG_BYTES = 1000 * 1024;

function compileDataSpec(
  kind: 'secret' | 'config',
  input: SecretSpecInput,
  max: number,
): { annotations: Secret['spec']['annotations']; data: Uint8Array } {
  const p = new Problems();
  const annotations = compileAnnotations(p, 'spec.annotations', input.annotations);
  const data = input.data ?? new Uint8Array(0);
  if (data.byteLength < 1 || data.byteLength >= max)
    p.add(
      'spec.data',
      `must be 1 to ${max - 1} bytes (less than ${max / 1024} KiB), got ${data.byteLength} bytes`,
    );
  if (!p.empty) throw new InvalidSpecError(`create ${kind} ${shown(annotations.name)}`, kind, p.list);
  return { annotations, data: new Uint8Array(data) };
}

/**
 * Validates a secret spec; the data is copied.
 * @throws InvalidSpecError listing every problem
 */
export function compileSecretSpec(input: SecretSpecInput): Secret['spec'] {
  return compileDataSpec('secret', input, MAX_SECRET_BYTES);
}

/**
 * Validates a config spec; the data is copied.
 * @throws InvalidSpecError listing every problem
 */
export function compileConfigSpec(input: ConfigSpecInput): Config['spec'] {
  return compileDataSpec('config', input, MAX_CONFIG_BYTES);
}
