import { resolveCapabilities } from './capabilities.js';
import { checkSeccompProfile } from './check-seccomp.js';
import { defaultSeccompProfile, isHostArch } from './default-seccomp.js';
import { SpecInvalidError } from './errors.js';
import type {
  OciDevice,
  OciDeviceCgroup,
  OciLinux,
  OciMount,
  OciMountType,
  OciNamespace,
  OciProcess,
  OciResources,
  OciRlimit,
  OciRlimitType,
  OciRootfsPropagation,
  OciSeccomp,
  OciSpec,
} from './oci-types.js';

/** The `ociVersion` written into every spec. */
export const OCI_VERSION = '1.0.2';

/** The PATH a container gets when its env sets none (Docker's). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The smallest memory limit accepted (Docker's minimum): below it a container cannot even start a shell. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** The CFS period Docker uses when it turns `nanoCpus` into a quota. */
export const NANO_CPUS_PERIOD_US = 100_000;

/**
 * Hidden from the container (a file is covered by /dev/null, a directory by an empty read-only tmpfs):
 * Docker's list. They expose host hardware, kernel memory, the kernel keyring, timing side channels and
 * power readings (the powercap RAPL counters leak what other tenants compute).
 */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]);

/** Remounted read-only: Docker's list. /proc/sys holds host-wide kernel tunables. */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/**
 * No rlimits by default: the container inherits the runtime's, as Docker's containers inherit the daemon's
 * (its systemd unit sets LimitNOFILE). Raising a hard limit above the caller's needs CAP_SYS_RESOURCE, which
 * sandboxed hosts (this build machine among them) do not grant, so a fixed default such as 1024/524288 would
 * make every container fail to start there. Pass `rlimits` to set them per container.
 */
export const DEFAULT_RLIMITS: readonly Readonly<OciRlimit>[] = Object.freeze([]);

/** The user the process runs as. */
export interface ContainerUserOptions {
  /** @default 0 */
  uid?: number | undefined;
  /** @default 0 */
  gid?: number | undefined;
  /** Supplementary groups. @default [] */
  additionalGids?: readonly number[] | undefined;
}

/** cgroup limits. Every field is optional; an absent field sets no limit. */
export interface ContainerResourceOptions {
  /** Hard memory limit in bytes; at least 6 MiB. @default no limit */
  memoryBytes?: number | undefined;
  /** Soft limit in bytes (reclaimed first under pressure); at least 6 MiB and at most memoryBytes. @default none */
  memoryReservationBytes?: number | undefined;
  /**
   * Memory plus swap in bytes, Docker's `--memory-swap`: at least memoryBytes (equal = no swap), or -1 for
   * unlimited swap. Needs memoryBytes. @default not set: the runtime leaves swap unlimited, because writing
   * a swap limit fails on hosts without swap accounting.
   */
  memorySwapBytes?: number | undefined;
  /** Relative CPU weight, 2..262144 (Docker's range; 1024 is the kernel's neutral value). @default not set */
  cpuShares?: number | undefined;
  /** CFS quota in µs per period; at least 1000. @default no quota */
  cpuQuotaUs?: number | undefined;
  /** CFS period in µs, 1000..1000000. @default the kernel's (100000) */
  cpuPeriodUs?: number | undefined;
  /**
   * CPUs in billionths (Docker's `--cpus` × 1e9): becomes quota = nanoCpus / 1e9 × 100000 µs per a period of
   * 100000 µs. At least 10000000 (0.01 CPU); cannot be combined with cpuQuotaUs or cpuPeriodUs. @default not set
   */
  nanoCpus?: number | undefined;
  /** CPUs the container may run on, `0-3,5`. @default all */
  cpusetCpus?: string | undefined;
  /** NUMA nodes the container may allocate from, `0-1`. @default all */
  cpusetMems?: string | undefined;
  /** The most processes and threads the container may hold; at least 1. @default no limit */
  pidsLimit?: number | undefined;
}

/**
 * The container's network namespace:
 * - `none`: a new, empty namespace holding only `lo` (the network code adds interfaces to it later);
 * - `host`: no namespace of its own, the host's network;
 * - `path`: join the namespace at `path` (e.g. `/run/netns/<name>`).
 */
export type ContainerNetworkOptions = { mode: 'none' } | { mode: 'host' } | { mode: 'path'; path: string };

/** An extra mount, in OCI terms. */
export interface ContainerMountOptions {
  /** Absolute and normalised; not inside /proc (except lxcfs-style files such as /proc/meminfo). */
  destination: string;
  type: OciMountType;
  /** Required for bind (an absolute host path); @default for the other types, the type's name */
  source?: string | undefined;
  /** A bind mount without `bind` or `rbind` gets `rbind`, like a Docker volume. @default [] */
  options?: readonly string[] | undefined;
}

