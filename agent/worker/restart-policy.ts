import type { ContainerStatus, RestartPolicy } from '../../proto/index.js';

/** The default delay before an in-place restart: immediate first, then 100 ms doubling up to 10 s. */
export const DEFAULT_RESTART_DELAYS = Object.freeze({
  firstMs: 100,
  maxMs: 10_000,
  /** A container that ran this long resets the sequence (its next crash restarts at once). */
  resetAfterMs: 10_000,
});

/** What the agent remembers of a task's in-place restarts (persisted in its task record). */
export interface RestartHistory {
  /** `clock.now()` of the in-place restarts that still count against `maxAttempts`, oldest first. */
  at: number[];
  /** The default backoff's next delay (0: restart at once). */
  nextDelayMs: number;
  /** `clock.now()` when the container last started, or 0 when unknown. */
  startedAt: number;
}

export function emptyRestartHistory(): RestartHistory {
  return { at: [], nextDelayMs: 0, startedAt: 0 };
}

/** Whether the policy's condition asks for a restart after this exit. */
export function conditionAllows(
  policy: RestartPolicy,
  exit: Pick<ContainerStatus, 'exitCode' | 'oomKilled'>,
): boolean {
  switch (policy.condition) {
    case 'any':
      return true;
    case 'on-failure':
      return exit.exitCode !== 0 || exit.oomKilled;
    default:
      return false;
  }
}

/** The restarts of `history` that count at `now`: those within the window (all when it is 0). */
export function countedRestarts(policy: RestartPolicy, history: RestartHistory, now: number): number[] {
  if (policy.windowMs <= 0) return history.at;
  return history.at.filter((t) => now - t < policy.windowMs);
}

/** Whether another in-place restart is allowed at `now` (`maxAttempts` 0 is unlimited). */
export function attemptAllowed(policy: RestartPolicy, history: RestartHistory, now: number): boolean {
  return policy.maxAttempts <= 0 || countedRestarts(policy, history, now).length < policy.maxAttempts;
}

/**
 * The delay before the restart at `now`, and the history after it. An explicit `delayMs` is used as is;
 * otherwise the default sequence (immediate, 100 ms, 200 ms... 10 s), which starts over once the container
 * ran for `resetAfterMs`.
 */
export function planRestart(
  policy: RestartPolicy,
  history: RestartHistory,
  now: number,
): { delayMs: number; next: RestartHistory } {
  let delayMs: number;
  let nextDelayMs = history.nextDelayMs;
  if (policy.delayMs !== null) {
    delayMs = policy.delayMs;
  } else {
    const ranLong = history.startedAt > 0 && now - history.startedAt >= DEFAULT_RESTART_DELAYS.resetAfterMs;
    delayMs = ranLong ? 0 : history.nextDelayMs;
    nextDelayMs =
      delayMs === 0 ? DEFAULT_RESTART_DELAYS.firstMs : Math.min(delayMs * 2, DEFAULT_RESTART_DELAYS.maxMs);
  }
  const counted = countedRestarts(policy, history, now);
  // Only what can still count is kept, so that the record stays small with unlimited attempts.
  const keep =
    policy.windowMs > 0 ? counted : policy.maxAttempts > 0 ? counted.slice(-policy.maxAttempts) : [];
  return { delayMs, next: { at: [...keep, now + delayMs], nextDelayMs, startedAt: history.startedAt } };
}
