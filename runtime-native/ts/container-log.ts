import { readFile } from 'node:fs/promises';
import { errorCode } from '../../common/index.js';

/** One record of a container's output log (Docker json-file layout). */
export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  log: string;
}

/** Reads a container log and its rotated predecessors (`file.N` … `file.1`, then `file`), oldest first. */
export async function readContainerLog(path: string, maxFiles = 10): Promise<LogRecord[]> {
  const files: string[] = [];
  for (let i = maxFiles; i >= 1; i--) files.push(`${path}.${i}`);
  files.push(path);
  const out: LogRecord[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue;
      throw err;
    }
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as LogRecord);
  }
  return out;
}

/** The text of one stream, in order. */
export function streamText(records: readonly LogRecord[], stream: 'stdout' | 'stderr'): string {
  return records
    .filter((r) => r.stream === stream)
    .map((r) => r.log)
    .join('');
}
