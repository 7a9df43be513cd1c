/**
 * A linearizability checker after Wing & Gong, with Lowe's and Porcupine's improvements: the history is a
 * doubly linked list of call and return events in real-time order; the search linearizes a pending call
 * (removing it and its return from the list) when the model accepts it, backtracks at a return whose call
 * could not be linearized, and memoizes (set of linearized operations, model state) pairs it has seen, so
 * each is explored once. Histories are first split into independent partitions (per key) by the model.
 */

/**
 * One completed or pending operation of a client. `output` is undefined and `ret` Infinity when the
 * outcome is unknown (the client timed out): it may have taken effect at any point after `call`, or not at
 * all.
 */
export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  readonly output: O | undefined;
  /** When the call was made (any monotone clock; ties count as concurrent). */
  readonly call: number;
  /** When the response arrived; Infinity when it never did. */
  readonly ret: number;
}

/** A sequential specification. */
export interface Model<S, I, O> {
  init(): S;
  /**
   * Whether applying `input` to `state` may produce `output` (undefined: unknown, accept any), and the
   * state after it.
   */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  equal(a: S, b: S): boolean;
  /** Splits a history into histories that can be checked independently (per key). @default one */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  describeOperation?(op: Operation<I, O>): string;
}

/** The verdict: `unknown` when the search budget ran out. */
export type CheckResult = 'ok' | 'illegal' | 'unknown';

export interface CheckReport<I, O> {
  readonly result: CheckResult;
  /** The partition that is not linearizable (or ran out of budget), when the result is not `ok`. */
  readonly failedPartition: readonly Operation<I, O>[] | null;
  /** The partition's operations in the longest linearization found, when the result is not `ok`. */
  readonly longestPrefix: readonly Operation<I, O>[] | null;
  /** Search steps taken over all partitions. */
  readonly steps: number;
}

interface Event<I, O> {
  readonly op: Operation<I, O>;
  readonly id: number;
  readonly isCall: boolean;
  readonly time: number;
  match: Event<I, O> | null;
  prev: Event<I, O> | null;
  next: Event<I, O> | null;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(n: number, words?: Uint32Array) {
    this.words = words ?? new Uint32Array((n + 31) >>> 5);
  }
  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) | (1 << (i & 31));
  }
  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) & ~(1 << (i & 31));
  }
  clone(): Bitset {
    return new Bitset(0, this.words.slice());
  }
  equals(o: Bitset): boolean {
    const a = this.words;
    const b = o.words;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  hash(): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.words.length; i++)
      h = Math.imul(h ^ (this.words[i] as number), 0x01000193) >>> 0;
    return h;
  }
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Event<I, O> {
  const events: Event<I, O>[] = [];
  ops.forEach((op, id) => {
    const call: Event<I, O> = { op, id, isCall: true, time: op.call, match: null, prev: null, next: null };
    const ret: Event<I, O> = { op, id, isCall: false, time: op.ret, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // Real-time order; at equal times calls first (treated as concurrent: never a false alarm).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Event<I, O> = {
    op: undefined as unknown as Operation<I, O>,
    id: -1,
    isCall: false,
    time: Number.NEGATIVE_INFINITY,
    match: null,
    prev: null,
    next: null,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift<I, O>(call: Event<I, O>): void {
  (call.prev as Event<I, O>).next = call.next;
  (call.next as Event<I, O>).prev = call.prev;
  const ret = call.match as Event<I, O>;
  (ret.prev as Event<I, O>).next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift<I, O>(call: Event<I, O>): void {
  const ret = call.match as Event<I, O>;
  (ret.prev as Event<I, O>).next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  (call.prev as Event<I, O>).next = call;
  (call.next as Event<I, O>).prev = call;
}

function checkSingle<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  budget: number,
): { result: CheckResult; steps: number; longest: Operation<I, O>[] } {
  const head = buildList(ops);
  const linearized = new Bitset(ops.length);
  const cache = new Map<number, { bits: Bitset; state: S }[]>();
  const calls: { event: Event<I, O>; state: S }[] = [];
  let longest: Operation<I, O>[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > budget) return { result: 'unknown', steps, longest };
    if (entry === null) return { result: 'illegal', steps, longest };
    if (entry.isCall) {
      const res = model.step(state, entry.op.input, entry.op.output);
      if (res.ok) {
        const bits = linearized.clone();
        bits.set(entry.id);
        const h = bits.hash();
        let bucket = cache.get(h);
        const seen = bucket?.some((c) => c.bits.equals(bits) && model.equal(c.state, res.state)) ?? false;
        if (!seen) {
          if (bucket === undefined) {
            bucket = [];
            cache.set(h, bucket);
          }
          bucket.push({ bits, state: res.state });
          calls.push({ event: entry, state });
          if (calls.length > longest.length) longest = calls.map((c) => c.event.op);
          state = res.state;
          linearized.set(entry.id);
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return whose call is still in the list: that call cannot be linearized before it. Backtrack.
      const top = calls.pop();
      if (top === undefined) return { result: 'illegal', steps, longest };
      entry = top.event;
      state = top.state;
      linearized.clear(entry.id);
      unlift(entry);
      entry = entry.next;
    }
  }
  return { result: 'ok', steps, longest };
}

/**
 * Checks that `history` is linearizable with respect to `model`, partition by partition.
 * @param budget search steps allowed per partition before answering `unknown`
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  budget = 5_000_000,
): CheckReport<I, O> {
  const partitions = model.partition?.(history) ?? [history.slice()];
  let steps = 0;
  let unknown: CheckReport<I, O> | null = null;
  for (const part of partitions) {
    const r = checkSingle(model, part, budget);
    steps += r.steps;
    if (r.result === 'illegal')
      return { result: 'illegal', failedPartition: part, longestPrefix: r.longest, steps };
    if (r.result === 'unknown' && unknown === null)
      unknown = { result: 'unknown', failedPartition: part, longestPrefix: r.longest, steps: 0 };
  }
  if (unknown !== null) return { ...unknown, steps };
  return { result: 'ok', failedPartition: null, longestPrefix: null, steps };
}
