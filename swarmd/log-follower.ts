import { watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogRecord } from '../runtime-native/ts/index.js';

/**
 * Follows a container log (JSON lines) as it grows and hands each record to `onRecord`, until stop() is
 * called; stop() reads what is left first. Rotation (the file replaced by a new one) starts over at 0.
 */
export function followLog(path: string, onRecord: (r: LogRecord) => void): { stop: () => Promise<void> } {
  let offset = 0;
  let partial = '';
  let reading: Promise<void> = Promise.resolve();

  async function readMore(): Promise<void> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0;
    if (size === offset) return;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l) onRecord(JSON.parse(l) as LogRecord);
    } finally {
      await fh.close();
    }
  }

  const schedule = (): void => {
    reading = reading.then(readMore, readMore);
  };
  const watcher = watch(dirname(path), schedule);
  schedule();
  return {
    async stop() {
      watcher.close();
      schedule();
      await reading;
    },
  };
}
