/**
 * @module runtime-native/ts/oci — turns what a task wants into an OCI runtime `config.json` with safe,
 * Docker-like defaults, for swarm-runtime (and crun or runc in its place).
 *
 * Data flow: `ContainerSpecOptions` → `compileContainerSpecOptions()` (every rule and default, typed
 * `SpecInvalidError`s naming the option) → `CompiledContainerSpecOptions` → `buildContainerSpecFromCompiled()`
 * → `OciSpec` → `writeBundle(dir, spec)`. `buildContainerSpec()` does the first three in one call.
 *
 * Everything emitted stays inside the config.json subset of runtime-native/src/spec.h: no user namespaces,
 * no cgroup mounts, mount types bind/proc/tmpfs/sysfs/devpts/mqueue/overlay, namespaced sysctls only, and
 * seccomp actions, operators and architectures that spec.h knows. The default seccomp profile and the
 * reasoning behind it live in default-seccomp.ts.
 */

export { CONFIG_FILE, MAX_CONFIG_BYTES, readBundleSpec, writeBundle } from './bundle.js';
export {
  ALL_CAPABILITIES,
  type CapabilityChanges,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities.js';
export { checkSeccompProfile, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS } from './check-seccomp.js';
export {
  ALLOWED_PERSONALITIES,
  ALWAYS_DENIED_SYSCALLS,
  CLONE_NAMESPACE_FLAGS,
  type DefaultSeccompOptions,
  defaultSeccompProfile,
  type HostArch,
  isHostArch,
} from './default-seccomp.js';
export {
  buildContainerSpec,
  buildContainerSpecFromCompiled,
  type CompiledContainerResources,
  type CompiledContainerSpecOptions,
  type ContainerDeviceOptions,
  type ContainerMountOptions,
  type ContainerNetworkOptions,
  type ContainerResourceOptions,
  type ContainerRlimitOptions,
  type ContainerSpecOptions,
  type ContainerUserOptions,
  compileContainerSpecOptions,
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_RLIMITS,
  MIN_MEMORY_BYTES,
  NANO_CPUS_PERIOD_US,
  OCI_VERSION,
} from './default-spec.js';
export { BundleReadError, BundleWriteError, SpecInvalidError } from './errors.js';
export type {
  OciCapabilities,
  OciCpu,
  OciDevice,
  OciDeviceCgroup,
  OciLinux,
  OciMemory,
  OciMount,
  OciMountType,
  OciNamespace,
  OciNamespaceType,
  OciPids,
  OciProcess,
  OciResources,
  OciRlimit,
  OciRlimitType,
  OciRoot,
  OciRootfsPropagation,
  OciSeccomp,
  OciSeccompAction,
  OciSeccompArch,
  OciSeccompArg,
  OciSeccompOperator,
  OciSpec,
  OciSyscallRule,
  OciUser,
} from './oci-types.js';
