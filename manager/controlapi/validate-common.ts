/**
 * What the spec validators share: the {@link Problems} collector, the rules every spec uses (names,
 * labels, integers, durations, enums) and the wording of their messages. Every problem reads
 * `<field path>: <rule>, got <value>`, the path in the model's names (`spec.task.restartPolicy.delayMs`).
 */
import type { Annotations } from '../../proto/index.js';

/** A value that may be absent: absent means "the default" in a spec sent by a client. */
export type Opt<T> = T | null | undefined;

/**
 * An enum value as received: one of the model's names, or whatever else came (an unknown number from the
 * wire) for validation to refuse.
 */
export type Loose<T extends string> = T | (string & {}) | number;

export interface AnnotationsInput {
  name?: Opt<string>;
  labels?: Opt<Readonly<Record<string, string>>>;
}

/** How a value is shown after "got": strings and lists as JSON, numbers as written. */
export function shown(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (v === undefined) return 'nothing';
  return JSON.stringify(v);
}

/** The range of an integer field. */
export interface IntRule {
  readonly min: number;
  /** @default unbounded */
  readonly max?: number;
  /** What an absent value becomes. */
  readonly fallback: number;
  /** Said after the range: `≥ 3600000 (1 hour)`. */
  readonly note?: string;
}

/** Collects the problems of one spec, in the order the fields are checked. */
export class Problems {
  readonly list: string[] = [];

  get empty(): boolean {
    return this.list.length === 0;
  }

  add(path: string, rule: string): void {
    this.list.push(`${path}: ${rule}`);
  }

  /** `<path>: <rule>, got <value>`. */
  got(path: string, rule: string, value: unknown): void {
    this.add(path, `${rule}, got ${shown(value)}`);
  }

  /**
   * An integer in [min, max] (no max: unbounded); absent is `fallback`. Returns the value, or `fallback`
   * when it is bad (the problem is recorded).
   */
  int(path: string, v: Opt<number>, rule: IntRule): number {
    if (v === null || v === undefined) return rule.fallback;
    const note = rule.note === undefined ? '' : ` (${rule.note})`;
    const range =
      rule.max === undefined ? `≥ ${rule.min}${note}` : `between ${rule.min} and ${rule.max}${note}`;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.got(path, `must be an integer ${range}`, v);
      return rule.fallback;
    }
    if (v < rule.min || (rule.max !== undefined && v > rule.max)) {
      this.got(path, `must be ${range}`, v);
      return rule.fallback;
    }
    return v;
  }

  /** A duration in ms, ≥ 0; absent is `fallback`. */
  duration(path: string, v: Opt<number>, fallback: number): number {
    return this.int(path, v, { min: 0, fallback });
  }

  /** One of `allowed` (listed as `a|b|c`); absent is `fallback` (null: required). */
  oneOf<T extends string>(path: string, v: Opt<Loose<T>>, allowed: readonly T[], fallback: T | null): T {
    if (v === null || v === undefined || v === '') {
      if (fallback !== null) return fallback;
      this.add(path, `must be one of ${allowed.join('|')}`);
      return allowed[0] as T;
    }
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.got(path, `must be one of ${allowed.join('|')}`, v);
    return fallback ?? (allowed[0] as T);
  }

  /** A string without NUL characters. */
  text(path: string, v: Opt<string>): string {
    const s = v ?? '';
    if (s.includes('\0')) this.got(path, 'must not contain NUL characters', s);
    return s;
  }

  /** An absolute path ('' allowed when `optional`). */
  absolutePath(path: string, v: Opt<string>, optional: boolean): string {
    const s = v ?? '';
    if (s === '' && optional) return s;
    if (!s.startsWith('/') || s.includes('\0')) this.got(path, 'must be an absolute path', s);
    return s;
  }
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
export const NAME_RULE = 'must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit';

/** True when `name` is a valid object name (services, secrets, configs, networks, clusters). */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

const MAX_LABEL_KEY = 128;
const MAX_LABEL_VALUE = 4096;

/** Labels: keys non-empty, at most 128 characters, without whitespace or "="; values ≤ 4096 characters. */
export function compileLabels(
  p: Problems,
  path: string,
  labels: Opt<Readonly<Record<string, string>>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels === null || labels === undefined) return out;
  for (const key of Object.keys(labels).sort()) {
    const value = labels[key] ?? '';
    const at = `${path}[${JSON.stringify(key)}]`;
    if (key === '') p.add(at, 'key must not be empty');
    else if (/[\s=\0]/.test(key)) p.add(at, 'key must not contain whitespace or "="');
    else if (key.length > MAX_LABEL_KEY) p.add(at, `key must be at most ${MAX_LABEL_KEY} characters`);
    if (typeof value !== 'string' || value.length > MAX_LABEL_VALUE || value.includes('\0'))
      p.add(at, `value must be at most ${MAX_LABEL_VALUE} characters, without NUL`);
    out[key] = value;
  }
  return out;
}

/**
 * Annotations: the name must follow {@link NAME_RULE} (when `optionalName`, it may also be empty), and
 * the labels {@link compileLabels}.
 */
export function compileAnnotations(
  p: Problems,
  path: string,
  input: Opt<AnnotationsInput>,
  optionalName = false,
): Annotations {
  const name = input?.name ?? '';
  if (!(optionalName && name === '') && !isValidName(name)) p.got(`${path}.name`, NAME_RULE, name);
  return { name, labels: compileLabels(p, `${path}.labels`, input?.labels) };
}
