import { customAlphabet } from 'nanoid';

/** Object ids: 25 characters of base36, 129 random bits (design.md §3). */
export const ID_LENGTH = 25;
export const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const ID_PATTERN = /^[0-9a-z]{25}$/;

/** Where new object ids come from; injected so tests can make them reproducible. */
export interface IdSource {
  newId(): string;
}

const randomId = customAlphabet(ID_ALPHABET, ID_LENGTH);

/** Ids from the CSPRNG through nanoid. */
export const randomIdSource: IdSource = { newId: randomId };

/** True when `s` has the shape of an object id. */
export function isId(s: string): boolean {
  return ID_PATTERN.test(s);
}
