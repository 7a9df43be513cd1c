import type { Message } from '../message.js';
import type { SplitMix64 } from './split-mix64.js';

/** How the simulated network misbehaves; rates are per message. */
export interface NetworkFaults {
  /** Probability a message is lost. */
  drop: number;
  /** Probability a message is delivered twice (with its own delay). */
  duplicate: number;
  /** Delay of a normal message, in time units: uniform in [minDelay, maxDelay]. */
  minDelay: number;
  maxDelay: number;
  /** Probability a message takes a long detour (uniform in [maxDelay, longDelay]): reordering. */
  longDelayRate: number;
  longDelay: number;
  /**
   * Links are FIFO, like the stream transport: a message is never delivered before one sent earlier on the
   * same link, except those on a long detour and duplicates. When false, every message is delayed
   * independently, so anything may overtake anything.
   */
  fifo: boolean;
}

/** A fault-free network with short delays (the healed state). */
export const HEALED: NetworkFaults = {
  drop: 0,
  duplicate: 0,
  minDelay: 1,
  maxDelay: 3,
  longDelayRate: 0,
  longDelay: 3,
  fifo: true,
};

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly msg: Message;
}

/**
 * The simulation's network: messages in flight in a priority queue by delivery time, lost, duplicated,
 * delayed and reordered at the configured rates, and dropped on links that are cut (partitions, possibly
 * one-way). Every choice comes from the simulation's seeded generator.
 */
export class SimNetwork {
  faults: NetworkFaults;
  readonly #rand: SplitMix64;
  readonly #heap: InFlight[] = [];
  readonly #blocked = new Set<string>();
  /** Per link, the delivery time of the last FIFO message. */
  readonly #linkTail = new Map<string, number>();
  #seq = 0;
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(rand: SplitMix64, faults: NetworkFaults) {
    this.#rand = rand;
    this.faults = faults;
  }

  get inFlight(): number {
    return this.#heap.length;
  }

  /** Whether messages from `from` to `to` are currently cut. */
  isBlocked(from: bigint, to: bigint): boolean {
    return this.#blocked.size > 0 && this.#blocked.has(`${from}>${to}`);
  }

  get partitioned(): boolean {
    return this.#blocked.size > 0;
  }

  /** Cuts one direction of a link. */
  cutOneWay(from: bigint, to: bigint): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between group `a` and group `b`, both ways. */
  split(a: readonly bigint[], b: readonly bigint[]): void {
    for (const x of a)
      for (const y of b) {
        this.cutOneWay(x, y);
        this.cutOneWay(y, x);
      }
  }

  /** Reconnects everything. */
  heal(): void {
    this.#blocked.clear();
  }

  /**
   * Puts `msg` on the wire at time `now`. Returns false when it is lost at once (cut link or drop); the
   * sender's transport would then report the peer unreachable.
   */
  send(msg: Message, now: number): boolean {
    this.sent++;
    if (this.isBlocked(msg.from, msg.to) || this.#rand.chance(this.faults.drop)) {
      this.dropped++;
      return false;
    }
    this.#push(msg, this.#deliveryTime(msg, now));
    if (this.#rand.chance(this.faults.duplicate)) {
      this.duplicated++;
      this.#push(msg, now + this.#delay());
    }
    return true;
  }

  #deliveryTime(msg: Message, now: number): number {
    const f = this.faults;
    if (this.#rand.chance(f.longDelayRate))
      return now + f.maxDelay + this.#rand.int(Math.max(1, f.longDelay - f.maxDelay));
    const at = now + this.#delay();
    if (!f.fifo) return at;
    const link = `${msg.from}>${msg.to}`;
    const tail = Math.max(at, this.#linkTail.get(link) ?? 0);
    this.#linkTail.set(link, tail);
    return tail;
  }

  /** Removes and returns the next message due at or before `now` whose link is up, or null. */
  nextDue(now: number): Message | null {
    while (this.#heap.length > 0 && (this.#heap[0] as InFlight).at <= now) {
      const m = this.#pop().msg;
      if (this.isBlocked(m.from, m.to)) {
        this.dropped++;
        continue;
      }
      return m;
    }
    return null;
  }

  /** A normal delay. */
  #delay(): number {
    const f = this.faults;
    return f.minDelay + this.#rand.int(f.maxDelay - f.minDelay + 1);
  }

  #push(msg: Message, at: number): void {
    const h = this.#heap;
    const item: InFlight = { at, seq: this.#seq++, msg };
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as InFlight;
      if (parent.at < at || (parent.at === at && parent.seq < item.seq)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  #pop(): InFlight {
    const h = this.#heap;
    const top = h[0] as InFlight;
    const last = h.pop() as InFlight;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        const lc = h[l] as InFlight;
        if (r < n) {
          const rc = h[r] as InFlight;
          if (rc.at < lc.at || (rc.at === lc.at && rc.seq < lc.seq)) c = r;
        }
        const child = h[c] as InFlight;
        if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
