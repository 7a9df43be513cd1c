/**
 * The restart policy: whether a task that ended by itself gets a replacement, and after what delay.
 * swarmkit's `orchestrator/restart`, with a better default delay: the first restart of a slot is
 * immediate, repeated failures back off exponentially (100 ms doubling up to 10 s), and the count resets
 * once a task ran for 10 s. An explicit `restartPolicy.delayMs` replaces the backoff, except that a task
 * that failed before it ever ran still backs off (a task rejected at once must not loop hot).
 *
 * Decisions come from the slot's history in the store (so a new leader decides much as the old one did),
 * plus what the store does not keep, which this supervisor remembers while it runs: when each task
 * started RUNNING (from the store's events), the attempts and the failure streak of each slot (the task
 * reaper deletes old dead tasks, so the history alone would cap both at `taskHistory`), and when each
 * delayed replacement is due. Attempts count the dead tasks of the slot within the window and the
 * in-place restarts each of them went through on its agent (`status.restarts`).
 */

import type { Service, Task } from '../../proto/index.js';
import type { ObjectEvent } from '../store/index.js';
import { byAge, endedOnItsOwn, hasEnded } from './tasks.js';

/** The default backoff: first step, cap, and how long a task must run for the count to reset. */
export const RESTART_BACKOFF = Object.freeze({ baseMs: 100, maxMs: 10_000, resetAfterMs: 10_000 });

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number }
  | { readonly restart: false; readonly reason: string };

/** A slot's key: service and slot number, or service and node for a global service. */
function slotKey(t: Task): string {
  return t.slot === 0 ? `${t.serviceId}\u0000n${t.nodeId}` : `${t.serviceId}\u0000${t.slot}`;
}

export class RestartSupervisor {
  /** Task id → when it started RUNNING (null: seen alive, not running yet). Absent: never seen alive. */
  readonly #runningSince = new Map<string, number | null>();
  /** Slot → the attempts seen (ended task id → end time and weight), newest kept. */
  readonly #attempts = new Map<string, Map<string, { at: number; weight: number }>>();
  /** Slot → the consecutive failures up to its last ended task. */
  readonly #streaks = new Map<string, { lastEndedId: string; failures: number }>();
  /** Delayed replacement's id → when it may run. */
  readonly #due = new Map<string, number>();

