import * as fs from 'node:fs';

/**
 * The file operations the WAL and the snapshotter use, and nothing else: an injectable seam, so tests can
 * watch the order of writes and syncs, hold an fdatasync back, or make one fail (`testing/spy-fs.ts`).
 * Every method settles only when the operation is done; `write` writes the whole range or fails.
 */
export interface StorageFs {
  /** Opens a file: `r` to read, `r+` to read and write an existing file, `wx` to create a new one. */
  open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number>;
  /** Writes all of `buf[offset, offset + length)` at file `position`. */
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  /** Flushes the file's data and the metadata needed to read it back (its size), not its times. */
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  /** The names in a directory; [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a directory and its parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
  /** fsyncs a directory, so that the names created, renamed or removed in it are durable. */
  syncDir(path: string): Promise<void>;
}

function done(resolve: () => void, reject: (err: unknown) => void): (err: unknown) => void {
  return (err) => (err ? reject(err) : resolve());
}

function writeAllSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): void {
  while (length > 0) {
    const n = fs.writeSync(fd, buf, offset, length, position);
    offset += n;
    position += n;
    length -= n;
  }
}

/**
 * The real file system. `write` copies into the page cache synchronously (`writeSync`: microseconds for
 * a Ready's worth of records, no disk wait) and only the syncs go to libuv's thread pool: one thread-pool
 * round trip per group commit instead of two, which is most of the cost of a small save on a fast disk.
 */
export const nodeStorageFs: StorageFs = {
  open: (path, flags) =>
    new Promise((resolve, reject) =>
      fs.open(path, flags, 0o600, (err, fd) => (err ? reject(err) : resolve(fd))),
    ),
  write: async (fd, buf, offset, length, position) => writeAllSync(fd, buf, offset, length, position),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, done(resolve, reject))),
  fsync: (fd) => new Promise((resolve, reject) => fs.fsync(fd, done(resolve, reject))),
  ftruncate: (fd, length) =>
    new Promise((resolve, reject) => fs.ftruncate(fd, length, done(resolve, reject))),
  close: (fd) => new Promise((resolve, reject) => fs.close(fd, done(resolve, reject))),
  readFile: (path) => fs.promises.readFile(path),
  readdir: async (path) => {
    try {
      return await fs.promises.readdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true, mode: 0o700 });
  },
  syncDir: async (path) => {
    const fd = await nodeStorageFs.open(path, 'r');
    try {
      await nodeStorageFs.fsync(fd);
    } finally {
      await nodeStorageFs.close(fd);
    }
  },
};
