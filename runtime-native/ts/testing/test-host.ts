import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeCgroupParent } from '../cgroup-paths.js';
import { LocalContainers } from '../local-containers.js';
import { buildContainerSpec, type ContainerSpecOptions, writeBundle } from '../oci/index.js';
import { OciRuntime, type RuntimeKind } from '../oci-runtime.js';
import { swarmRuntimePath } from '../paths.js';
import { unmountOverlayRootfs } from '../rootfs/overlay-rootfs.js';
import { spawnCommand } from '../spawn-command.js';

/** The static probe program the tests run inside containers (runtime-native/tests/helpers/probe.c). */
export function probePath(): string {
  return join(swarmRuntimePath(), '..', 'rn-probe');
}

const BUSYBOX = '/bin/busybox';

/**
 * A minimal root filesystem: busybox (static) with its applets as symlinks, rn-probe, and a small /etc.
 * Built once per test file into `dir`.
 */
export async function makeBusyboxRootfs(dir: string): Promise<string> {
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'proc',
    'sys',
    'dev',
    'etc',
    'tmp',
    'root',
    'mnt',
    'run',
  ])
    await mkdir(join(dir, d), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(dir, 'bin', 'busybox'));
  await chmod(join(dir, 'bin', 'busybox'), 0o755);
  const applets = (await spawnCommand(BUSYBOX, ['--list'])).stdout
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const a of applets) await symlink('busybox', join(dir, 'bin', a));
  await copyFile(probePath(), join(dir, 'bin', 'rn-probe'));
  await chmod(join(dir, 'bin', 'rn-probe'), 0o755);
  await writeFile(
    join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  await writeFile(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

export interface TestHostOptions {
  /** Runtime binary and kind (crun and runc go through a wrapper, see {@link hybridCgroupWrapper}). */
  binary?: string;
  kind?: RuntimeKind;
  cgroupDriver?: 'auto' | 'v1' | 'v2';
}

/**
 * Everything one test file needs to run real containers, in a private temporary directory and a cgroup
 * parent of its own, and a cleanup that removes all of it even after failures: containers (killed and
 * deleted), overlay mounts, directories and the cgroup parent.
 */
export class TestHost {
  readonly dir: string;
  readonly runtime: OciRuntime;
  readonly containers: LocalContainers;
  readonly cgroupParent: string;
  readonly rootfs: string;
  #bundles = 0;

  private constructor(dir: string, runtime: OciRuntime, containers: LocalContainers, cgroupParent: string) {
    this.dir = dir;
    this.runtime = runtime;
    this.containers = containers;
    this.cgroupParent = cgroupParent;
    this.rootfs = join(dir, 'rootfs');
  }

  static async create(options: TestHostOptions = {}): Promise<TestHost> {
    // Short paths: the shim's socket path must fit in 108 bytes.
    const dir = await mkdtemp('/tmp/swt-');
    const tag = randomBytes(4).toString('hex');
    const cgroupParent = `/swarmd-test-${tag}`;
    const runtime = new OciRuntime({
      root: join(dir, 'rt'),
      shimRoot: join(dir, 'sh'),
      ...(options.binary === undefined ? {} : { binary: options.binary }),
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.cgroupDriver === undefined ? {} : { cgroupDriver: options.cgroupDriver }),
    });
    const containers = new LocalContainers({ runtime, stateDir: join(dir, 'c'), cgroupParent });
    const host = new TestHost(dir, runtime, containers, cgroupParent);
    try {
      await makeBusyboxRootfs(host.rootfs);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return host;
  }

  /** A unique container id. */
  id(prefix = 'c'): string {
    return `${prefix}${++this.#bundles}-${randomBytes(3).toString('hex')}`;
  }

  /** Writes a bundle over the busybox rootfs (or the given root) and returns its directory. */
  async bundle(
    options: Partial<ContainerSpecOptions> & { args: readonly string[] },
    name = this.id('b'),
  ): Promise<string> {
    const dir = join(this.dir, 'bundles', name);
    await mkdir(dir, { recursive: true });
    const spec = buildContainerSpec({
      rootPath: this.rootfs,
      cgroupsPath: `${this.cgroupParent}/${name}`,
      hostname: name,
      ...options,
    });
    await writeBundle(dir, spec);
    return dir;
  }

  /** Kills and deletes every container this host's runtime knows, then removes every trace. */
  async cleanup(): Promise<void> {
    let ids: string[] = [];
    try {
      ids = (await this.runtime.list()).map((c) => c.id);
    } catch {
      ids = [];
    }
    for (const id of ids) await this.runtime.delete(id, { force: true }).catch(() => undefined);
    try {
      for (const id of await readdir(join(this.dir, 'c')))
        await unmountOverlayRootfs(join(this.dir, 'c', id));
    } catch {
      // no containers made through LocalContainers
    }
    await removeCgroupParent(this.cgroupParent);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * crun refuses this machine's hybrid cgroup layout ("cgroups in hybrid mode not supported": the cgroup2
 * mount holds hugetlb). This wrapper runs it in a private mount namespace with /sys/fs/cgroup/unified
 * unmounted, which it accepts; the v1 hierarchies it uses are the host's own.
 */
export async function hybridCgroupWrapper(dir: string, runtime: 'crun' | 'runc'): Promise<string> {
  const path = join(dir, runtime);
  const real = `/usr/bin/${runtime}`;
  await writeFile(
    path,
    `#!/bin/sh\nexec unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec ${real} "$@"' ${runtime} "$@"\n`,
  );
  await chmod(path, 0o755);
  return path;
}