/** An extra device node, created in the container's /dev and allowed in its device cgroup. */
export interface ContainerDeviceOptions {
  /** Under /dev. */
  path: string;
  /** `c` char, `b` block, `u` unbuffered char, `p` FIFO. */
  type: 'c' | 'b' | 'u' | 'p';
  /** 0..4095; ignored for `p`. */
  major?: number | undefined;
  /** 0..1048575; ignored for `p`. */
  minor?: number | undefined;
  /** Permission bits. @default 0o666 (decided by the runtime) */
  fileMode?: number | undefined;
  /** @default 0 */
  uid?: number | undefined;
  /** @default 0 */
  gid?: number | undefined;
  /** What the device cgroup allows on it, a subset of `rwm`. @default 'rwm' */
  access?: string | undefined;
}

/** A resource limit; replaces the default of the same type. */
export interface ContainerRlimitOptions {
  /** `RLIMIT_NOFILE`, or `nofile`. */
  type: string;
  soft: number;
  hard: number;
}

/** What a task wants from its container; see {@link compileContainerSpecOptions} for the rules. */
export interface ContainerSpecOptions {
  /** The command and its arguments; at least one. */
  args: readonly string[];
  /** `KEY=value` strings, each key once. A PATH is added when none is given. @default [DEFAULT_PATH_ENV] */
  env?: readonly string[] | undefined;
  /** Absolute. @default '/' */
  cwd?: string | undefined;
  /** @default uid 0, gid 0, no supplementary groups */
  user?: ContainerUserOptions | undefined;
  /**
   * An RFC 1123 label set in the container's UTS namespace. The agent should always pass one (Docker uses
   * the container id): left out, the new UTS namespace keeps the copy of the host's name it starts with.
   * @default not set
   */
  hostname?: string | undefined;
  /** The root filesystem; relative paths are resolved against the bundle and may not contain `..`. */
  rootPath: string;
  /** Mount the root filesystem read-only. @default false */
  readonlyRoot?: boolean | undefined;
  /**
   * Extra mounts, appended after the defaults. One whose destination is a default mount's (for example a
   * bigger /dev/shm) replaces that default in place. @default []
   */
  mounts?: readonly ContainerMountOptions[] | undefined;
  /** @default no limits */
  resources?: ContainerResourceOptions | undefined;
  /** Capabilities added to the 14 defaults, with or without `CAP_`; `'ALL'` for every one. @default [] */
  capAdd?: readonly string[] | undefined;
  /** Capabilities removed from the defaults; `'ALL'` leaves only capAdd. @default [] */
  capDrop?: readonly string[] | undefined;
  /** Set PR_SET_NO_NEW_PRIVS, so setuid binaries and file capabilities cannot raise privileges. @default true */
  noNewPrivileges?: boolean | undefined;
  /**
   * `'default'`: the Docker-like profile of default-seccomp.ts for the final capability set;
   * `'unconfined'`: no filter; an object: that profile, checked against what swarm-runtime accepts.
   * @default 'default'
   */
  seccomp?: 'default' | 'unconfined' | OciSeccomp | undefined;
  /** The architecture the default seccomp profile is built for, in `process.arch` spelling. @default process.arch */
  arch?: string | undefined;
  /** @default { mode: 'none' } */
  network?: ContainerNetworkOptions | undefined;
  /** The container's cgroup below each hierarchy's root: absolute, e.g. `/swarmd/<task id>`. */
  cgroupsPath: string;
  /** -1000..1000. @default not set (inherited from the runtime) */
  oomScoreAdj?: number | undefined;
  /** Each replaces the default of its type; others are added. @default DEFAULT_RLIMITS */
  rlimits?: readonly ContainerRlimitOptions[] | undefined;
  /**
   * Namespaced kernel parameters only, as swarm-runtime accepts them: `net.*` (only with network mode
   * `none`, the one namespace the container does not share) and the IPC ones (`kernel.shmmax`, `kernel.shmall`,
   * `kernel.shmmni`, `kernel.shm_rmid_forced`, `kernel.msgmax`, `kernel.msgmnb`, `kernel.msgmni`,
   * `kernel.sem`, `fs.mqueue.*`). @default {}
   */
  sysctl?: Readonly<Record<string, string>> | undefined;
  /** @default {} */
  annotations?: Readonly<Record<string, string>> | undefined;
  /** Extra device nodes. @default [] */
  devices?: readonly ContainerDeviceOptions[] | undefined;
  /** Replaces the default list entirely ([] masks nothing). @default DEFAULT_MASKED_PATHS */
  maskedPaths?: readonly string[] | undefined;
  /** Replaces the default list entirely. @default DEFAULT_READONLY_PATHS */
  readonlyPaths?: readonly string[] | undefined;
}

/** Limits after validation; `null` = not set. `nanoCpus` has become cpuQuotaUs/cpuPeriodUs. */
export interface CompiledContainerResources {
  readonly memoryBytes: number | null;
  readonly memoryReservationBytes: number | null;
  readonly memorySwapBytes: number | null;
  readonly cpuShares: number | null;
  readonly cpuQuotaUs: number | null;
  readonly cpuPeriodUs: number | null;
  readonly cpusetCpus: string | null;
  readonly cpusetMems: string | null;
  readonly pidsLimit: number | null;
}

