/** Times for people: "3 seconds ago", "About an hour ago", and absolute times in ISO 8601. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** A rough length of time: "Less than a second", "5 seconds", "About a minute", "3 hours", "2 weeks". */
export function humanDuration(ms: number): string {
  const d = Math.max(0, ms);
  if (d < SECOND) return 'Less than a second';
  if (d < MINUTE) return plural(Math.floor(d / SECOND), 'second');
  if (d < 2 * MINUTE) return 'About a minute';
  if (d < HOUR) return plural(Math.floor(d / MINUTE), 'minute');
  if (d < 2 * HOUR) return 'About an hour';
  if (d < 2 * DAY) return plural(Math.floor(d / HOUR), 'hour');
  if (d < 14 * DAY) return plural(Math.floor(d / DAY), 'day');
  if (d < 60 * DAY) return plural(Math.floor(d / (7 * DAY)), 'week');
  if (d < 730 * DAY) return plural(Math.floor(d / (30 * DAY)), 'month');
  return plural(Math.floor(d / (365 * DAY)), 'year');
}

/** How long before `now` the time `at` (ms since the epoch, a number or decimal string) was: "3 seconds ago". */
export function ago(now: number, at: number | string): string {
  const t = Number(at);
  if (!Number.isFinite(t) || t <= 0) return 'never';
  if (t > now + SECOND) return `in ${humanDuration(t - now).toLowerCase()}`;
  return `${humanDuration(now - t)} ago`;
}

/** `2024-05-01T12:00:00.000Z (3 seconds ago)`, or `-` for no time. */
export function timeAndAgo(now: number, at: number | string): string {
  const t = Number(at);
  if (!Number.isFinite(t) || t <= 0) return '-';
  return `${new Date(t).toISOString()} (${ago(now, t)})`;
}
