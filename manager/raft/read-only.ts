import type { MsgReadIndex } from './message.js';

/** A read waiting for a heartbeat quorum to confirm the leader's leadership. */
export interface ReadIndexStatus {
  readonly req: MsgReadIndex;
  /** The leader's commit index when the read arrived: the read may be served once it is applied. */
  readonly index: number;
  readonly acks: Set<bigint>;
}

/** A string key for a request context (bytes as char codes): cheap and collision-free. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i] as number);
  return s;
}

/**
 * The leader's pending ReadIndex requests (§6.4 of the Raft dissertation, "safe" mode): each waits until a
 * heartbeat round carrying its context (or a later one's) is acknowledged by a quorum.
 *
 * Invariants: `#queue[#head..]` lists exactly the keys of `#pending`, oldest first.
 */
export class ReadOnly {
  readonly #pending = new Map<string, ReadIndexStatus>();
  #queue: string[] = [];
  #head = 0;

  get size(): number {
    return this.#pending.size;
  }

  /** Queues `req`, to be answered with `index`; a context already queued is ignored. */
  addRequest(index: number, req: MsgReadIndex): void {
    const key = contextKey(req.context);
    if (this.#pending.has(key)) return;
    this.#pending.set(key, { req, index, acks: new Set() });
    this.#queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat carrying `ctx`; returns the acks so far (null if unknown). */
  recvAck(id: bigint, ctx: Uint8Array): ReadonlySet<bigint> | null {
    const rs = this.#pending.get(contextKey(ctx));
    if (rs === undefined) return null;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * The heartbeat round of `ctx` reached a quorum: dequeues and returns every request up to and including
   * it (the earlier ones are confirmed by the same round).
   */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(ctx);
    if (!this.#pending.has(key)) return [];
    const out: ReadIndexStatus[] = [];
    while (this.#head < this.#queue.length) {
      const k = this.#queue[this.#head++] as string;
      const rs = this.#pending.get(k) as ReadIndexStatus;
      this.#pending.delete(k);
      out.push(rs);
      if (k === key) break;
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  /** The context of the newest pending request (heartbeats carry it), or null. */
  lastPendingRequestCtx(): Uint8Array | null {
    if (this.#head === this.#queue.length) return null;
    const rs = this.#pending.get(this.#queue[this.#queue.length - 1] as string);
    return rs === undefined ? null : rs.req.context;
  }

  /** Drops every pending request (leadership changed). */
  reset(): void {
    this.#pending.clear();
    this.#queue = [];
    this.#head = 0;
  }
}