/** Every decision made: what {@link buildContainerSpecFromCompiled} turns into config.json. */
export interface CompiledContainerSpecOptions {
  readonly args: readonly string[];
  /** PATH included. */
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids: readonly number[] };
  readonly hostname: string | null;
  readonly rootPath: string;
  readonly readonlyRoot: boolean;
  /** The complete list: defaults (some replaced) then the extra mounts. */
  readonly mounts: readonly OciMount[];
  readonly rootfsPropagation: OciRootfsPropagation;
  readonly resources: CompiledContainerResources;
  /** The complete device cgroup list: deny all, the standard allows, then one per extra device. */
  readonly deviceRules: readonly OciDeviceCgroup[];
  readonly devices: readonly OciDevice[];
  /** The final set, in capability-number order: bounding = effective = permitted. */
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  /** `null` = unconfined. */
  readonly seccomp: OciSeccomp | null;
  readonly network: ContainerNetworkOptions;
  readonly cgroupsPath: string;
  readonly oomScoreAdj: number | null;
  readonly rlimits: readonly OciRlimit[];
  readonly sysctl: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Small validators. Each names the option and the rule; values are shown JSON-quoted, cut at 80 characters.

function fail(option: string, rule: string): never {
  throw new SpecInvalidError(option, rule);
}

function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(option: string, v: unknown): string {
  if (typeof v !== 'string') fail(option, `must be a string, got ${show(v)}`);
  if (v.includes('\0')) fail(option, 'must not contain a NUL character');
  return v;
}

function list(option: string, v: unknown): readonly unknown[] {
  if (!Array.isArray(v)) fail(option, `must be an array, got ${show(v)}`);
  return v;
}

function flag(option: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(option, `must be true or false, got ${show(v)}`);
  return v;
}

function integer(option: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(option, `must be an integer, got ${show(v)}`);
  if (v < min || v > max) fail(option, `must be an integer from ${min} to ${max}, got ${v}`);
  return v;
}

/** uid/gid range: 0..2^32-2 (2^32-1 is the kernel's "no id"). */
const MAX_ID = 0xffff_fffe;

/** NGROUPS_MAX on Linux. */
const MAX_GROUPS = 65_536;

function absolutePath(option: string, v: unknown): string {
  const s = text(option, v);
  if (!s.startsWith('/')) fail(option, `must be an absolute path, got ${show(s)}`);
  return s;
}

