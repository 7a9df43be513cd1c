/** Output and error helpers the commands share. */
import { ControlStatusError, errorCode } from '../../common/index.js';
import type { CommandContext } from '../context.js';
import { UpdateConflictError } from '../errors.js';
import { toJson } from '../format/json.js';

/**
 * The objects `inspect` fetched: their summaries one after another, or JSON (one object for one
 * argument, an array for several).
 */
export function printInspected<T>(
  ctx: CommandContext,
  objects: readonly T[],
  summary: (o: T) => string,
): void {
  if (ctx.format === 'json') {
    ctx.out(toJson(objects.length === 1 ? objects[0] : objects));
    return;
  }
  ctx.out(objects.map(summary).join('\n'));
}

/** A list: ids alone with `-q`, JSON with `--format json`, else the table. */
export function printList<T extends { id: string }>(
  ctx: CommandContext,
  objects: readonly T[],
  quiet: boolean | undefined,
  table: () => string,
): void {
  if (quiet === true) ctx.out(objects.map((o) => `${o.id}\n`).join(''));
  else if (ctx.format === 'json') ctx.out(toJson(objects));
  else ctx.out(table());
}

/** The object a create or update returned: its id, or itself in JSON. */
export function printWritten(ctx: CommandContext, object: { id: string } | null | undefined): void {
  if (object === null || object === undefined) return;
  ctx.out(ctx.format === 'json' ? toJson(object) : `${object.id}\n`);
}

/** True when `err` is the manager's error with this code. */
export function isServerError(err: unknown, code: string): boolean {
  return err instanceof ControlStatusError && errorCode(err) === code;
}

/**
 * Runs an update that carries the version it read; a version conflict becomes an
 * {@link UpdateConflictError} that says someone else updated `what` and to run the command again.
 */
export async function withConflictMessage<T>(what: string, update: () => Promise<T>): Promise<T> {
  try {
    return await update();
  } catch (err) {
    if (isServerError(err, 'ERR_STORE_VERSION_CONFLICT')) throw new UpdateConflictError(what, { cause: err });
    throw err;
  }
}

/** Canonical JSON (sorted keys) to tell whether an edited spec differs from the one read. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
