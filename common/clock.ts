/** A cancellable timer handle returned by {@link Clock.setTimeout}. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as components see it. Injected everywhere outside the raft core so tests drive time by hand
 * (see `common/testing/fake-clock.ts`) instead of sleeping on the wall clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic reading in milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** The real clock; the one place that reads `Date.now()` and arms Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
