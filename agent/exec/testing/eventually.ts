import type { FakeClock } from '../../../common/testing/index.js';

export interface EventuallyOptions {
  /** Bound on the wait, in real ms. @default 5000 */
  timeoutMs?: number;
  /** Moves this fake clock by `advanceMs` between polls (for waits on timers). */
  clock?: FakeClock;
  advanceMs?: number;
}

/**
 * Waits for `pred` with a bound: the agent's loops run on real I/O (files, sockets) between fake-clock
 * steps, so a test polls for the event it expects instead of sleeping for a fixed time.
 */
export async function eventually(
  what: string,
  pred: () => boolean | Promise<boolean>,
  options: EventuallyOptions = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    if (await pred()) return;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
    if (options.clock) options.clock.advance(options.advanceMs ?? 0);
  }
}
