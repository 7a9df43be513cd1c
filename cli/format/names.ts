/** Identifiers and enum names for people. */

/** The length of ids in tables (full with `--no-trunc`). */
export const SHORT_ID_LENGTH = 12;

export function shortId(id: string, noTrunc = false): string {
  return noTrunc ? id : id.slice(0, SHORT_ID_LENGTH);
}

/** `TASK_STATE_RUNNING` without its prefix, in lower case with dashes: `running`, `on-failure`. */
export function enumWord(value: string | number | null | undefined, prefix: string): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return (s.startsWith(prefix) ? s.slice(prefix.length) : s).toLowerCase().replaceAll('_', '-');
}

/** `running` → `Running`. */
export function capitalized(word: string): string {
  return word === '' ? word : word[0]?.toUpperCase() + word.slice(1);
}

/** `a=1, b=2` from a label map, sorted by key; `''` for none. */
export function labelsText(labels: Readonly<Record<string, string>> | null | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(', ');
}

/** Text cut to `max` characters with an ellipsis, unless `noTrunc`. */
export function truncated(text: string, max: number, noTrunc = false): string {
  if (noTrunc || text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
