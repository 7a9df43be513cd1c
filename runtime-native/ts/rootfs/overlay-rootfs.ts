import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RootfsError } from '../errors.js';
import { spawnCommand } from '../spawn-command.js';
import type { PreparedRootfs } from './host-image.js';

/**
 * A root filesystem from a folder (an unpacked image), shared read-only between containers, with a
 * writable overlay layer of the container's own: `<dir>/upper` and `<dir>/work` hold what the container
 * writes, `<dir>/rootfs` is the merged view. The mount lives in the host's mount namespace, as containerd's
 * snapshots do, so any OCI runtime can use the bundle; {@link unmountOverlayRootfs} removes it.
 */
export async function mountOverlayRootfs(dir: string, lowerDir: string): Promise<PreparedRootfs> {
  let isDir = false;
  try {
    isDir = (await stat(lowerDir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!lowerDir.startsWith('/') || !isDir)
    throw new RootfsError(`Cannot use rootfs "${lowerDir}": it must be an absolute path to a directory`);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const rootPath = join(dir, 'rootfs');
  for (const d of [upper, work, rootPath]) await mkdir(d, { recursive: true, mode: 0o755 });
  const opts = `lowerdir=${lowerDir},upperdir=${upper},workdir=${work}`;
  if (/[,:]/.test(lowerDir) || /[,:]/.test(dir))
    throw new RootfsError(
      `Cannot mount an overlay over "${lowerDir}": paths with ',' or ':' are not supported`,
    );
  const r = await spawnCommand('mount', ['-t', 'overlay', 'overlay', '-o', opts, rootPath]);
  if (r.code !== 0) throw new RootfsError(`Cannot mount the overlay root of "${dir}": ${r.stderr.trim()}`);
  return { rootPath, mounts: [], readonlyRoot: false };
}

/** Unmounts the merged view if it is mounted; idempotent. */
export async function unmountOverlayRootfs(dir: string): Promise<void> {
  const rootPath = join(dir, 'rootfs');
  const r = await spawnCommand('umount', [rootPath]);
  if (r.code !== 0 && !/not mounted|no mount point|No such file/.test(r.stderr))
    throw new RootfsError(`Cannot unmount the overlay root of "${dir}": ${r.stderr.trim()}`);
}
