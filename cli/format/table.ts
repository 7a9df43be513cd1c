/** Tables for people: a header row and aligned columns, separated by three spaces (as docker prints). */

const GAP = '   ';

/** The table as text, one line per row, each ending with a newline; trailing spaces are trimmed. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join(GAP)
      .trimEnd();
  return [headers, ...rows].map((r) => `${line(r)}\n`).join('');
}