/** An absolute path without `.`/`..` components, double slashes or a trailing slash (spec.h's form). */
function cleanPath(option: string, v: unknown): string {
  const s = absolutePath(option, v);
  const parts = s.split('/').slice(1);
  if (s !== '/' && parts.some((p) => p === '' || p === '.' || p === '..'))
    fail(option, `must be a normalised absolute path (no ".", ".." or "//"), got ${show(s)}`);
  return s;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

// ---------------------------------------------------------------------------------------------------------
// Pieces of the compile step, in option order.

function compileArgs(v: unknown): string[] {
  const args = list('args', v).map((a, i) => text(`args[${i}]`, a));
  if (args.length === 0) fail('args', 'must hold at least one argument');
  if (args[0] === '') fail('args[0]', 'must not be empty');
  return args;
}

function compileEnv(v: unknown): string[] {
  if (v === undefined) return [DEFAULT_PATH_ENV];
  const seen = new Map<string, number>();
  const env = list('env', v).map((e, i) => {
    // Values are never echoed: env often carries secrets.
    if (typeof e !== 'string' || e.includes('\0')) fail(`env[${i}]`, 'must be KEY=value');
    const eq = e.indexOf('=');
    if (eq <= 0) fail(`env[${i}]`, 'must be KEY=value');
    const key = e.slice(0, eq);
    const first = seen.get(key);
    if (first !== undefined) fail(`env[${i}]`, `"${key}" is already set by env[${first}]`);
    seen.set(key, i);
    return e;
  });
  return seen.has('PATH') ? env : [DEFAULT_PATH_ENV, ...env];
}

function compileUser(v: unknown): CompiledContainerSpecOptions['user'] {
  if (v === undefined) return { uid: 0, gid: 0, additionalGids: [] };
  if (!isRecord(v)) fail('user', `must be an object, got ${show(v)}`);
  const uid = v.uid === undefined ? 0 : integer('user.uid', v.uid, 0, MAX_ID);
  const gid = v.gid === undefined ? 0 : integer('user.gid', v.gid, 0, MAX_ID);
  const gids =
    v.additionalGids === undefined
      ? []
      : list('user.additionalGids', v.additionalGids).map((g, i) =>
          integer(`user.additionalGids[${i}]`, g, 0, MAX_ID),
        );
  if (gids.length > MAX_GROUPS) fail('user.additionalGids', `must hold at most ${MAX_GROUPS} groups`);
  return { uid, gid, additionalGids: [...new Set(gids)] };
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function compileHostname(v: unknown): string | null {
  if (v === undefined) return null;
  const h = text('hostname', v);
  if (!HOSTNAME.test(h))
    fail('hostname', `must be a valid hostname (RFC 1123 label, at most 63 characters), got ${show(h)}`);
  return h;
}

function compileRootPath(v: unknown): string {
  const p = text('rootPath', v);
  if (p === '') fail('rootPath', 'must not be empty');
  if (!p.startsWith('/') && p.split('/').includes('..'))
    fail('rootPath', `a relative path must stay inside the bundle (no ".."), got ${show(p)}`);
  return p;
}

function compileNetwork(v: unknown): ContainerNetworkOptions {
  if (v === undefined) return { mode: 'none' };
  if (!isRecord(v)) fail('network', `must be an object with a mode, got ${show(v)}`);
  switch (v.mode) {
    case 'none':
      return { mode: 'none' };
    case 'host':
      return { mode: 'host' };
    case 'path':
      return { mode: 'path', path: absolutePath('network.path', v.path) };
    default:
      return fail('network.mode', `must be one of none, host, path, got ${show(v.mode)}`);
  }
}

/** The mounts every container gets, in mount order. */
function defaultMounts(network: ContainerNetworkOptions): OciMount[] {
  // With a network namespace of its own, a fresh sysfs shows that namespace's devices. With the host's
  // network, /sys is a read-only bind of the host's instead. It is a plain, non-recursive bind on purpose:
  // `rbind` would carry every mount below the host's /sys (the cgroup hierarchies, debugfs, tracefs, bpffs,
  // securityfs) into the container, and `ro` only makes the top mount read-only, so those would stay
  // writable. Non-recursive, /sys/fs/cgroup is an empty directory, which is also what a container with a
  // private network sees, since swarmd never mounts cgroups into containers.
  const sys: OciMount =
    network.mode === 'host'
      ? {
          destination: '/sys',
          type: 'bind',
          source: '/sys',
          options: ['bind', 'nosuid', 'noexec', 'nodev', 'ro'],
        }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sys,
  ];
}

const MOUNT_TYPES: readonly OciMountType[] = [
  'bind',
  'proc',
  'tmpfs',
  'sysfs',
  'devpts',
  'mqueue',
  'overlay',
];

/** Files below /proc that may be mounted over (what lxcfs provides); the rest of /proc is off limits. */
const PROC_MOUNTABLE: readonly string[] = [
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/loadavg',
  '/proc/meminfo',
  '/proc/slabinfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
];

function compileMount(i: number, v: unknown): OciMount {
  const at = `mounts[${i}]`;
  if (!isRecord(v)) fail(at, `must be an object, got ${show(v)}`);
  const destination = cleanPath(`${at}.destination`, v.destination);
  if (destination === '/') fail(`${at}.destination`, 'must not be "/" (the root filesystem is rootPath)');
  if (isInside(destination, '/proc') && !PROC_MOUNTABLE.includes(destination))
    fail(`${at}.destination`, `must not be inside /proc, got ${show(destination)}`);
  if (typeof v.type !== 'string' || !(MOUNT_TYPES as readonly string[]).includes(v.type))
    fail(`${at}.type`, `must be one of ${MOUNT_TYPES.join(', ')}, got ${show(v.type)}`);
  const type = v.type as OciMountType;
  const options =
    v.options === undefined
      ? []
      : list(`${at}.options`, v.options).map((o, j) => {
          const s = text(`${at}.options[${j}]`, o);
          if (s === '' || s.includes(','))
            fail(`${at}.options[${j}]`, `must be one non-empty option, got ${show(s)}`);
          return s;
        });
  let source: string;
  if (type === 'bind') {
    if (v.source === undefined) fail(`${at}.source`, 'a bind mount needs a source');
    source = absolutePath(`${at}.source`, v.source);
    if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
  } else {
    source = v.source === undefined ? type : text(`${at}.source`, v.source);
    if (source === '') fail(`${at}.source`, 'must not be empty');
  }
  if (type === 'overlay' && !options.some((o) => o.startsWith('lowerdir=')))
    fail(`${at}.options`, 'an overlay mount needs a lowerdir= option');
  return { destination, type, source, options };
}

function compileMounts(v: unknown, network: ContainerNetworkOptions): OciMount[] {
  const mounts = defaultMounts(network);
  if (v === undefined) return mounts;
  const extraAt = new Map<string, number>();
  list('mounts', v).forEach((m, i) => {
    const mount = compileMount(i, m);
    const earlier = extraAt.get(mount.destination);
    if (earlier !== undefined)
      fail(`mounts[${i}].destination`, `"${mount.destination}" is already mounted by mounts[${earlier}]`);
    extraAt.set(mount.destination, i);
    const replaced = mounts.findIndex((d) => d.destination === mount.destination);
    if (replaced >= 0) mounts[replaced] = mount;
    else mounts.push(mount);
  });
  return mounts;
}

/**
 * rprivate, so no mount event crosses between host and container, unless an extra mount asks for shared
 * or slave propagation, which only works when the root is at least as open (Docker does the same).
 */
function rootfsPropagationFor(mounts: readonly OciMount[]): OciRootfsPropagation {
  const options = mounts.flatMap((m) => m.options ?? []);
  if (options.some((o) => o === 'shared' || o === 'rshared')) return 'rshared';
  if (options.some((o) => o === 'slave' || o === 'rslave')) return 'rslave';
  return 'rprivate';
}

const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function cpuset(option: string, v: unknown, what: string): string | null {
  if (v === undefined) return null;
  const s = text(option, v);
  const ok =
    CPUSET.test(s) &&
    s.split(',').every((range) => {
      const [lo, hi] = range.split('-').map(Number);
      return hi === undefined || (lo !== undefined && lo <= hi);
    });
  if (!ok) fail(option, `must be a list of ${what} numbers and ranges like "0-3,5", got ${show(s)}`);
  return s;
}

function optionalInteger(option: string, v: unknown): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(option, `must be an integer, got ${show(v)}`);
  return v;
}

