/**
 * A Control API watch: the store's object events for a client, grouped by applied entry and stamped with
 * its version, after a first `started` event that says from which version on the stream is complete.
 * Secret data is removed from every event.
 */

import type { ObjectKind, StoreObject } from '../../proto/index.js';
import type { MemoryStore, ObjectEvent, Watcher } from '../store/index.js';
import { ControlApiUnavailableError } from './errors.js';

/** The writes a watch reports; `remove` is the store's `delete`. */
export type ControlWatchAction = 'create' | 'update' | 'remove';

export interface ControlWatchOptions {
  /** @default every kind */
  kinds?: readonly ObjectKind[] | undefined;
  /** @default create, update and remove */
  actions?: readonly ControlWatchAction[] | undefined;
  /** The most events held for a slow reader before the watch fails. @default the store's (10 000) */
  maxQueue?: number | undefined;
}

export type ControlWatchEvent =
  | { readonly action: 'started'; readonly version: number }
  | {
      readonly action: ControlWatchAction;
      readonly kind: ObjectKind;
      /** After the write; for `remove`, as it was when removed. */
      readonly object: StoreObject;
      /** Before an update; null otherwise. */
      readonly old: StoreObject | null;
      /** The index of the entry that made the write. */
      readonly version: number;
    };

const DONE: IteratorResult<ControlWatchEvent> = Object.freeze({ done: true, value: undefined });

/** Removes the data of a secret (never returned); other objects pass through. */
export function redacted(kind: ObjectKind, object: StoreObject): StoreObject {
  if (kind !== 'secret') return object;
  const s = object as StoreObject & { spec: { data: Uint8Array } };
  return { ...s, spec: { ...s.spec, data: new Uint8Array(0) } } as StoreObject;
}

/**
 * Read with `next()` or `for await`; `close()` ends it (a pending `next()` resolves done). It fails (once)
 * with the store's `WatcherOverflowError` when the reader fell too far behind, and with a temporary
 * {@link ControlApiUnavailableError} when the Control API stopped, the store closed, or the store was
 * replaced from a snapshot (events were missed: watch again).
 */
export class ControlWatch implements AsyncIterableIterator<ControlWatchEvent> {
  readonly #watcher: Watcher;
  readonly #onClose: (w: ControlWatch) => void;
  #pending: ObjectEvent[] = [];
  #ready: ControlWatchEvent[] = [];
  #error: unknown = null;
  #closing = false;
  #finished = false;
  #released = false;

  /** @internal — made by `ControlService.watch()`. */
  constructor(store: MemoryStore, options: ControlWatchOptions, onClose: (w: ControlWatch) => void) {
    const { result, watcher } = store.viewAndWatch((tx) => tx.version, {
      ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
      ...(options.actions === undefined
        ? {}
        : { actions: options.actions.map((a) => (a === 'remove' ? 'delete' : a)) }),
      ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
    });
    this.#watcher = watcher;
    this.#onClose = onClose;
    this.#ready.push({ action: 'started', version: result });
  }

  /** Tells the owner this watch is over (once). */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onClose(this);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#watcher.close();
    this.#release();
  }

  async next(): Promise<IteratorResult<ControlWatchEvent>> {
    for (;;) {
      const ready = this.#ready.shift();
      if (ready !== undefined) return { done: false, value: ready };
      if (this.#error !== null) {
        const err = this.#error;
        this.#error = null;
        this.#finish();
        throw err;
      }
      if (this.#finished) return DONE;
      let r: IteratorResult<unknown>;
      try {
        r = await this.#watcher.next();
      } catch (err) {
        this.#finish();
        throw err;
      }
      if (r.done === true) {
        if (this.#error === null && !this.#closing)
          this.#error = new ControlApiUnavailableError('watch', 'the store was closed');
        if (this.#error === null) {
          this.#finish();
          return DONE;
        }
        continue;
      }
      const e = r.value as ObjectEvent | { action: 'commit' | 'restore'; version: number };
      if (e.action === 'commit') {
        for (const o of this.#pending)
          this.#ready.push({
            action: o.action === 'delete' ? 'remove' : o.action,
            kind: o.kind,
            object: redacted(o.kind, o.object),
            old: o.old === null ? null : redacted(o.kind, o.old),
            version: e.version,
          });
        this.#pending = [];
      } else if (e.action === 'restore') {
        this.fail(
          new ControlApiUnavailableError(
            'watch',
            'the store was replaced from a snapshot, so events may have been missed; watch again',
          ),
        );
      } else this.#pending.push(e as ObjectEvent);
    }
  }

  /** Ends the watch with `err`, which the reader gets once (after the events already grouped). */
  fail(err: unknown): void {
    if (this.#finished || this.#closing) return;
    this.#error = err;
    this.#pending = [];
    this.#closing = true;
    this.#watcher.close();
    this.#release();
  }

  /** Ends the watch: what was not read is dropped, a pending `next()` resolves done. Idempotent. */
  close(): void {
    this.#closing = true;
    this.#ready = [];
    this.#pending = [];
    this.#error = null;
    this.#finish();
  }

  return(): Promise<IteratorResult<ControlWatchEvent>> {
    this.close();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ControlWatchEvent> {
    return this;
  }
}
