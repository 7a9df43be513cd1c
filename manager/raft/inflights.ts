import { InvariantViolationError } from './errors.js';

/**
 * The MsgApps sent to one follower and not yet acknowledged, as a ring buffer of (last index, bytes):
 * the flow-control window of the replicate state. `add` and `freeLE` are O(1) amortized; the buffer
 * grows on demand up to `size` slots and is reused across resets.
 *
 * Invariants: `count <= size`; the indexes in the window increase from the oldest to the newest.
 */
export class Inflights {
  readonly #size: number;
  readonly #maxBytes: number;
  #start = 0;
  #count = 0;
  #bytes = 0;
  #indexes: Float64Array;
  #sizes: Float64Array;

  /** At most `size` messages and (if `maxBytes` > 0) `maxBytes` payload bytes in flight. */
  constructor(size: number, maxBytes = 0) {
    this.#size = size;
    this.#maxBytes = maxBytes;
    const cap = Math.min(size, 16);
    this.#indexes = new Float64Array(cap);
    this.#sizes = new Float64Array(cap);
  }

  /** Messages in flight. */
  get count(): number {
    return this.#count;
  }

  /** Payload bytes in flight. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when no more messages may be sent until some are acknowledged. */
  full(): boolean {
    return this.#count === this.#size || (this.#maxBytes > 0 && this.#bytes >= this.#maxBytes);
  }

  /**
   * Records a message whose last entry is `index` carrying `bytes` payload bytes.
   * @throws InvariantViolationError when the window is full (check {@link full} first)
   */
  add(index: number, bytes: number): void {
    if (this.full()) throw new InvariantViolationError('Cannot add into a full inflights window');
    const cap = this.#indexes.length;
    if (this.#count === cap) this.#grow();
    const slot = (this.#start + this.#count) % this.#indexes.length;
    this.#indexes[slot] = index;
    this.#sizes[slot] = bytes;
    this.#count++;
    this.#bytes += bytes;
  }

  /** Frees the messages whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    if (this.#count === 0) return;
    const cap = this.#indexes.length;
    let i = 0;
    let idx = this.#start;
    let freed = 0;
    for (; i < this.#count; i++) {
      if ((this.#indexes[idx] as number) > to) break;
      freed += this.#sizes[idx] as number;
      idx++;
      if (idx === cap) idx = 0;
    }
    this.#count -= i;
    this.#bytes -= freed;
    this.#start = this.#count === 0 ? 0 : idx;
  }

  /** Empties the window (the follower changed state). */
  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  #grow(): void {
    const cap = this.#indexes.length;
    const next = Math.min(this.#size, Math.max(1, cap * 2));
    const indexes = new Float64Array(next);
    const sizes = new Float64Array(next);
    for (let i = 0; i < this.#count; i++) {
      const from = (this.#start + i) % cap;
      indexes[i] = this.#indexes[from] as number;
      sizes[i] = this.#sizes[from] as number;
    }
    this.#indexes = indexes;
    this.#sizes = sizes;
    this.#start = 0;
  }
}