function compileResources(v: unknown): CompiledContainerResources {
  const r = v === undefined ? {} : v;
  if (!isRecord(r)) fail('resources', `must be an object, got ${show(r)}`);
  const atLeast = (option: string, value: number | null, min: number, rule: string): number | null => {
    if (value !== null && value < min) fail(option, `${rule}, got ${value}`);
    return value;
  };

  const memoryBytes = atLeast(
    'resources.memoryBytes',
    optionalInteger('resources.memoryBytes', r.memoryBytes),
    MIN_MEMORY_BYTES,
    `must be at least ${MIN_MEMORY_BYTES} bytes (6 MiB)`,
  );
  const memoryReservationBytes = atLeast(
    'resources.memoryReservationBytes',
    optionalInteger('resources.memoryReservationBytes', r.memoryReservationBytes),
    MIN_MEMORY_BYTES,
    `must be at least ${MIN_MEMORY_BYTES} bytes (6 MiB)`,
  );
  if (memoryReservationBytes !== null && memoryBytes !== null && memoryReservationBytes > memoryBytes)
    fail(
      'resources.memoryReservationBytes',
      `must not exceed resources.memoryBytes (${memoryBytes}), got ${memoryReservationBytes}`,
    );
  const memorySwapBytes = optionalInteger('resources.memorySwapBytes', r.memorySwapBytes);
  if (memorySwapBytes !== null) {
    if (memoryBytes === null) fail('resources.memorySwapBytes', 'needs resources.memoryBytes');
    if (memorySwapBytes !== -1 && memorySwapBytes < memoryBytes)
      fail(
        'resources.memorySwapBytes',
        `must be -1 (unlimited) or at least resources.memoryBytes (${memoryBytes}), got ${memorySwapBytes}`,
      );
  }

  const cpuShares = optionalInteger('resources.cpuShares', r.cpuShares);
  if (cpuShares !== null && (cpuShares < 2 || cpuShares > 262_144))
    fail('resources.cpuShares', `must be from 2 to 262144, got ${cpuShares}`);
  let cpuQuotaUs = atLeast(
    'resources.cpuQuotaUs',
    optionalInteger('resources.cpuQuotaUs', r.cpuQuotaUs),
    1000,
    'must be at least 1000',
  );
  let cpuPeriodUs = optionalInteger('resources.cpuPeriodUs', r.cpuPeriodUs);
  if (cpuPeriodUs !== null && (cpuPeriodUs < 1000 || cpuPeriodUs > 1_000_000))
    fail('resources.cpuPeriodUs', `must be from 1000 to 1000000 (1 ms to 1 s), got ${cpuPeriodUs}`);
  const nanoCpus = atLeast(
    'resources.nanoCpus',
    optionalInteger('resources.nanoCpus', r.nanoCpus),
    10_000_000,
    'must be at least 10000000 (0.01 CPU)',
  );
  if (nanoCpus !== null) {
    if (cpuQuotaUs !== null || cpuPeriodUs !== null)
      fail('resources.nanoCpus', 'cannot be combined with resources.cpuQuotaUs or resources.cpuPeriodUs');
    cpuPeriodUs = NANO_CPUS_PERIOD_US;
    cpuQuotaUs = Math.floor((nanoCpus * NANO_CPUS_PERIOD_US) / 1e9);
  }

  const pidsLimit = atLeast(
    'resources.pidsLimit',
    optionalInteger('resources.pidsLimit', r.pidsLimit),
    1,
    'must be at least 1',
  );
  return {
    memoryBytes,
    memoryReservationBytes,
    memorySwapBytes,
    cpuShares,
    cpuQuotaUs,
    cpuPeriodUs,
    cpusetCpus: cpuset('resources.cpusetCpus', r.cpusetCpus, 'CPU'),
    cpusetMems: cpuset('resources.cpusetMems', r.cpusetMems, 'memory node'),
    pidsLimit,
  };
}

/**
 * Deny everything, then the nodes every program uses. Unlike Docker, no blanket `m` (mknod) allowance: a
 * container cannot even create a node for a device it may not open, so a device node it finds or makes
 * is always one it was given.
 */
