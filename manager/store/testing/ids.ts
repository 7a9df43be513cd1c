import { ID_ALPHABET, ID_LENGTH, type IdSource, SeededRand } from '../../../common/index.js';

/** Object ids from a seed: the same seed gives the same ids, in the shape of real ones (25 base36 chars). */
export class SeededIdSource implements IdSource {
  readonly #rand: SeededRand;

  constructor(seed: number | bigint) {
    this.#rand = new SeededRand(seed);
  }

  newId(): string {
    // Each draw gives 53 random bits: 10 base36 digits (36^10 < 2^53).
    let id = '';
    while (id.length < ID_LENGTH) {
      let n = Math.floor(this.#rand.next() * 36 ** 10);
      for (let i = 0; i < 10 && id.length < ID_LENGTH; i++) {
        id += ID_ALPHABET[n % 36];
        n = Math.floor(n / 36);
      }
    }
    return id;
  }
}
