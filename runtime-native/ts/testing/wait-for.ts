import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Resolves when `path` (a container log) contains text matching `pattern`, by watching its directory for
 * changes; rejects after `timeoutMs` with what the file held, so a failure shows what happened instead.
 */
export function waitForFile(path: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const watcher = watch(dirname(path), () => void check());
    const timer = setTimeout(async () => {
      finish();
      const text = await readFile(path, 'utf8').catch(() => '(missing)');
      reject(
        new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} in ${path}; it holds:\n${text}`),
      );
    }, timeoutMs);
    function finish(): void {
      done = true;
      clearTimeout(timer);
      watcher.close();
    }
    async function check(): Promise<void> {
      const text = await readFile(path, 'utf8').catch(() => '');
      if (!done && pattern.test(text)) {
        finish();
        resolve(text);
      }
    }
    void check();
  });
}

/**
 * Polls an async condition until it holds (for kernel counters, which send no events), at most
 * `timeoutMs`; rejects with the last value seen.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
    last = await read();
  }
  return last;
}