const STANDARD_DEVICE_RULES: readonly OciDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
];

/** Nodes every OCI runtime creates itself; an extra device may not take their place. */
const RUNTIME_DEVICES: readonly string[] = [
  '/dev/null',
  '/dev/zero',
  '/dev/full',
  '/dev/random',
  '/dev/urandom',
  '/dev/tty',
  '/dev/console',
  '/dev/ptmx',
];

function compileDevices(v: unknown): { devices: OciDevice[]; rules: OciDeviceCgroup[] } {
  const devices: OciDevice[] = [];
  const rules: OciDeviceCgroup[] = STANDARD_DEVICE_RULES.map((r) => ({ ...r }));
  if (v === undefined) return { devices, rules };
  const byPath = new Map<string, number>();
  list('devices', v).forEach((d, i) => {
    const at = `devices[${i}]`;
    if (!isRecord(d)) fail(at, `must be an object, got ${show(d)}`);
    const path = cleanPath(`${at}.path`, d.path);
    if (!path.startsWith('/dev/')) fail(`${at}.path`, `must be a path under /dev, got ${show(path)}`);
    if (RUNTIME_DEVICES.includes(path)) fail(`${at}.path`, `"${path}" is supplied by the runtime`);
    const earlier = byPath.get(path);
    if (earlier !== undefined) fail(`${at}.path`, `"${path}" is already created by devices[${earlier}]`);
    byPath.set(path, i);
    if (d.type !== 'c' && d.type !== 'b' && d.type !== 'u' && d.type !== 'p')
      fail(`${at}.type`, `must be one of c, b, u, p, got ${show(d.type)}`);
    const type = d.type;
    const fifo = type === 'p';
    const major = fifo ? 0 : integer(`${at}.major`, d.major, 0, 4095);
    const minor = fifo ? 0 : integer(`${at}.minor`, d.minor, 0, 1_048_575);
    const device: OciDevice = { path, type, major, minor };
    if (d.fileMode !== undefined) device.fileMode = integer(`${at}.fileMode`, d.fileMode, 0, 0o777);
    device.uid = d.uid === undefined ? 0 : integer(`${at}.uid`, d.uid, 0, MAX_ID);
    device.gid = d.gid === undefined ? 0 : integer(`${at}.gid`, d.gid, 0, MAX_ID);
    const access = d.access === undefined ? 'rwm' : text(`${at}.access`, d.access);
    if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(access))
      fail(`${at}.access`, `must be a non-empty subset of "rwm", got ${show(access)}`);
    devices.push(device);
    if (!fifo) rules.push({ allow: true, type: type === 'b' ? 'b' : 'c', major, minor, access });
  });
  return { devices, rules };
}

const RLIMIT_TYPES: readonly OciRlimitType[] = [
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK',
];

function compileRlimits(v: unknown): OciRlimit[] {
  const rlimits: OciRlimit[] = DEFAULT_RLIMITS.map((r) => ({ ...r }));
  if (v === undefined) return rlimits;
  const seen = new Map<OciRlimitType, number>();
  list('rlimits', v).forEach((r, i) => {
    const at = `rlimits[${i}]`;
    if (!isRecord(r)) fail(at, `must be an object, got ${show(r)}`);
    const raw = text(`${at}.type`, r.type).toUpperCase();
    const type = (raw.startsWith('RLIMIT_') ? raw : `RLIMIT_${raw}`) as OciRlimitType;
    if (!RLIMIT_TYPES.includes(type)) fail(`${at}.type`, `unknown resource limit ${show(r.type)}`);
    const earlier = seen.get(type);
    if (earlier !== undefined) fail(`${at}.type`, `"${type}" is already set by rlimits[${earlier}]`);
    seen.set(type, i);
    const hard = integer(`${at}.hard`, r.hard, 0, Number.MAX_SAFE_INTEGER);
    const soft = integer(`${at}.soft`, r.soft, 0, Number.MAX_SAFE_INTEGER);
    if (soft > hard) fail(`${at}.soft`, `must not exceed hard (${hard}), got ${soft}`);
    const limit: OciRlimit = { type, hard, soft };
    const replaced = rlimits.findIndex((d) => d.type === type);
    if (replaced >= 0) rlimits[replaced] = limit;
    else rlimits.push(limit);
  });
  return rlimits;
}

/** sysctls that belong to the IPC namespace (besides the fs.mqueue.* tree). */
const IPC_SYSCTLS: readonly string[] = [
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
];

const SYSCTL_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

