/** Durations, sizes and CPUs back into the words people type (`1m30s`, `64MiB`, `0.5`). */

/** Milliseconds as a Go-style duration: `0s`, `100ms`, `5s`, `1m30s`, `1h0m5s`, `1.5s`. */
export function formatDuration(ms: number | string): string {
  let rest = Math.round(Number(ms));
  if (!Number.isFinite(rest)) return String(ms);
  if (rest === 0) return '0s';
  const sign = rest < 0 ? '-' : '';
  rest = Math.abs(rest);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sText = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${sign}${h}h${m}m${sText}`;
  if (m > 0) return `${sign}${m}m${sText}`;
  return `${sign}${sText}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units: `64MiB`, `1.5GiB`, `512B`. */
export function formatBytes(bytes: number | string): string {
  let n = Number(bytes);
  if (!Number.isFinite(n)) return String(bytes);
  let unit = 0;
  while (n >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  const text = Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
  return `${text}${BYTE_UNITS[unit]}`;
}

/** Nano-CPUs as CPUs: `0.5`, `2`. */
export function formatCpus(nanoCpus: number | string): string {
  const n = Number(nanoCpus) / 1e9;
  return Number.isFinite(n) ? String(Number(n.toFixed(9))) : String(nanoCpus);
}
