/**
 * Seeded randomness. Everything that draws random numbers in logic that tests replay (elections, jitter,
 * simulations) takes a {@link Rand}; only the composition roots seed one from the CSPRNG.
 */
export interface Rand {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n); n must be a positive safe integer. */
  int(n: number): number;
  /** A new generator whose sequence depends only on this one's state: for per-node streams. */
  fork(): Rand;
}

const MASK64 = (1n << 64n) - 1n;

/**
 * SplitMix64: small, fast and statistically sound for simulation work. The same seed gives the same
 * sequence on every platform, which is what a replayable failing seed needs.
 */
export class SeededRand implements Rand {
  #state: bigint;

  constructor(seed: number | bigint) {
    this.#state = BigInt.asUintN(64, BigInt(seed));
  }

  #next64(): bigint {
    this.#state = (this.#state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.#state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  next(): number {
    // 53 high bits make a uniformly distributed double in [0, 1).
    return Number(this.#next64() >> 11n) / 2 ** 53;
  }

  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new RangeError(`Rand.int: n must be a positive safe integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  fork(): Rand {
    return new SeededRand(this.#next64());
  }
}

/** A generator seeded from the CSPRNG, for production use. */
export function randomSeededRand(): Rand {
  const buf = new BigUint64Array(1);
  globalThis.crypto.getRandomValues(buf);
  return new SeededRand(buf[0] ?? 0n);
}
