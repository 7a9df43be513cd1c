/**
 * SplitMix64 on 32-bit halves: the same sequence as common's `SeededRand` (and any other SplitMix64) for
 * the same seed, without BigInt arithmetic on the hot path, for the simulation's millions of draws.
 * Raft may not import `common`, so the simulation has its own. Structurally a common `Rand`.
 */
export class SplitMix64 {
  #hi: number;
  #lo: number;

  constructor(seed: number | bigint) {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.#hi = Number(s >> 32n) >>> 0;
    this.#lo = Number(s & 0xffffffffn) >>> 0;
  }

  /** The next 64-bit output as [high 32 bits, low 32 bits]. */
  next64(): [number, number] {
    this.#advance();
    return [outHi, outLo];
  }

  #advance(): void {
    // state += 0x9e3779b97f4a7c15
    const lo0 = this.#lo + 0x7f4a7c15;
    this.#lo = lo0 >>> 0;
    this.#hi = (this.#hi + 0x9e3779b9 + (lo0 > 0xffffffff ? 1 : 0)) >>> 0;
    let hi = this.#hi;
    let lo = this.#lo;
    // z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9
    lo = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
    hi = (hi ^ (hi >>> 30)) >>> 0;
    mul64(hi, lo, 0xbf58476d, 0x1ce4e5b9);
    hi = outHi;
    lo = outLo;
    // z = (z ^ (z >>> 27)) * 0x94d049bb133111eb
    lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
    hi = (hi ^ (hi >>> 27)) >>> 0;
    mul64(hi, lo, 0x94d049bb, 0x133111eb);
    hi = outHi;
    lo = outLo;
    // z ^ (z >>> 31)
    lo = (lo ^ ((lo >>> 31) | (hi << 1))) >>> 0;
    outHi = (hi ^ (hi >>> 31)) >>> 0;
    outLo = lo;
  }

  /** A float in [0, 1) from the top 53 bits. */
  next(): number {
    this.#advance();
    return (outHi * 2097152 + (outLo >>> 11)) / 9007199254740992;
  }

  /** An integer in [0, n); n must be a positive safe integer. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new RangeError(`SplitMix64.int: n must be a positive safe integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('SplitMix64.pick: empty array');
    return items[this.int(items.length)] as T;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }

  /** A new generator seeded from this one's next output: an independent stream per component. */
  fork(): SplitMix64 {
    const [hi, lo] = this.next64();
    return new SplitMix64((BigInt(hi) << 32n) | BigInt(lo));
  }
}

// Results of #advance() and mul64(), as unsigned 32-bit halves (module scratch: no allocation per draw).
let outHi = 0;
let outLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into (outHi:outLo). */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  outHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  outLo = lo;
}
