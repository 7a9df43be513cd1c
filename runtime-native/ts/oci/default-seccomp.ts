import { normalizeCapability } from './capabilities.js';
import type { OciSeccomp, OciSeccompArch, OciSeccompArg, OciSyscallRule } from './oci-types.js';

/*
 * The default seccomp profile: why it is shaped this way.
 *
 * 1. An allow-list, not a deny-list. The default action is SCMP_ACT_ERRNO with EPERM, so a syscall that
 *    nobody reviewed (including every syscall a future kernel adds) fails instead of running. The list below
 *    is what ordinary Linux programs use: files, memory, processes and threads, signals, time, sockets, IPC.
 *    A syscall's own permission checks still apply on top; the filter only removes kernel surface that a
 *    container never needs and that has a history of privilege escalations.
 *
 * 2. Capabilities widen it, never the other way round. A few calls are useful only to a process that holds
 *    a capability the kernel checks anyway (mount needs CAP_SYS_ADMIN, ptrace needs CAP_SYS_PTRACE, ...).
 *    Those are allowed only when the container's final capability set holds that capability, so
 *    `capAdd: ['SYS_ADMIN']` works without hand-editing the profile, and a default container keeps the
 *    smaller kernel surface. This follows Docker's default profile, which filters its rules by the
 *    container's bounding set in the same way.
 *
 * 3. Namespaces are a CAP_SYS_ADMIN thing. Without it, clone(2) is allowed only when its flags carry none of
 *    the CLONE_NEW* bits (an SCMP_CMP_MASKED_EQ on argument 0, which is the flags word on x86 and arm), and
 *    unshare/setns are refused. clone3(2) takes its flags in a struct in user memory, which seccomp cannot
 *    read, so it cannot be filtered the same way: it fails with ENOSYS instead of EPERM, which makes glibc
 *    (2.34+) and other libcs fall back to clone(2), where the flag check applies. With CAP_SYS_ADMIN both are
 *    allowed unfiltered.
 *
 * 4. personality(2) is allowed only for the harmless personas: PER_LINUX, PER_LINUX32, UNAME26, their
 *    combination, and the 0xffffffff query. The others (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...) weaken
 *    exploit mitigations.
 *
 * 5. Some calls are refused whatever the capabilities, because the kernel object behind them is not
 *    namespaced or is a well-known escape or exploitation route: the kernel keyring (keyctl, add_key,
 *    request_key), bpf, perf_event_open, kexec_load/kexec_file_load, userfaultfd (a classic tool for
 *    winning kernel races), open_by_handle_at (the "shocker" escape, which reads host files by handle),
 *    swapon/swapoff, the NUMA page movers (migrate_pages, move_pages) and obsolete calls (uselib, nfsservctl,
 *    vm86, _sysctl, sysfs, ustat, ...). Docker lets CAP_SYS_ADMIN/CAP_BPF/CAP_PERFMON/CAP_DAC_READ_SEARCH
 *    open some of these; swarmd does not. A workload that truly needs them runs with seccomp 'unconfined' or
 *    its own profile, which makes the choice visible in the service spec.
 *
 * 6. io_uring is refused with ENOSYS (as Docker and containerd have refused it since late 2023): operations
 *    submitted through a ring are not seen by seccomp, and io_uring has been the source of many container
 *    escapes. ENOSYS rather than EPERM because every io_uring user (libuv in Node.js, liburing, tokio) then
 *    takes its epoll/thread-pool fallback, as on a kernel without io_uring. statmount/listmount get the same
 *    treatment: new, not yet reviewed here, and their users fall back to /proc/self/mountinfo on ENOSYS.
 *
 * 7. Architectures. The filter lists the host's native architecture and the compat ABIs that can run on it
 *    (x86_64: x86 and x32; aarch64: arm), so a 32-bit binary cannot bypass the list through the other
 *    syscall table; any other architecture is killed by libseccomp's bad-arch action. The host architecture
 *    is an argument, never read from the process here. Arch-specific calls (arch_prctl, modify_ldt,
 *    iopl/ioperm on x86; cacheflush, set_tls, ... on arm) are only listed where they exist.
 *
 * 8. Names only, no numbers. Rules name syscalls; the C runtime resolves each name with libseccomp for each
 *    listed architecture. Names for calls that only exist on some of them (chown32, mmap2, socketcall, ...)
 *    or that are newer than the linked libseccomp (fchmodat2, futex_wake, mseal, ...) are expected to be
 *    skipped by the runtime, as runc and crun do; on such a kernel they hit the default action.
 *
 * 9. Output shape. All unconditional allows are merged into one rule with sorted, unique names; rules with
 *    argument conditions follow; the ENOSYS rules come last. Every name has exactly one action, so the order
 *    of rules never matters, and the same capabilities and arch always give byte-identical JSON.
 */

