/**
 * The OCI runtime `config.json` subset that swarm-runtime accepts (runtime-native/src/spec.h), typed with
 * the field names the OCI runtime specification spells. The C runtime refuses any field outside this
 * subset by its JSON path, so nothing here may grow a field that spec.h does not parse: `process.terminal`,
 * `linux.uidMappings`, `linux.intelRdt`, hooks and the rest are deliberately absent.
 *
 * Numbers are JavaScript numbers: every value swarmd writes fits in 2^53 − 1. Optional fields are omitted
 * from the JSON, never written as `null`.
 */

/** The whole document. Key order in the written JSON follows this interface. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: OciRoot;
  /** Set in the container's UTS namespace; absent = left as the runtime found it. */
  hostname?: string;
  /** Mounted in this order, after the rootfs and before pivot_root. */
  mounts: OciMount[];
  linux: OciLinux;
  /** Free-form; kept as they are by the runtime. */
  annotations?: Record<string, string>;
}

export interface OciRoot {
  /** The root filesystem; a relative path is resolved against the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface OciProcess {
  /** At least one; `args[0]` is looked up in the container's PATH when it holds no slash. */
  args: string[];
  /** Each `KEY=value`. */
  env: string[];
  /** Absolute. */
  cwd: string;
  user: OciUser;
  /** Absent: the process runs with every set empty (no capabilities at all). */
  capabilities?: OciCapabilities;
  noNewPrivileges?: boolean;
  rlimits?: OciRlimit[];
  /** -1000..1000. */
  oomScoreAdj?: number;
}

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** Capability names as the kernel headers spell them (`CAP_NET_RAW`). */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

export type OciRlimitType =
  | 'RLIMIT_AS'
  | 'RLIMIT_CORE'
  | 'RLIMIT_CPU'
  | 'RLIMIT_DATA'
  | 'RLIMIT_FSIZE'
  | 'RLIMIT_LOCKS'
  | 'RLIMIT_MEMLOCK'
  | 'RLIMIT_MSGQUEUE'
  | 'RLIMIT_NICE'
  | 'RLIMIT_NOFILE'
  | 'RLIMIT_NPROC'
  | 'RLIMIT_RSS'
  | 'RLIMIT_RTPRIO'
  | 'RLIMIT_RTTIME'
  | 'RLIMIT_SIGPENDING'
  | 'RLIMIT_STACK';

export interface OciRlimit {
  type: OciRlimitType;
  hard: number;
  soft: number;
}

/** The mount types swarm-runtime knows; `cgroup`/`cgroup2` are refused on purpose. */
export type OciMountType = 'bind' | 'proc' | 'tmpfs' | 'sysfs' | 'devpts' | 'mqueue' | 'overlay';

export interface OciMount {
  /** Absolute and normalised (no `.`, `..` or `//`). */
  destination: string;
  type: OciMountType;
  /** For bind: the host path. For the others: the filesystem's source name (`tmpfs`, `proc`, …). */
  source?: string;
  /** Flags (`nosuid`, `ro`, `rbind`, `rprivate`, …) and data (`mode=755`, `size=65536k`). */
  options?: string[];
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this namespace instead of creating one. swarm-runtime accepts it for network, ipc and uts. */
  path?: string;
}

export type OciRootfsPropagation = 'private' | 'rprivate' | 'slave' | 'rslave' | 'shared' | 'rshared';

export interface OciLinux {
  namespaces: OciNamespace[];
  resources?: OciResources;
  /** Where the container's cgroup lives below each hierarchy's root, e.g. `/swarmd/<task id>`. */
  cgroupsPath?: string;
  /** Device nodes to create in the container's /dev, beyond the ones every OCI runtime supplies. */
  devices?: OciDevice[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** Namespaced keys only (`net.*`, `kernel.shm*`, `fs.mqueue.*`, …). */
  sysctl?: Record<string, string>;
  /** Absent: no seccomp filter. */
  seccomp?: OciSeccomp;
  rootfsPropagation?: OciRootfsPropagation;
}

export interface OciResources {
  /** The device cgroup: evaluated in order, the last matching rule wins. */
  devices?: OciDeviceCgroup[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: OciPids;
}

export interface OciMemory {
  /** Bytes. */
  limit?: number;
  /** Bytes; the soft limit. */
  reservation?: number;
  /** Bytes of memory plus swap (v1 memsw semantics); -1 = unlimited swap. */
  swap?: number;
}

export interface OciCpu {
  /** Relative weight (cgroup v1 `cpu.shares`). */
  shares?: number;
  /** Microseconds of CPU time per period. */
  quota?: number;
  /** Microseconds. */
  period?: number;
  /** `0-3,5` list. */
  cpus?: string;
  /** `0-1` list. */
  mems?: string;
}

export interface OciPids {
  limit: number;
}

/** `c`, `b` or `a` (all); omitted major/minor mean "any". Access is a subset of `rwm`. */
export interface OciDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciDevice {
  /** Absolute, under /dev. */
  path: string;
  /** `c` char, `b` block, `u` unbuffered char (= `c`), `p` FIFO. */
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  /** Permission bits; absent = 0666. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export type OciSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type OciSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/** libseccomp architecture names. */
export type OciSeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64';

export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  /** The errno for a default action of SCMP_ACT_ERRNO/TRACE; absent = EPERM. */
  defaultErrnoRet?: number;
  /** Absent or empty: the native architecture only. */
  architectures?: OciSeccompArch[];
  syscalls?: OciSyscallRule[];
}

/** One rule: the action applies to each named call whose arguments match every `args` condition. */
export interface OciSyscallRule {
  /** `[a-z0-9_]+`, at least one. */
  names: string[];
  action: OciSeccompAction;
  /** For SCMP_ACT_ERRNO/TRACE; absent = EPERM. */
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/**
 * One argument condition. For SCMP_CMP_MASKED_EQ the condition is `(arg & value) == valueTwo`; for the
 * others `arg <op> value`.
 */
export interface OciSeccompArg {
  /** 0..5. */
  index: number;
  value: number;
  valueTwo?: number;
  op: OciSeccompOperator;
}
