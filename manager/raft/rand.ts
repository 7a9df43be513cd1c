/**
 * The randomness raft needs (election jitter): structurally the subset of common's `Rand` raft uses, so the
 * driver passes a `Rand` (seeded from the CSPRNG in production, from the test seed in simulations).
 */
export interface RaftRand {
  /** An integer in [0, n); n is a positive safe integer. */
  int(n: number): number;
}
