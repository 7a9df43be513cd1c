/**
 * The shape check of a join token for flags and options (the format and its digest are pki's): a token
 * that passes may still be refused by the cluster's CA.
 */
import { parseJoinToken } from '../pki/index.js';

/** True when `s` has the shape of a join token (`SWMTKN-1-<digest>-<secret>`). */
export function isJoinToken(s: string): boolean {
  try {
    parseJoinToken(s);
    return true;
  } catch {
    return false;
  }
}
