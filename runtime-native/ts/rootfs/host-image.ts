import { copyFile, lstat, mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerMountOptions } from '../oci/index.js';

/**
 * The `host` image: the host's programs and libraries, read-only, in a root of the container's own, like
 * Nomad's exec driver. It needs no registry and no download: a container of it runs whatever the host has
 * installed. The root is a small skeleton directory (read-only at run time) holding mount points, the
 * host's top-level symlinks (/bin → usr/bin on merged-/usr hosts) and a minimal /etc written for the
 * container; the host's /usr, /bin, /sbin and /lib* are bind-mounted read-only; /tmp and /run are private
 * tmpfs.
 */
export interface HostImageOptions {
  /** The container's hostname, written to /etc/hostname and /etc/hosts. */
  hostname: string;
  /** The host directory the image's host paths are read from (tests use a fixture). @default '/' */
  hostRoot?: string;
}

export interface PreparedRootfs {
  /** The directory to use as root.path. */
  rootPath: string;
  /** Mounts to add to the spec. */
  mounts: ContainerMountOptions[];
  /** Whether the root must be read-only (the host image is). */
  readonlyRoot: boolean;
}

/** Top-level host paths the image shows, read-only. /etc is not among them: the container gets its own. */
const HOST_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr'] as const;

/** Host files under /etc a program needs to run: the dynamic linker's cache, TLS roots, time zones. */
const HOST_ETC = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'ssl',
  'ca-certificates',
  'localtime',
  'services',
  'protocols',
  'nsswitch.conf',
] as const;

/** Empty directories the root needs as mount points and for a usual filesystem layout. */
const SKELETON_DIRS = [
  'proc',
  'sys',
  'dev',
  'tmp',
  'run',
  'etc',
  'root',
  'home',
  'var',
  'var/tmp',
  'mnt',
] as const;

async function kind(path: string): Promise<'dir' | 'symlink' | 'file' | 'missing'> {
  try {
    const st = await lstat(path);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** Builds the skeleton in `dir` (which must be empty or missing) and returns the root and its mounts. */
export async function prepareHostImage(dir: string, options: HostImageOptions): Promise<PreparedRootfs> {
  const hostRoot = options.hostRoot ?? '/';
  const rootPath = join(dir, 'rootfs');
  await mkdir(rootPath, { recursive: true, mode: 0o755 });
  for (const d of SKELETON_DIRS) await mkdir(join(rootPath, d), { recursive: true, mode: 0o755 });
  const mounts: ContainerMountOptions[] = [];
  for (const name of HOST_DIRS) {
    const host = join(hostRoot, name);
    const k = await kind(host);
    if (k === 'symlink') {
      await symlink(await readlink(host), join(rootPath, name));
    } else if (k === 'dir') {
      await mkdir(join(rootPath, name), { mode: 0o755 });
      mounts.push({
        destination: `/${name}`,
        type: 'bind',
        source: host,
        options: ['rbind', 'ro', 'nosuid', 'nodev'],
      });
    }
  }
  const etc = join(rootPath, 'etc');
  for (const name of HOST_ETC) {
    const host = join(hostRoot, 'etc', name);
    const k = await kind(host);
    if (k === 'dir') {
      await mkdir(join(etc, name), { mode: 0o755 });
      mounts.push({
        destination: `/etc/${name}`,
        type: 'bind',
        source: host,
        options: ['rbind', 'ro', 'nosuid', 'nodev'],
      });
    } else if (k === 'file') {
      await copyFile(host, join(etc, name));
    } else if (k === 'symlink') {
      await symlink(await readlink(host), join(etc, name));
    }
  }
  const hostname = options.hostname;
  await writeFile(join(etc, 'hostname'), `${hostname}\n`);
  await writeFile(
    join(etc, 'hosts'),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`,
  );
  await writeFile(
    join(etc, 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  await writeFile(join(etc, 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  await writeFile(join(etc, 'resolv.conf'), '');
  mounts.push(
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'],
    },
    {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/var/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'],
    },
  );
  return { rootPath, mounts, readonlyRoot: true };
}
