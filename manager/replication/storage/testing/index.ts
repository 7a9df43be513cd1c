/** @module manager/replication/storage/testing — test helpers for the durable Raft storage. */

export { captureLogger, ent, ents, plain, tempDir } from './fixtures.js';
export type { FsEvent } from './spy-fs.js';
export { SpyFs } from './spy-fs.js';
