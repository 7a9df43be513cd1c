import test from 'ava';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.js';
import {
  checkSeccompProfile,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_OPERATORS,
  SYSCALL_NAME,
} from './check-seccomp.js';
import {
  ALLOWED_PERSONALITIES,
  ALWAYS_DENIED_SYSCALLS,
  CLONE_NAMESPACE_FLAGS,
  defaultSeccompProfile,
  type HostArch,
} from './default-seccomp.js';
import type { OciSeccomp } from './oci-types.js';
import { seccompVerdict } from './testing/index.js';

const CLONE_NEWNS = 0x0002_0000;
const CLONE_NEWCGROUP = 0x0200_0000;
const CLONE_NEWUTS = 0x0400_0000;
const CLONE_NEWIPC = 0x0800_0000;
const CLONE_NEWUSER = 0x1000_0000;
const CLONE_NEWPID = 0x2000_0000;
const CLONE_NEWNET = 0x4000_0000;
/** What glibc's pthread_create passes: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID. */
const PTHREAD_FLAGS = 0x003d_0f00;
/** What glibc's fork() passes: CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD. */
const FORK_FLAGS = 0x0120_0011;

const ALLOW = 'allow';
const EPERM = 'errno 1';
const ENOSYS = 'errno 38';

function profile(capabilities: readonly string[] = DEFAULT_CAPABILITIES, arch: HostArch = 'x64'): OciSeccomp {
  return defaultSeccompProfile({ capabilities, arch });
}

function allNames(p: OciSeccomp): string[] {
  return [...new Set((p.syscalls ?? []).flatMap((r) => r.names))];
}

const PROFILES: [string, OciSeccomp][] = [
  ['default x64', profile()],
  ['default arm64', profile(DEFAULT_CAPABILITIES, 'arm64')],
  ['default ia32', profile(DEFAULT_CAPABILITIES, 'ia32')],
  ['default arm', profile(DEFAULT_CAPABILITIES, 'arm')],
  ['all capabilities x64', profile(ALL_CAPABILITIES)],
  ['all capabilities arm64', profile(ALL_CAPABILITIES, 'arm64')],
  ['no capabilities', profile([])],
];

