/**
 * What people type on command lines for sizes, CPUs, whole numbers and durations, read into the model's
 * units (bytes, nano-CPUs, milliseconds). Each parser names the flag it reads in its {@link FlagError}.
 */
import { FlagError } from './errors.js';

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Options of {@link parseBytes} and {@link parseCpus}. */
export interface UnitParseOptions {
  /** Accept 0 ("no limit"). @default false */
  allowZero?: boolean;
}

/** "64m", "1.5g", "512k", "1048576" → bytes (binary units, as Docker reads them). */
export function parseBytes(flag: string, text: string, options: UnitParseOptions = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = BYTE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined)
    throw new FlagError(flag, `must be a size such as 64m, 512k or 1g, got "${text}"`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes === 0 && options.allowZero === true) return 0;
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new FlagError(flag, `must be a positive size, got "${text}"`);
  return bytes;
}

/** "0.5" CPUs → nano-CPUs (Docker's --cpus). */
export function parseCpus(flag: string, text: string, options: UnitParseOptions = {}): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim()))
    throw new FlagError(flag, `must be a number of CPUs such as 0.5 or 2, got "${text}"`);
  const nano = Math.round(Number(text) * 1e9);
  if (nano === 0 && options.allowZero === true) return 0;
  if (nano < 1e7) throw new FlagError(flag, `must be at least 0.01 CPUs, got "${text}"`);
  if (!Number.isSafeInteger(nano)) throw new FlagError(flag, `is too large, got "${text}"`);
  return nano;
}

/** A whole number within [min, max]. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new FlagError(flag, `must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new FlagError(flag, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Nanoseconds per duration unit (Go's `time.ParseDuration` units). */
const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * A duration as Go and Docker write them — `5s`, `100ms`, `1m30s`, `1.5h`, `0s`, or a bare `0` — in whole
 * milliseconds. Negative durations are refused.
 */
export function parseDuration(flag: string, text: string): number {
  const s = text.trim();
  const bad = (): FlagError =>
    new FlagError(flag, `must be a duration such as 5s, 100ms or 1m30s, got "${text}"`);
  if (s === '0') return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) throw bad();
  let ns = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    const unit = DURATION_UNITS[part[2] as string];
    if (unit === undefined) throw bad();
    ns += Number(part[1]) * unit;
  }
  const ms = ns / 1e6;
  if (!Number.isSafeInteger(Math.round(ms))) throw new FlagError(flag, `is too long, got "${text}"`);
  if (Math.abs(ms - Math.round(ms)) > 1e-6)
    throw new FlagError(flag, `must be a whole number of milliseconds, got "${text}"`);
  return Math.round(ms);
}
