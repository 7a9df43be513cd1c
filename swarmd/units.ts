import { FlagError } from './errors.js';

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "64m", "1.5g", "512k", "1048576" → bytes (binary units, as Docker reads them). */
export function parseBytes(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = BYTE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined)
    throw new FlagError(flag, `must be a size such as 64m, 512k or 1g, got "${text}"`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new FlagError(flag, `must be a positive size, got "${text}"`);
  return bytes;
}

/** "0.5" CPUs → nano-CPUs (Docker's --cpus). */
export function parseCpus(flag: string, text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim()))
    throw new FlagError(flag, `must be a number of CPUs such as 0.5 or 2, got "${text}"`);
  const nano = Math.round(Number(text) * 1e9);
  if (nano < 1e7) throw new FlagError(flag, `must be at least 0.01 CPUs, got "${text}"`);
  return nano;
}

/** A positive integer within [min, max]. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new FlagError(flag, `must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new FlagError(flag, `must be between ${min} and ${max}, got ${n}`);
  return n;
}
