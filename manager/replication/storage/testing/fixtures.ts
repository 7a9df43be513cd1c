import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../../common/index.js';
import type { Entry, EntryType } from '../../../raft/index.js';

/** A fresh directory under the system temp dir, removed when the test ends (registered with `teardown`). */
export async function tempDir(t: { teardown(fn: () => Promise<void> | void): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-storage-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger that keeps every line (parsed) for assertions. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)), now: () => 0 });
  return { logger, lines };
}

/** An entry whose data is `data` (default: its index and term spelled out, so every entry differs). */
export function ent(
  index: number,
  term: number,
  data?: string | Uint8Array,
  type: EntryType = 'normal',
): Entry {
  const bytes =
    typeof data === 'string' || data === undefined ? Buffer.from(data ?? `e${index}t${term}`) : data;
  return { index, term, type, data: bytes };
}

/** Entries `from`..`to` of `term`. */
export function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, term));
  return out;
}

/** Entries as comparable plain values. */
export function plain(entries: readonly Entry[]): Array<[number, number, string, string]> {
  return entries.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString('hex')]);
}