function compileSysctl(v: unknown, network: ContainerNetworkOptions): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  if (!isRecord(v)) fail('sysctl', `must be an object of key to value, got ${show(v)}`);
  for (const [key, value] of Object.entries(v)) {
    if (!SYSCTL_KEY.test(key)) fail('sysctl', `${show(key)} is not a dotted sysctl name`);
    if (key === 'kernel.hostname') fail('sysctl', '"kernel.hostname" conflicts with the hostname option');
    if (key === 'kernel.domainname') fail('sysctl', '"kernel.domainname" is not supported by swarm-runtime');
    const ipc = IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.');
    const net = key.startsWith('net.');
    if (!ipc && !net) fail('sysctl', `${show(key)} is not namespaced`);
    // With the host's network or a joined one, the write would change a namespace other containers share.
    if (net && network.mode !== 'none')
      fail(
        'sysctl',
        `${show(key)} needs a new network namespace (network.mode "none"), got "${network.mode}"`,
      );
    const s = text(`sysctl.${key}`, value);
    if (s === '' || s.includes('\n'))
      fail(`sysctl.${key}`, `must be a non-empty single line, got ${show(s)}`);
    out[key] = s;
  }
  return out;
}

function compileAnnotations(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  if (!isRecord(v)) fail('annotations', `must be an object of key to value, got ${show(v)}`);
  for (const [key, value] of Object.entries(v)) {
    if (key === '') fail('annotations', 'keys must not be empty');
    out[key] = text(`annotations.${key}`, value);
  }
  return out;
}

function compilePathList(option: string, v: unknown, fallback: readonly string[]): string[] {
  if (v === undefined) return [...fallback];
  const seen = new Map<string, number>();
  return list(option, v).map((p, i) => {
    const path = cleanPath(`${option}[${i}]`, p);
    const earlier = seen.get(path);
    if (earlier !== undefined)
      fail(`${option}[${i}]`, `"${path}" is already listed at ${option}[${earlier}]`);
    seen.set(path, i);
    return path;
  });
}

function compileSeccomp(v: unknown, arch: unknown, capabilities: readonly string[]): OciSeccomp | null {
  if (v === undefined || v === 'default') {
    // The composition edge: the only place the host's architecture is read.
    const hostArch = arch === undefined ? process.arch : text('arch', arch);
    if (!isHostArch(hostArch))
      fail(
        'arch',
        `must be one of x64, ia32, arm64, arm for the default seccomp profile, got ${show(hostArch)}`,
      );
    return defaultSeccompProfile({ capabilities, arch: hostArch });
  }
  if (v === 'unconfined') return null;
  if (isRecord(v)) return checkSeccompProfile(v, 'seccomp');
  return fail('seccomp', `must be "default", "unconfined" or a seccomp profile object, got ${show(v)}`);
}

const CGROUPS_PATH = /^(\/[A-Za-z0-9_.@-]+)+$/;

function compileCgroupsPath(v: unknown): string {
  const p = text('cgroupsPath', v);
  if (!CGROUPS_PATH.test(p) || p.split('/').some((c) => c === '.' || c === '..'))
    fail(
      'cgroupsPath',
      `must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got ${show(p)}`,
    );
  return p;
}

/**
 * Validates every option and applies every default: the one place where a task's wishes are checked.
 * Throws on the first broken rule. Reads `process.arch` only when the default seccomp profile is wanted and
 * `arch` is not given.
 *
 * @throws {SpecInvalidError} (code `ERR_SPEC_INVALID`) naming the option and the rule, e.g.
 *   `resources.memoryBytes: must be at least 6291456 bytes (6 MiB), got 1024`, `args: must hold at least one
 *   argument`, `capAdd: unknown capability "CAP_FOO"`, `sysctl: "vm.swappiness" is not namespaced`.
 */
export function compileContainerSpecOptions(options: ContainerSpecOptions): CompiledContainerSpecOptions {
  if (!isRecord(options)) fail('options', `must be an object, got ${show(options)}`);
  const args = compileArgs(options.args);
  const env = compileEnv(options.env);
  const cwd = options.cwd === undefined ? '/' : absolutePath('cwd', options.cwd);
  const user = compileUser(options.user);
  const hostname = compileHostname(options.hostname);
  const rootPath = compileRootPath(options.rootPath);
  const readonlyRoot = flag('readonlyRoot', options.readonlyRoot, false);
  const network = compileNetwork(options.network);
  const mounts = compileMounts(options.mounts, network);
  const resources = compileResources(options.resources);
  const capabilities = resolveCapabilities({ capAdd: options.capAdd, capDrop: options.capDrop });
  const noNewPrivileges = flag('noNewPrivileges', options.noNewPrivileges, true);
  const seccomp = compileSeccomp(options.seccomp, options.arch, capabilities);
  const cgroupsPath = compileCgroupsPath(options.cgroupsPath);
  const oomScoreAdj =
    options.oomScoreAdj === undefined ? null : integer('oomScoreAdj', options.oomScoreAdj, -1000, 1000);
  const rlimits = compileRlimits(options.rlimits);
  const sysctl = compileSysctl(options.sysctl, network);
  const annotations = compileAnnotations(options.annotations);
  const { devices, rules: deviceRules } = compileDevices(options.devices);
  const maskedPaths = compilePathList('maskedPaths', options.maskedPaths, DEFAULT_MASKED_PATHS);
  const readonlyPaths = compilePathList('readonlyPaths', options.readonlyPaths, DEFAULT_READONLY_PATHS);
  return {
    args,
    env,
    cwd,
    user,
    hostname,
    rootPath,
    readonlyRoot,
    mounts,
    rootfsPropagation: rootfsPropagationFor(mounts),
    resources,
    deviceRules,
    devices,
    capabilities,
    noNewPrivileges,
    seccomp,
    network,
    cgroupsPath,
    oomScoreAdj,
    rlimits,
    sysctl,
    annotations,
    maskedPaths,
    readonlyPaths,
  };
}

