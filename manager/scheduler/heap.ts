/**
 * A binary min-heap over an array with a caller's ordering. The scheduler keeps one per branch of its
 * placement tree; after placing a task it raises the top's key in place and sifts it down
 * ({@link Heap.fixTop}), which costs O(log n) instead of a pop and a push.
 */
export class Heap<T> {
  readonly #less: (a: T, b: T) => boolean;
  readonly #items: T[];

  /** `items` is taken over (heapified in place, O(n)). */
  constructor(less: (a: T, b: T) => boolean, items: T[] = []) {
    this.#less = less;
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(items[i] as T, items[parent] as T)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the smallest item, or undefined when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** Restores the order after the top item's key grew. */
  fixTop(): void {
    if (this.#items.length > 1) this.#down(0);
  }

  #down(start: number): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.#less(items[r] as T, items[l] as T) ? r : l;
      if (!this.#less(items[c] as T, items[i] as T)) return;
      this.#swap(i, c);
      i = c;
    }
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const t = items[a] as T;
    items[a] = items[b] as T;
    items[b] = t;
  }
}
