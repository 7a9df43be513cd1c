/**
 * @module runtime-native — the container runtime and its TypeScript binding.
 *
 * `swarm-runtime` (C, built by `npm install` into runtime-native/build/) speaks the OCI runtime command
 * line; {@link OciRuntime} drives it, or crun or runc in its place, by spawning the binary. `oci/` builds
 * config.json with safe defaults; `rootfs/` prepares the host image and overlay roots; {@link
 * LocalContainers} ties them together for one host.
 */
export { cgroupDirsFor, removeCgroupParent } from './cgroup-paths.js';
export { type CgroupDirs, type ContainerStats, readCgroupStats } from './cgroup-stats.js';
export { type LogRecord, readContainerLog, streamText } from './container-log.js';
export {
  ContainerExistsError,
  ContainerNotFoundError,
  ExitUnknownError,
  RootfsError,
  RuntimeCommandError,
} from './errors.js';
export { type ExitRecord, parseExitRecord } from './exit-record.js';
export {
  type ImageRef,
  type LocalContainerOptions,
  LocalContainers,
  type LocalContainersOptions,
  type RunResult,
} from './local-containers.js';
export * from './oci/index.js';
export {
  type ContainerState,
  type CreateOptions,
  type ExecOptions,
  type ExecResult,
  OciRuntime,
  type OciRuntimeOptions,
  type RuntimeKind,
} from './oci-runtime.js';
export { packageRoot, swarmRuntimePath } from './paths.js';
export { type HostImageOptions, type PreparedRootfs, prepareHostImage } from './rootfs/host-image.js';
export { mountOverlayRootfs, unmountOverlayRootfs } from './rootfs/overlay-rootfs.js';
