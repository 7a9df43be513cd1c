/**
 * The readable summaries of `inspect`: labelled values, nested under headings, with the values aligned.
 *
 * ```
 * ID:              9v3x...
 * Name:            web
 * Mode:            replicated
 *  Replicas:       3
 * ```
 */
type Line =
  | { kind: 'field'; depth: number; label: string; value: string }
  | { kind: 'heading'; depth: number; label: string }
  | { kind: 'item'; depth: number; label: string };

export class Summary {
  readonly #lines: Line[] = [];
  #depth = 0;

  /** A labelled value; skipped when `value` is empty, unless `always`. */
  field(label: string, value: string | number | boolean | undefined | null, always = false): this {
    const text = value === undefined || value === null ? '' : String(value);
    if (text === '' && !always) return this;
    this.#lines.push({ kind: 'field', depth: this.#depth, label, value: text });
    return this;
  }

  /** A heading with the lines `fill` adds indented under it; left out when `fill` adds nothing. */
  section(label: string, fill: (s: this) => void): this {
    const at = this.#lines.length;
    this.#lines.push({ kind: 'heading', depth: this.#depth, label });
    this.#depth++;
    fill(this);
    this.#depth--;
    if (this.#lines.length === at + 1) this.#lines.pop();
    return this;
  }

  /** A labelled value with the lines `fill` adds indented under it (`Mode: replicated` / ` Replicas: 3`). */
  group(label: string, value: string, fill: (s: this) => void): this {
    this.field(label, value, true);
    this.#depth++;
    fill(this);
    this.#depth--;
    return this;
  }

  /** A heading with one `- item` line per item; left out when there are none. */
  list(label: string, items: readonly string[]): this {
    if (items.length === 0) return this;
    this.#lines.push({ kind: 'heading', depth: this.#depth, label });
    for (const item of items) this.#lines.push({ kind: 'item', depth: this.#depth + 1, label: `- ${item}` });
    return this;
  }

  render(): string {
    const fields = this.#lines.filter((l) => l.kind === 'field');
    const width = Math.max(0, ...fields.map((l) => l.depth + l.label.length + 1));
    return this.#lines
      .map((l) => {
        const head = `${' '.repeat(l.depth)}${l.label}`;
        if (l.kind === 'heading') return `${head}:\n`;
        if (l.kind === 'item') return `${head}\n`;
        return `${`${head}:`.padEnd(width)} ${l.value}`.trimEnd().concat('\n');
      })
      .join('');
  }
}
