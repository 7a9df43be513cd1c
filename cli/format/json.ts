/**
 * Objects as JSON for scripts: what the Control API returned, minus the decoder's bookkeeping. Kept as the
 * proto3 JSON mapping writes them: 64-bit integers as decimal strings, enums by name, bytes in base64.
 */

/**
 * A plain copy of a decoded message: the synthetic `_field` markers of optional fields are dropped and
 * bytes become base64 strings.
 */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('_') && typeof v === 'string') continue;
    if (v === undefined) continue;
    out[k] = plain(v);
  }
  return out;
}

/** Indented JSON of {@link plain}(value), with a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(plain(value), null, 2)}\n`;
}

/** One-line JSON of {@link plain}(value), with a final newline (a stream of events). */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(plain(value))}\n`;
}

/** A secret (or any object with a spec) without `spec.data`: secret data is never printed. */
export function withoutData<T extends { spec?: unknown }>(o: T): T {
  const spec = o.spec;
  if (spec === null || typeof spec !== 'object') return o;
  const { data: _data, ...rest } = spec as Record<string, unknown>;
  return { ...o, spec: rest };
}
