import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../common/index.js';
import type { CgroupDirs } from './cgroup-stats.js';

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'devices', 'freezer'] as const;

/** Finds the container's directories from the mount table, for runtimes that do not record them. */
export async function cgroupDirsFor(cgroupsPath: string, mountinfo?: string): Promise<CgroupDirs> {
  const text = mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  const rel = cgroupsPath.replace(/^\/+/, '');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    const mountPoint = fields[4]?.replace(/\\040/g, ' ');
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') out.unified = join(mountPoint, rel);
    if (fstype === 'cgroup') {
      const opts = (superOpts ?? '').split(',');
      const controllers = V1_CONTROLLERS.filter((c) => opts.includes(c));
      for (const c of controllers) out[c] = join(mountPoint, rel);
      // Hierarchies the runtime itself does not use (blkio, name=systemd) still get cgroups from crun and
      // runc: list them too, under their mount point's name, so cleanup finds them.
      if (controllers.length === 0) out[`other:${mountPoint}`] = join(mountPoint, rel);
    }
  }
  return out;
}

/**
 * Removes a cgroup parent (e.g. the `/swarmd-test-123` under which containers were placed) from every
 * hierarchy, deepest first; it must hold no cgroups any more. Missing directories are fine.
 */
export async function removeCgroupParent(cgroupsPath: string): Promise<void> {
  const dirs = await cgroupDirsFor(cgroupsPath);
  for (const dir of new Set(Object.values(dirs))) {
    try {
      await rmdir(dir);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
  }
}
