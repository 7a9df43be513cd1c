/**
 * @module manager/replication/encryption — the manager's data encryption key at rest: `<raft dir>/dek.json`
 * (in clear, or sealed with a key derived from the cluster's unlock key when autolocked) and the
 * `SWMKEY-1-…` unlock keys. The storage (`../storage`) seals the Raft log and snapshots with the key.
 */

export type { DataKeyFileOptions, DataKeyState } from './data-key-file.js';
export { DEK_FILE, loadOrCreateDataKey, readDataKeyState, rewrapDataKey } from './data-key-file.js';
export { DataKeyFileError, InvalidUnlockKeyError, LockedError, WrongUnlockKeyError } from './errors.js';
export type { RandomBytes } from './unlock-key.js';
export { generateUnlockKey, parseUnlockKey, UNLOCK_KEY_PREFIX } from './unlock-key.js';