  /** Records what a task event says about when tasks started running; forgets deleted things. */
  observe(e: ObjectEvent): void {
    if (e.kind === 'service' && e.action === 'delete') {
      const prefix = `${e.object.id}\u0000`;
      for (const m of [this.#attempts, this.#streaks])
        for (const k of m.keys()) if (k.startsWith(prefix)) m.delete(k);
      return;
    }
    if (e.kind !== 'task') return;
    if (e.action === 'delete') {
      this.#runningSince.delete(e.object.id);
      this.#due.delete(e.object.id);
    } else {
      this.observeTask(e.object);
      if (e.object.desiredState !== 'READY') this.#due.delete(e.object.id);
    }
  }

  /** Records one task as it is now (at start, every task in the store). */
  observeTask(t: Task): void {
    if (hasEnded(t)) return;
    const since = this.#runningSince.get(t.id);
    if (t.status.state === 'RUNNING') {
      if (since === undefined || since === null) this.#runningSince.set(t.id, t.status.timestamp);
    } else if (since === undefined) this.#runningSince.set(t.id, null);
  }

  /** Forgets everything (the state was replaced from a snapshot). */
  reset(): void {
    this.#runningSince.clear();
    this.#attempts.clear();
    this.#streaks.clear();
    this.#due.clear();
  }

  /** Records when a replacement created desired READY may run. */
  delayed(taskId: string, dueMs: number): void {
    this.#due.set(taskId, dueMs);
  }

  #neverRan(t: Task): boolean {
    return this.#runningSince.get(t.id) === null;
  }

  /**
   * How long an ended task ran: 0 when it never reached RUNNING; undefined when this supervisor never
   * saw it alive (it ended under an earlier leader).
   */
  ranFor(t: Task): number | undefined {
    const since = this.#runningSince.get(t.id);
    if (since === undefined) return undefined;
    if (since === null) return 0;
    return Math.max(0, t.status.timestamp - since);
  }

  /**
   * Whether `ended` (a task of `service` that ended by itself while still wanted) is replaced. `history`
   * is every task of its slot (global: of its node), `ended` included.
   */
  decide(service: Service, ended: Task, history: readonly Task[], now: number): RestartDecision {
    const policy = service.spec.task.restartPolicy;
    if (policy.condition === 'none') return { restart: false, reason: 'restart condition is none' };
    if (policy.condition === 'on-failure' && ended.status.state === 'COMPLETE')
      return { restart: false, reason: 'completed and the restart condition is on-failure' };
    if (policy.maxAttempts > 0) {
      const from = policy.windowMs > 0 ? now - policy.windowMs : Number.NEGATIVE_INFINITY;
      const key = slotKey(ended);
      const seen = this.#attempts.get(key) ?? new Map<string, { at: number; weight: number }>();
      for (const h of history.some((x) => x.id === ended.id) ? history : [...history, ended])
        if (endedOnItsOwn(h)) seen.set(h.id, { at: h.status.timestamp, weight: 1 + h.status.restarts });
      // Deciding needs no more than the newest maxAttempts + 1 attempts (each weighs at least 1).
      const kept = [...seen.entries()].sort((a, b) => b[1].at - a[1].at).slice(0, policy.maxAttempts + 1);
      this.#attempts.set(key, new Map(kept));
      let attempts = 0;
      for (const [, a] of kept) if (a.at >= from) attempts += a.weight;
      if (attempts > policy.maxAttempts)
        return {
          restart: false,
          reason: `${attempts} attempts${policy.windowMs > 0 ? ` within ${policy.windowMs} ms` : ''} exceed the maximum of ${policy.maxAttempts}`,
        };
    }
    return { restart: true, delayMs: this.delayAfter(service, ended, history) };
  }

  /** The delay before the replacement of `ended` may run. */
  delayAfter(service: Service, ended: Task, history: readonly Task[]): number {
    const failures = this.#failures(ended, history);
    const backoff =
      failures <= 1 ? 0 : Math.min(RESTART_BACKOFF.baseMs * 2 ** (failures - 2), RESTART_BACKOFF.maxMs);
    const explicit = service.spec.task.restartPolicy.delayMs;
    if (explicit === null) return backoff;
    return this.#neverRan(ended) ? Math.max(explicit, backoff) : explicit;
  }

  /** Consecutive failures of the slot ending with `ended` (1: the first, or the first after a reset). */
  #failures(ended: Task, history: readonly Task[]): number {
    const key = slotKey(ended);
    const streak = this.#streaks.get(key);
    if (streak?.lastEndedId === ended.id) return streak.failures;
    const ran = this.ranFor(ended);
    let failures = 1;
    if (ran !== undefined && ran < RESTART_BACKOFF.resetAfterMs) {
      const chain = history
        .filter((h) => h.id !== ended.id && endedOnItsOwn(h) && byAge(h, ended) < 0)
        .sort(byAge)
        .reverse();
      for (const h of chain) {
        failures++;
        const r = this.ranFor(h);
        if (r === undefined || r >= RESTART_BACKOFF.resetAfterMs) break;
      }
      failures = Math.max(failures, (streak?.failures ?? 0) + 1);
    }
    this.#streaks.set(key, { lastEndedId: ended.id, failures });
    return failures;
  }

  /**
   * When a replacement created with desired READY may be promoted to RUNNING: its creation time plus the
   * delay its predecessor's end called for (recomputed, so that a new leader finishes what the old one
   * started: swarmkit's taskinit).
   */
  promotionDue(service: Service, ready: Task, history: readonly Task[]): number {
    const known = this.#due.get(ready.id);
    if (known !== undefined) return known;
    const before = history
      .filter((h) => h.id !== ready.id && endedOnItsOwn(h) && byAge(h, ready) < 0)
      .sort(byAge);
    const last = before[before.length - 1];
    return ready.meta.createdAt + (last === undefined ? 0 : this.delayAfter(service, last, before));
  }
}