/** Host architectures the default profile knows, in Node's `process.arch` spelling. */
export type HostArch = 'x64' | 'ia32' | 'arm64' | 'arm';

/** The architectures a host's filter must cover: its native ABI first, then the compat ABIs it can run. */
const ARCHITECTURES: Readonly<Record<HostArch, readonly OciSeccompArch[]>> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ia32: ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
};

/** True for the architectures {@link defaultSeccompProfile} supports. */
export function isHostArch(arch: string): arch is HostArch {
  return Object.hasOwn(ARCHITECTURES, arch);
}

/** Errno values (the same numbers on x86 and arm). */
export const EPERM = 1;
export const ENOSYS = 38;

/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
export const CLONE_NAMESPACE_FLAGS =
  0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;

/** PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and the query value 0xffffffff. */
export const ALLOWED_PERSONALITIES: readonly number[] = [0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff];

/** AF_VSOCK: sockets to the hypervisor or host, outside every network namespace. */
const AF_VSOCK = 40;

/** Calls that no capability opens in the default profile (see point 5 above). */
export const ALWAYS_DENIED_SYSCALLS: readonly string[] = [
  '_sysctl',
  'add_key',
  'afs_syscall',
  'bpf',
  'create_module',
  'get_kernel_syms',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'migrate_pages',
  'move_pages',
  'nfsservctl',
  'open_by_handle_at',
  'perf_event_open',
  'query_module',
  'request_key',
  'swapoff',
  'swapon',
  'sysfs',
  'userfaultfd',
  'uselib',
  'ustat',
  'vm86',
  'vm86old',
];

