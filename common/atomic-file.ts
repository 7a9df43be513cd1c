import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode } from './errors.js';

/**
 * Fsyncs a directory so that a rename or removal in it survives a crash. Some filesystems refuse fsync on
 * a directory (EINVAL, EBADF); the rename is still atomic there, so that is not an error.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch (err) {
    if (errorCode(err) !== 'EINVAL' && errorCode(err) !== 'EBADF') throw err;
  } finally {
    await dh.close();
  }
}

export interface AtomicWriteOptions {
  /** @default 0o600 */
  mode?: number;
  /** Fsync the directory after the rename; false when the caller syncs it once after several files. @default true */
  syncDir?: boolean;
}

/**
 * Replaces `path` with `data` so that a crash leaves the old content or the new, never a mix: a temporary
 * file beside it (created with `mode`), written and fsynced, renamed over it, then the directory fsynced.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    // The umask may have narrowed nothing or more than asked: the file gets exactly `mode`.
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (options.syncDir ?? true) await syncDirectory(dirname(path));
}