function namespacesFor(network: ContainerNetworkOptions): OciNamespace[] {
  const ns: OciNamespace[] = [{ type: 'pid' }];
  if (network.mode === 'none') ns.push({ type: 'network' });
  else if (network.mode === 'path') ns.push({ type: 'network', path: network.path });
  ns.push({ type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' });
  return ns;
}

function resourcesFor(r: CompiledContainerResources, deviceRules: readonly OciDeviceCgroup[]): OciResources {
  const out: OciResources = { devices: deviceRules.map((d) => ({ ...d })) };
  if (r.memoryBytes !== null || r.memoryReservationBytes !== null || r.memorySwapBytes !== null) {
    out.memory = {};
    if (r.memoryBytes !== null) out.memory.limit = r.memoryBytes;
    if (r.memoryReservationBytes !== null) out.memory.reservation = r.memoryReservationBytes;
    if (r.memorySwapBytes !== null) out.memory.swap = r.memorySwapBytes;
  }
  const cpu = {
    shares: r.cpuShares,
    quota: r.cpuQuotaUs,
    period: r.cpuPeriodUs,
    cpus: r.cpusetCpus,
    mems: r.cpusetMems,
  };
  if (Object.values(cpu).some((x) => x !== null)) {
    out.cpu = {};
    if (cpu.shares !== null) out.cpu.shares = cpu.shares;
    if (cpu.quota !== null) out.cpu.quota = cpu.quota;
    if (cpu.period !== null) out.cpu.period = cpu.period;
    if (cpu.cpus !== null) out.cpu.cpus = cpu.cpus;
    if (cpu.mems !== null) out.cpu.mems = cpu.mems;
  }
  if (r.pidsLimit !== null) out.pids = { limit: r.pidsLimit };
  return out;
}

/**
 * Assembles config.json from compiled options; no validation, no defaults, no I/O. The result shares no
 * objects with `compiled`.
 */
export function buildContainerSpecFromCompiled(compiled: CompiledContainerSpecOptions): OciSpec {
  const c = compiled;
  const caps = c.capabilities;
  const proc: OciProcess = {
    args: [...c.args],
    env: [...c.env],
    cwd: c.cwd,
    user: { uid: c.user.uid, gid: c.user.gid },
    capabilities: {
      bounding: [...caps],
      effective: [...caps],
      inheritable: [],
      permitted: [...caps],
      ambient: [],
    },
    noNewPrivileges: c.noNewPrivileges,
  };
  if (c.user.additionalGids.length > 0) proc.user.additionalGids = [...c.user.additionalGids];
  if (c.rlimits.length > 0) proc.rlimits = c.rlimits.map((r) => ({ ...r }));
  if (c.oomScoreAdj !== null) proc.oomScoreAdj = c.oomScoreAdj;

  const linux: OciLinux = {
    namespaces: namespacesFor(c.network),
    resources: resourcesFor(c.resources, c.deviceRules),
    cgroupsPath: c.cgroupsPath,
  };
  if (c.devices.length > 0) linux.devices = c.devices.map((d) => ({ ...d }));
  linux.maskedPaths = [...c.maskedPaths];
  linux.readonlyPaths = [...c.readonlyPaths];
  if (Object.keys(c.sysctl).length > 0) linux.sysctl = { ...c.sysctl };
  if (c.seccomp !== null) linux.seccomp = structuredClone(c.seccomp);
  linux.rootfsPropagation = c.rootfsPropagation;

  return {
    ociVersion: OCI_VERSION,
    process: proc,
    root: { path: c.rootPath, readonly: c.readonlyRoot },
    ...(c.hostname === null ? {} : { hostname: c.hostname }),
    mounts: c.mounts.map((m) => structuredClone(m)),
    linux,
    ...(Object.keys(c.annotations).length === 0 ? {} : { annotations: { ...c.annotations } }),
  };
}

/**
 * The OCI config.json for a task's container: {@link compileContainerSpecOptions} then
 * {@link buildContainerSpecFromCompiled}. The defaults are Docker's: 14 capabilities, pid/ipc/uts/mount/
 * cgroup namespaces plus a network one per `network`, the standard /proc, /dev, /dev/pts, /dev/shm,
 * /dev/mqueue and /sys mounts, a deny-by-default device cgroup, masked and read-only /proc paths,
 * no_new_privs, and the default seccomp profile for the final capability set.
 *
 * @throws {SpecInvalidError} when an option breaks a rule.
 */
export function buildContainerSpec(options: ContainerSpecOptions): OciSpec {
  return buildContainerSpecFromCompiled(compileContainerSpecOptions(options));
}
