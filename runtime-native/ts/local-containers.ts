import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupDirsFor } from './cgroup-paths.js';
import { type ContainerStats, readCgroupStats } from './cgroup-stats.js';
import { type LogRecord, readContainerLog } from './container-log.js';
import { ContainerNotFoundError } from './errors.js';
import type { ExitRecord } from './exit-record.js';
import { buildContainerSpec, type ContainerSpecOptions, SpecInvalidError, writeBundle } from './oci/index.js';
import type { OciRuntime } from './oci-runtime.js';
import { type PreparedRootfs, prepareHostImage } from './rootfs/host-image.js';
import { mountOverlayRootfs, unmountOverlayRootfs } from './rootfs/overlay-rootfs.js';

/** Where a container's root filesystem comes from. */
export type ImageRef = { kind: 'host' } | { kind: 'rootfs'; path: string };

export interface LocalContainerOptions
  extends Omit<ContainerSpecOptions, 'rootPath' | 'cgroupsPath' | 'readonlyRoot'> {
  image: ImageRef;
  /** Only for rootfs images (the host image is always read-only). @default false */
  readonlyRoot?: boolean;
  logMaxBytes?: number;
  logMaxFiles?: number;
}

export interface LocalContainersOptions {
  runtime: OciRuntime;
  /** Bundles, overlay layers and logs live in `<stateDir>/<id>/`. */
  stateDir: string;
  /** Containers' cgroups are `<cgroupParent>/<id>`. @default '/swarmd' */
  cgroupParent?: string;
}

export interface RunResult {
  exit: ExitRecord;
  logs: LogRecord[];
}

const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Containers on this host through one OCI runtime: builds each bundle (root filesystem from the `host`
 * image or a rootfs folder with a private writable layer, config.json with safe defaults), creates the
 * container, and removes everything again. What the agent's executor and `swarmd container run` use.
 */
export class LocalContainers {
  readonly runtime: OciRuntime;
  readonly #stateDir: string;
  readonly #cgroupParent: string;
  #mountinfo: Promise<string> | null = null;

  constructor(options: LocalContainersOptions) {
    if (!options.stateDir.startsWith('/'))
      throw new RangeError(`stateDir: must be an absolute path, got "${options.stateDir}"`);
    this.runtime = options.runtime;
    this.#stateDir = options.stateDir;
    this.#cgroupParent = options.cgroupParent ?? '/swarmd';
  }

  bundleDir(id: string): string {
    return join(this.#stateDir, id);
  }

  /** Where `create` writes the container's init pid (OCI `--pid-file`). */
  pidPath(id: string): string {
    return join(this.bundleDir(id), 'init.pid');
  }

  logPath(id: string): string {
    return join(this.bundleDir(id), 'container.log');
  }

  /**
   * The container's CPU, memory and pids from its cgroup files, found under the cgroup parent without
   * asking the runtime (no process spawned: metrics scrapes call this for every container); null when it
   * has no cgroup (not created, or gone).
   */
  async stats(id: string): Promise<ContainerStats | null> {
    // The cgroup hierarchies are mounted once at boot: the mount table is read once, not per container.
    this.#mountinfo ??= readFile('/proc/self/mountinfo', 'utf8').catch((err: unknown) => {
      this.#mountinfo = null;
      throw err;
    });
    const dirs = await cgroupDirsFor(`${this.#cgroupParent}/${id}`, await this.#mountinfo);
    const probe = dirs.cpuacct ?? dirs.memory ?? dirs.unified;
    if (probe === undefined || !existsSync(probe)) return null;
    return readCgroupStats(dirs);
  }

  /** Builds the bundle and creates the container; on any failure nothing is left behind. */
  async create(id: string, options: LocalContainerOptions): Promise<void> {
    if (!ID_PATTERN.test(id))
      throw new SpecInvalidError(
        'id',
        `must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-', got "${id}"`,
      );
    const { image, readonlyRoot, logMaxBytes, logMaxFiles, ...specOptions } = options;
    const dir = this.bundleDir(id);
    await mkdir(this.#stateDir, { recursive: true, mode: 0o700 });
    await mkdir(dir, { mode: 0o700 });
    let overlay = false;
    try {
      let rootfs: PreparedRootfs;
      if (image.kind === 'host') {
        rootfs = await prepareHostImage(dir, { hostname: options.hostname ?? id });
      } else {
        rootfs = await mountOverlayRootfs(dir, image.path);
        overlay = true;
      }
      const spec = buildContainerSpec({
        ...specOptions,
        hostname: options.hostname ?? id,
        rootPath: rootfs.rootPath,
        readonlyRoot: rootfs.readonlyRoot || (readonlyRoot ?? false),
        mounts: [...rootfs.mounts, ...(options.mounts ?? [])],
        cgroupsPath: `${this.#cgroupParent}/${id}`,
      });
      await writeBundle(dir, spec);
      await this.runtime.create(id, {
        bundle: dir,
        containerLog: this.logPath(id),
        pidFile: this.pidPath(id),
        ...(logMaxBytes === undefined ? {} : { logMaxBytes }),
        ...(logMaxFiles === undefined ? {} : { logMaxFiles }),
      });
    } catch (err) {
      if (overlay) await unmountOverlayRootfs(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Deletes the container (killing it first with `force`) and its bundle, layer and logs. */
  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    try {
      await this.runtime.delete(id, options);
    } catch (err) {
      // A container the runtime no longer knows (its state was wiped) still has a bundle, a layer and
      // logs here; anything else (still running, say) must keep them.
      if (!(err instanceof ContainerNotFoundError)) throw err;
      await this.cleanup(id);
      throw err;
    }
    await this.cleanup(id);
  }

  /** Removes what create() made for a container the runtime no longer knows. */
  async cleanup(id: string): Promise<void> {
    const dir = this.bundleDir(id);
    await unmountOverlayRootfs(dir);
    await rm(dir, { recursive: true, force: true });
  }

  logs(id: string): Promise<LogRecord[]> {
    return readContainerLog(this.logPath(id));
  }

  /** Creates, starts and waits for a container, then removes it; returns how it ended and its output. */
  async run(id: string, options: LocalContainerOptions): Promise<RunResult> {
    await this.create(id, options);
    try {
      const exited = this.runtime.wait(id);
      await this.runtime.start(id);
      const exit = await exited;
      const logs = await this.logs(id);
      return { exit, logs };
    } finally {
      await this.remove(id, { force: true });
    }
  }
}