/** What ordinary programs call, grouped by what they touch. Allowed on every architecture. */
// biome-ignore format: one name a line would make this list eight screens long
const ORDINARY_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  files: [
    'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd',
    'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'chown32', 'fchown', 'fchown32', 'fchownat',
    'lchown', 'lchown32', 'umask',
    'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64',
    'flock', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'fallocate', 'readahead',
    'fadvise64', 'fadvise64_64', 'truncate', 'truncate64', 'ftruncate', 'ftruncate64',
    'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
    'mkdir', 'mkdirat', 'mknod', 'mknodat', 'rmdir', 'readlink', 'readlinkat',
    'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
    'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'getdents', 'getdents64',
    'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat', 'name_to_handle_at', 'cachestat',
  ],
  io: [
    'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
    'lseek', '_llseek', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
    'pipe', 'pipe2', 'ioctl',
    'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  ],
  xattrs: [
    'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
    'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr',
    'removexattrat',
  ],
  events: [
    'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
    'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old',
    'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4',
    'timerfd_create', 'timerfd_settime', 'timerfd_settime64', 'timerfd_gettime', 'timerfd_gettime64',
    'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  ],
  memory: [
    'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
    'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'memfd_create', 'memfd_secret', 'membarrier',
    'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'mseal', 'map_shadow_stack',
  ],
  processes: [
    'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
    'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
    'set_tid_address', 'set_robust_list', 'get_robust_list', 'set_thread_area', 'get_thread_area', 'rseq',
    'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
    'prctl', 'capget', 'capset', 'seccomp', 'landlock_create_ruleset', 'landlock_add_rule',
    'landlock_restrict_self', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'restart_syscall',
    'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getcpu',
    'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr',
    'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler',
    'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
    'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times', 'uname', 'sysinfo', 'getrandom',
  ],
  credentials: [
    'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
    'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
    'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
    'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
    'setgroups', 'setgroups32',
  ],
  signals: [
    'kill', 'tkill', 'tgkill', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending',
    'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo',
    'sigaltstack', 'sigprocmask', 'sigreturn', 'pause', 'alarm',
  ],
  time: [
    'time', 'gettimeofday', 'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
    'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'getitimer', 'setitimer',
    'timer_create', 'timer_delete', 'timer_settime', 'timer_settime64', 'timer_gettime', 'timer_gettime64',
    'timer_getoverrun',
    // Reading the clock state is harmless; changing it still needs CAP_SYS_TIME in the kernel.
    'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  ],
  sockets: [
    'socketpair', 'socketcall', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname',
    'getpeername', 'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom',
    'recvmsg', 'recvmmsg', 'recvmmsg_time64', 'shutdown',
  ],
  ipc: [
    'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
    'semctl', 'shmget', 'shmat', 'shmdt', 'shmctl', 'mq_open', 'mq_unlink', 'mq_timedsend',
    'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr',
  ],
};

/** Calls that exist only on some architectures; listed only for hosts of that family. */
const ARCH_SYSCALLS: Readonly<Record<'x86' | 'arm', readonly string[]>> = {
  // arch_prctl sets the FS/GS bases (TLS); modify_ldt serves 16-bit code and Wine; uretprobe is only ever
  // called from the kernel's own uretprobe trampoline.
  x86: ['arch_prctl', 'modify_ldt', 'uretprobe'],
  arm: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
};

function archFamily(arch: HostArch): 'x86' | 'arm' {
  return arch === 'x64' || arch === 'ia32' ? 'x86' : 'arm';
}

/** A group of calls allowed only while the container holds `capability`. */
interface CapabilityGate {
  capability: string;
  names: readonly string[];
  /** Only for hosts of this family. */
  family?: 'x86' | 'arm';
}

/** Allowed when the capability is held. Each name appears in exactly one gate. */
// biome-ignore format: keeps each gate on its own line
const CAPABILITY_GATES: readonly CapabilityGate[] = [
  {
    capability: 'CAP_SYS_ADMIN',
    names: [
      'clone', 'clone3', 'unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root', 'mount_setattr',
      'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'sethostname', 'setdomainname',
      'quotactl', 'quotactl_fd', 'fanotify_init', 'lookup_dcookie',
    ],
  },
  { capability: 'CAP_SYS_PTRACE', names: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'] },
  { capability: 'CAP_SYSLOG', names: ['syslog'] },
  { capability: 'CAP_SYS_BOOT', names: ['reboot'] },
  { capability: 'CAP_SYS_MODULE', names: ['init_module', 'finit_module', 'delete_module'] },
  { capability: 'CAP_SYS_TIME', names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'] },
  { capability: 'CAP_SYS_CHROOT', names: ['chroot'] },
  { capability: 'CAP_SYS_PACCT', names: ['acct'] },
  { capability: 'CAP_SYS_TTY_CONFIG', names: ['vhangup'] },
  { capability: 'CAP_SYS_NICE', names: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'] },
  { capability: 'CAP_SYS_RAWIO', names: ['iopl', 'ioperm'], family: 'x86' },
];

/** Refused with ENOSYS so that callers take their fallback (points 3 and 6). */
const NOT_IMPLEMENTED_SYSCALLS: readonly string[] = [
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'statmount',
  'listmount',
];

/** Options of {@link defaultSeccompProfile}. */
export interface DefaultSeccompOptions {
  /**
   * The container's final capability set (its bounding set), with or without the `CAP_` prefix. Rules
   * gated on a capability are included only when it is in this list.
   */
  capabilities: readonly string[];
  /**
   * The host architecture the filter is built for, in `process.arch` spelling. The composition edge
   * (`compileContainerSpecOptions`) supplies `process.arch` when the caller gives none.
   */
  arch: HostArch;
}

function allowWith(names: readonly string[], args: OciSeccompArg[]): OciSyscallRule {
  return { names: [...names], action: 'SCMP_ACT_ALLOW', args };
}

/**
 * The Docker-like default profile for a container holding `capabilities` on an `arch` host. Pure: the
 * same options always give the same profile (see the comment block at the top of this file for the
 * reasoning behind every rule).
 *
 * @throws {RangeError} when `arch` is not one of x64, ia32, arm64, arm.
 */
export function defaultSeccompProfile(options: DefaultSeccompOptions): OciSeccomp {
  const { arch } = options;
  if (!isHostArch(arch)) {
    throw new RangeError(
      `Cannot build the default seccomp profile: unsupported architecture "${String(arch)}" (supported: ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  const family = archFamily(arch);
  const held = new Set<string>();
  for (const c of options.capabilities) {
    const name = normalizeCapability(c);
    if (name !== null) held.add(name);
  }

  const allowed = new Set<string>(Object.values(ORDINARY_SYSCALLS).flat());
  for (const name of ARCH_SYSCALLS[family]) allowed.add(name);
  for (const gate of CAPABILITY_GATES) {
    if (held.has(gate.capability) && (gate.family === undefined || gate.family === family)) {
      for (const name of gate.names) allowed.add(name);
    }
  }

  const rules: OciSyscallRule[] = [
    { names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' },
    allowWith(['socket'], [{ index: 0, value: AF_VSOCK, valueTwo: 0, op: 'SCMP_CMP_NE' }]),
    ...ALLOWED_PERSONALITIES.map((persona) =>
      allowWith(['personality'], [{ index: 0, value: persona, valueTwo: 0, op: 'SCMP_CMP_EQ' }]),
    ),
  ];
  if (!held.has('CAP_SYS_ADMIN')) {
    // (flags & CLONE_NEW*) == 0: a thread or a plain fork, never a new namespace.
    rules.push(
      allowWith(
        ['clone'],
        [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      ),
    );
  }
  const notImplemented = held.has('CAP_SYS_ADMIN')
    ? NOT_IMPLEMENTED_SYSCALLS
    : [...NOT_IMPLEMENTED_SYSCALLS, 'clone3'];
  rules.push({ names: [...notImplemented].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });

  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...ARCHITECTURES[arch]],
    syscalls: rules,
  };
}