test("`defaultSeccompProfile()` denies with EPERM by default and covers the host's ABIs", (t) => {
  const p = profile();
  t.is(p.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(p.defaultErrnoRet, 1);
  t.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.deepEqual(profile(DEFAULT_CAPABILITIES, 'arm64').architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.deepEqual(profile(DEFAULT_CAPABILITIES, 'ia32').architectures, ['SCMP_ARCH_X86']);
  t.deepEqual(profile(DEFAULT_CAPABILITIES, 'arm').architectures, ['SCMP_ARCH_ARM']);
});

test('`defaultSeccompProfile()` has the shape spec.h accepts', (t) => {
  for (const [label, p] of PROFILES) {
    // checkSeccompProfile is the spec.h rule set; an accepted profile comes back unchanged.
    t.deepEqual(checkSeccompProfile(p, 'seccomp'), p, label);
    t.true(SECCOMP_ACTIONS.includes(p.defaultAction), label);
    for (const arch of p.architectures ?? []) t.true(SECCOMP_ARCHES.includes(arch), `${label}: ${arch}`);
    for (const rule of p.syscalls ?? []) {
      t.true(rule.names.length > 0, label);
      for (const name of rule.names) t.regex(name, SYSCALL_NAME, `${label}: ${name}`);
      t.true(SECCOMP_ACTIONS.includes(rule.action), label);
      for (const arg of rule.args ?? []) {
        t.true(Number.isInteger(arg.index) && arg.index >= 0 && arg.index <= 5, label);
        t.true(SECCOMP_OPERATORS.includes(arg.op), label);
        t.true(Number.isSafeInteger(arg.value) && arg.value >= 0, label);
      }
    }
    t.deepEqual(JSON.parse(JSON.stringify(p)), p, `${label}: survives JSON`);
  }
});

test('`defaultSeccompProfile()` gives every call exactly one verdict', (t) => {
  for (const [label, p] of PROFILES) {
    for (const name of allNames(p)) t.notThrows(() => seccompVerdict(p, name), `${label}: ${name}`);
    for (const flags of [0, CLONE_NEWNS, PTHREAD_FLAGS])
      t.notThrows(() => seccompVerdict(p, 'clone', [flags]), label);
    for (const persona of [...ALLOWED_PERSONALITIES, 0x40000])
      t.notThrows(() => seccompVerdict(p, 'personality', [persona]), label);
  }
});

test('`defaultSeccompProfile()` merges the unconditional allows into one sorted rule', (t) => {
  const [first, ...rest] = profile().syscalls ?? [];
  if (first === undefined) return t.fail('no rules');
  t.is(first.action, 'SCMP_ACT_ALLOW');
  t.is(first.args, undefined);
  t.deepEqual(first.names, [...first.names].sort());
  t.is(new Set(first.names).size, first.names.length);
  t.true(first.names.length >= 300, `a few hundred names, got ${first.names.length}`);
  for (const rule of rest) t.true(rule.args !== undefined || rule.action !== 'SCMP_ACT_ALLOW');
});

test('`defaultSeccompProfile()` is deterministic', (t) => {
  t.is(JSON.stringify(profile()), JSON.stringify(profile()));
  t.is(JSON.stringify(profile(['SYS_ADMIN'])), JSON.stringify(profile(['CAP_SYS_ADMIN'])));
  t.is(JSON.stringify(profile(['sys_admin'])), JSON.stringify(profile(['CAP_SYS_ADMIN'])));
});

test('`defaultSeccompProfile()` allows what ordinary programs call', (t) => {
  const p = profile();
  for (const name of [
    'read',
    'write',
    'openat',
    'close',
    'execve',
    'exit_group',
    'mmap',
    'mprotect',
    'brk',
    'futex',
    'futex_waitv',
    'epoll_wait',
    'epoll_pwait2',
    'socketpair',
    'connect',
    'accept4',
    'getrandom',
    'statx',
    'rseq',
    'clock_gettime',
    'rt_sigaction',
    'wait4',
    'pidfd_open',
    'faccessat2',
    'openat2',
    'close_range',
    'fchmodat2',
    'arch_prctl',
    'chroot',
    'setuid',
    'capset',
    'prctl',
    'seccomp',
    'landlock_create_ruleset',
    'memfd_create',
    'mknodat',
  ]) {
    t.is(seccompVerdict(p, name), ALLOW, name);
  }
});

test('`defaultSeccompProfile()` without CAP_SYS_ADMIN: clone only without namespace flags, clone3 ENOSYS', (t) => {
  const p = profile();
  t.is(CLONE_NAMESPACE_FLAGS, 0x7e02_0000);
  t.is(seccompVerdict(p, 'clone', [FORK_FLAGS]), ALLOW);
  t.is(seccompVerdict(p, 'clone', [PTHREAD_FLAGS]), ALLOW);
  t.is(seccompVerdict(p, 'clone', [0]), ALLOW);
  for (const ns of [
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWUTS,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
  ]) {
    t.is(seccompVerdict(p, 'clone', [ns | FORK_FLAGS]), EPERM, ns.toString(16));
  }
  t.is(seccompVerdict(p, 'clone3'), ENOSYS);
  const cloneRule = p.syscalls?.find((r) => r.names.includes('clone'));
  t.deepEqual(cloneRule, {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 0x7e02_0000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
  });
  for (const name of [
    'mount',
    'umount2',
    'unshare',
    'setns',
    'pivot_root',
    'sethostname',
    'fsopen',
    'move_mount',
    'open_tree',
  ]) {
    t.is(seccompVerdict(p, name), EPERM, name);
  }
});

test('`defaultSeccompProfile()` with CAP_SYS_ADMIN: mount/unshare allowed, clone and clone3 unrestricted', (t) => {
  const p = profile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  for (const name of [
    'mount',
    'umount2',
    'unshare',
    'setns',
    'pivot_root',
    'sethostname',
    'setdomainname',
    'fsopen',
    'fsmount',
    'move_mount',
    'open_tree',
    'mount_setattr',
    'quotactl',
  ]) {
    t.is(seccompVerdict(p, name), ALLOW, name);
  }
  t.is(seccompVerdict(p, 'clone', [CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET]), ALLOW);
  t.is(seccompVerdict(p, 'clone3'), ALLOW);
  t.false(p.syscalls?.some((r) => r.names.includes('clone') && r.args !== undefined));
  t.false(p.syscalls?.some((r) => r.names.includes('clone3') && r.action !== 'SCMP_ACT_ALLOW'));
  // Still closed with CAP_SYS_ADMIN:
  for (const name of ['bpf', 'perf_event_open', 'keyctl', 'kexec_load', 'open_by_handle_at']) {
    t.is(seccompVerdict(p, name), EPERM, name);
  }
});

test('`defaultSeccompProfile()` allows only the harmless personalities', (t) => {
  const p = profile(ALL_CAPABILITIES);
  for (const persona of [0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff])
    t.is(seccompVerdict(p, 'personality', [persona]), ALLOW);
  const ADDR_NO_RANDOMIZE = 0x004_0000;
  const READ_IMPLIES_EXEC = 0x040_0000;
  for (const persona of [ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, 0x8 | ADDR_NO_RANDOMIZE, 0x1]) {
    t.is(seccompVerdict(p, 'personality', [persona]), EPERM, persona.toString(16));
  }
});

test('`defaultSeccompProfile()` refuses vsock sockets only', (t) => {
  const p = profile();
  const AF_UNIX = 1;
  const AF_INET = 2;
  const AF_INET6 = 10;
  const AF_NETLINK = 16;
  const AF_PACKET = 17;
  const AF_VSOCK = 40;
  for (const family of [AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET])
    t.is(seccompVerdict(p, 'socket', [family]), ALLOW);
  t.is(seccompVerdict(p, 'socket', [AF_VSOCK]), EPERM);
});

test('`defaultSeccompProfile()` opens each capability-gated call only with its capability', (t) => {
  const gates: [string, string[]][] = [
    ['CAP_SYS_PTRACE', ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_TIME', ['clock_settime', 'settimeofday', 'clock_settime64', 'stime']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_SYS_TTY_CONFIG', ['vhangup']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy', 'get_mempolicy']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ];
  const base = profile();
  for (const [cap, names] of gates) {
    const opened = profile([...DEFAULT_CAPABILITIES, cap]);
    for (const name of names) {
      t.is(seccompVerdict(base, name), EPERM, `${name} without ${cap}`);
      t.is(seccompVerdict(opened, name), ALLOW, `${name} with ${cap}`);
    }
  }
  // CAP_SYS_CHROOT is a default capability: chroot is open until it is dropped.
  t.is(seccompVerdict(base, 'chroot'), ALLOW);
  t.is(seccompVerdict(profile(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT')), 'chroot'), EPERM);
  // iopl/ioperm do not exist on arm.
  t.false(allNames(profile(ALL_CAPABILITIES, 'arm64')).includes('iopl'));
});

test('`defaultSeccompProfile()` never opens the always-denied calls, whatever the capabilities', (t) => {
  const p = profile(ALL_CAPABILITIES);
  for (const name of [
    ...ALWAYS_DENIED_SYSCALLS,
    'keyctl',
    'add_key',
    'request_key',
    'bpf',
    'perf_event_open',
    'kexec_load',
    'kexec_file_load',
    'userfaultfd',
    'open_by_handle_at',
    'swapon',
    'swapoff',
  ]) {
    t.is(seccompVerdict(p, name), EPERM, name);
    t.false(allNames(p).includes(name), name);
  }
});

test('`defaultSeccompProfile()` answers io_uring and the unreviewed mount listing with ENOSYS', (t) => {
  for (const p of [profile(), profile(ALL_CAPABILITIES)]) {
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'statmount', 'listmount']) {
      t.is(seccompVerdict(p, name), ENOSYS, name);
    }
  }
});

test('`defaultSeccompProfile()` lists arch-specific calls only for their architecture', (t) => {
  const x64 = allNames(profile());
  const arm64 = allNames(profile(DEFAULT_CAPABILITIES, 'arm64'));
  for (const name of ['arch_prctl', 'modify_ldt']) {
    t.true(x64.includes(name), name);
    t.false(arm64.includes(name), name);
  }
  for (const name of ['cacheflush', 'set_tls', 'arm_fadvise64_64', 'sync_file_range2']) {
    t.true(arm64.includes(name), name);
    t.false(x64.includes(name), name);
  }
});

test('`defaultSeccompProfile()` refuses an unknown architecture', (t) => {
  t.throws(() => defaultSeccompProfile({ capabilities: [], arch: 'riscv64' as HostArch }), {
    instanceOf: RangeError,
    message:
      'Cannot build the default seccomp profile: unsupported architecture "riscv64" (supported: x64, ia32, arm64, arm)',
  });
});
