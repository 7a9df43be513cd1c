import test from 'ava';
import { capabilityMask, DEFAULT_CAPABILITIES } from './capabilities.js';
import { defaultSeccompProfile, isHostArch } from './default-seccomp.js';
import {
  buildContainerSpec,
  buildContainerSpecFromCompiled,
  type ContainerSpecOptions,
  compileContainerSpecOptions,
  DEFAULT_PATH_ENV,
} from './default-spec.js';
import { SpecInvalidError } from './errors.js';
import type { OciMount, OciSeccomp } from './oci-types.js';
import { fieldsOutsideSpecH, seccompVerdict } from './testing/index.js';

const BASE: ContainerSpecOptions = {
  args: ['/bin/sh', '-c', 'echo hi'],
  rootPath: '/var/lib/swarmd/rootfs/t1',
  cgroupsPath: '/swarmd/t1',
  arch: 'x64',
};

function build(extra: Partial<ContainerSpecOptions> = {}) {
  return buildContainerSpec({ ...BASE, ...extra });
}

const DEFAULT_MOUNTS: OciMount[] = [
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
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

const DEFAULT_DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

const DOCKER_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SYS_CHROOT',
  'CAP_MKNOD',
  'CAP_AUDIT_WRITE',
  'CAP_SETFCAP',
];

test('`buildContainerSpec()` defaults: the whole document', (t) => {
  const spec = build();
  t.deepEqual(spec, {
    ociVersion: '1.0.2',
    process: {
      args: ['/bin/sh', '-c', 'echo hi'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      user: { uid: 0, gid: 0 },
      capabilities: {
        bounding: DOCKER_CAPS,
        effective: DOCKER_CAPS,
        inheritable: [],
        permitted: DOCKER_CAPS,
        ambient: [],
      },
      noNewPrivileges: true,
    },
    root: { path: '/var/lib/swarmd/rootfs/t1', readonly: false },
    mounts: DEFAULT_MOUNTS,
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ],
      resources: { devices: DEFAULT_DEVICE_RULES as never },
      cgroupsPath: '/swarmd/t1',
      maskedPaths: [
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
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      seccomp: defaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES, arch: 'x64' }),
      rootfsPropagation: 'rprivate',
    },
  });
  t.is(capabilityMask(spec.process.capabilities?.effective ?? []), 0xa80425fbn);
  t.deepEqual(Object.keys(spec), ['ociVersion', 'process', 'root', 'mounts', 'linux']);
});

test('`buildContainerSpec()` emits only fields spec.h parses, and nothing undefined', (t) => {
  const specs = [
    build(),
    build({
      env: ['A=1'],
      cwd: '/srv',
      user: { uid: 1000, gid: 1000, additionalGids: [10, 20] },
      hostname: 'web-1',
      readonlyRoot: true,
      mounts: [{ destination: '/data', type: 'bind', source: '/srv/data', options: ['ro'] }],
      resources: {
        memoryBytes: 64 << 20,
        memoryReservationBytes: 32 << 20,
        memorySwapBytes: 128 << 20,
        cpuShares: 512,
        nanoCpus: 1_500_000_000,
        cpusetCpus: '0-1',
        cpusetMems: '0',
        pidsLimit: 100,
      },
      capAdd: ['NET_ADMIN'],
      network: { mode: 'path', path: '/run/netns/t1' },
      oomScoreAdj: 500,
      rlimits: [{ type: 'core', soft: 0, hard: 0 }],
      sysctl: { 'kernel.shmmax': '68719476736', 'fs.mqueue.msg_max': '100' },
      annotations: { 'swarmd.task.id': 't1' },
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }],
    }),
    build({ network: { mode: 'host' }, seccomp: 'unconfined' }),
  ];
  for (const spec of specs) {
    t.deepEqual(fieldsOutsideSpecH(spec), []);
    t.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  }
});

test('`fieldsOutsideSpecH()` catches what spec.h would refuse', (t) => {
  const spec = build() as unknown as Record<string, Record<string, unknown>>;
  spec.process = { ...spec.process, terminal: false };
  spec.linux = { ...spec.linux, uidMappings: [] };
  t.deepEqual(fieldsOutsideSpecH(spec), [
    'process.terminal: not parsed by spec.h',
    'linux.uidMappings: not parsed by spec.h',
  ]);
});

test('`buildContainerSpec()` mount types stay inside bind/proc/tmpfs/sysfs/devpts/mqueue/overlay, never cgroup', (t) => {
  const allowed = ['bind', 'proc', 'tmpfs', 'sysfs', 'devpts', 'mqueue', 'overlay'];
  for (const network of [
    { mode: 'none' },
    { mode: 'host' },
    { mode: 'path', path: '/run/netns/x' },
  ] as const) {
    for (const m of build({ network }).mounts) {
      t.true(allowed.includes(m.type), m.type);
      t.false(m.destination.startsWith('/sys/fs/cgroup'));
    }
  }
});

test('`compileContainerSpecOptions()` then `buildContainerSpecFromCompiled()` is `buildContainerSpec()`', (t) => {
  const options: ContainerSpecOptions = {
    ...BASE,
    capAdd: ['SYS_PTRACE'],
    resources: { nanoCpus: 500_000_000 },
  };
  const compiled = compileContainerSpecOptions(options);
  t.deepEqual(buildContainerSpecFromCompiled(compiled), buildContainerSpec(options));
  t.deepEqual(compiled.resources, {
    memoryBytes: null,
    memoryReservationBytes: null,
    memorySwapBytes: null,
    cpuShares: null,
    cpuQuotaUs: 50_000,
    cpuPeriodUs: 100_000,
    cpusetCpus: null,
    cpusetMems: null,
    pidsLimit: null,
  });
});

test('`buildContainerSpecFromCompiled()` shares no objects with the compiled options', (t) => {
  const compiled = compileContainerSpecOptions({
    ...BASE,
    user: { additionalGids: [5] },
    annotations: { a: 'b' },
  });
  const before = JSON.stringify(compiled);
  const spec = buildContainerSpecFromCompiled(compiled);
  spec.process.args.push('x');
  spec.process.env.push('X=1');
  spec.process.user.additionalGids?.push(6);
  spec.process.capabilities?.bounding.push('CAP_SYS_ADMIN');
  spec.mounts[0]?.options?.push('rw');
  spec.linux.resources?.devices?.push({ allow: true, access: 'rwm' });
  spec.linux.seccomp?.syscalls?.[0]?.names.push('bpf');
  spec.linux.maskedPaths?.pop();
  if (spec.annotations) spec.annotations.a = 'c';
  t.is(JSON.stringify(compiled), before);
});

test('`buildContainerSpec()` env: PATH added when missing, kept when given', (t) => {
  t.deepEqual(build({ env: ['A=1', 'B=x=y', 'EMPTY='] }).process.env, [
    DEFAULT_PATH_ENV,
    'A=1',
    'B=x=y',
    'EMPTY=',
  ]);
  t.deepEqual(build({ env: ['A=1', 'PATH=/bin'] }).process.env, ['A=1', 'PATH=/bin']);
  t.deepEqual(build({ env: [] }).process.env, [DEFAULT_PATH_ENV]);
});

test('`buildContainerSpec()` cwd, user, hostname, readonlyRoot, noNewPrivileges, oomScoreAdj', (t) => {
  const spec = build({
    cwd: '/srv/app',
    user: { uid: 1000, gid: 100, additionalGids: [10, 20, 10] },
    hostname: 'Web-1',
    readonlyRoot: true,
    noNewPrivileges: false,
    oomScoreAdj: -500,
  });
  t.is(spec.process.cwd, '/srv/app');
  t.deepEqual(spec.process.user, { uid: 1000, gid: 100, additionalGids: [10, 20] });
  t.is(spec.hostname, 'Web-1');
  t.deepEqual(spec.root, { path: '/var/lib/swarmd/rootfs/t1', readonly: true });
  t.false(spec.process.noNewPrivileges);
  t.is(spec.process.oomScoreAdj, -500);
  t.deepEqual(Object.keys(spec), ['ociVersion', 'process', 'root', 'hostname', 'mounts', 'linux']);
  t.deepEqual(build({ user: { uid: 33 } }).process.user, { uid: 33, gid: 0 });
  t.is(build({ rootPath: 'rootfs' }).root.path, 'rootfs');
});

test('`buildContainerSpec()` network none: a new empty netns and a fresh sysfs', (t) => {
  const spec = build({ network: { mode: 'none' } });
  t.deepEqual(
    spec.linux.namespaces.find((n) => n.type === 'network'),
    { type: 'network' },
  );
  t.deepEqual(
    spec.mounts.find((m) => m.destination === '/sys'),
    DEFAULT_MOUNTS[5],
  );
});

test('`buildContainerSpec()` network host: no netns, /sys bound read-only from the host, non-recursively', (t) => {
  const spec = build({ network: { mode: 'host' } });
  t.deepEqual(
    spec.linux.namespaces.map((n) => n.type),
    ['pid', 'ipc', 'uts', 'mount', 'cgroup'],
  );
  t.deepEqual(
    spec.mounts.find((m) => m.destination === '/sys'),
    {
      destination: '/sys',
      type: 'bind',
      source: '/sys',
      options: ['bind', 'nosuid', 'noexec', 'nodev', 'ro'],
    },
  );
  t.false(spec.mounts.some((m) => m.options?.includes('rbind')));
  t.is(spec.mounts.length, 6);
});

test('`buildContainerSpec()` network path: joins that netns, fresh sysfs', (t) => {
  const spec = build({ network: { mode: 'path', path: '/run/netns/t1' } });
  t.deepEqual(spec.linux.namespaces[1], { type: 'network', path: '/run/netns/t1' });
  t.is(spec.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
});

test('`buildContainerSpec()` extra mounts: appended after the defaults, bind gets rbind', (t) => {
  const spec = build({
    mounts: [
      { destination: '/data', type: 'bind', source: '/srv/data' },
      { destination: '/cache', type: 'tmpfs', options: ['size=1m', 'nosuid'] },
      { destination: '/ro', type: 'bind', source: '/srv/ro', options: ['bind', 'ro'] },
      { destination: '/merged', type: 'overlay', options: ['lowerdir=/l1:/l2', 'upperdir=/u', 'workdir=/w'] },
      { destination: '/proc/meminfo', type: 'bind', source: '/var/lib/lxcfs/proc/meminfo' },
    ],
  });
  t.deepEqual(spec.mounts.slice(0, 6), DEFAULT_MOUNTS);
  t.deepEqual(spec.mounts.slice(6), [
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    { destination: '/cache', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'nosuid'] },
    { destination: '/ro', type: 'bind', source: '/srv/ro', options: ['bind', 'ro'] },
    {
      destination: '/merged',
      type: 'overlay',
      source: 'overlay',
      options: ['lowerdir=/l1:/l2', 'upperdir=/u', 'workdir=/w'],
    },
    { destination: '/proc/meminfo', type: 'bind', source: '/var/lib/lxcfs/proc/meminfo', options: ['rbind'] },
  ]);
  t.is(spec.linux.rootfsPropagation, 'rprivate');
});

test('`buildContainerSpec()` an extra mount on a default destination replaces it in place', (t) => {
  const shm = {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'nodev', 'size=1g'],
  } as const;
  const spec = build({ mounts: [shm] });
  t.is(spec.mounts.length, 6);
  t.deepEqual(spec.mounts[3], { ...shm, options: [...shm.options] });
});

test('`buildContainerSpec()` shared or slave mounts raise the rootfs propagation', (t) => {
  const mount = (o: string) => ({
    destination: '/m',
    type: 'bind' as const,
    source: '/m',
    options: ['rbind', o],
  });
  t.is(build({ mounts: [mount('rslave')] }).linux.rootfsPropagation, 'rslave');
  t.is(build({ mounts: [mount('shared')] }).linux.rootfsPropagation, 'rshared');
  t.is(build({ mounts: [mount('rprivate')] }).linux.rootfsPropagation, 'rprivate');
});

test('`buildContainerSpec()` resources become linux.resources', (t) => {
  const spec = build({
    resources: {
      memoryBytes: 64 << 20,
      memoryReservationBytes: 32 << 20,
      memorySwapBytes: -1,
      cpuShares: 512,
      cpuQuotaUs: 50_000,
      cpuPeriodUs: 100_000,
      cpusetCpus: '0-3,5',
      cpusetMems: '0',
      pidsLimit: 256,
    },
  });
  t.deepEqual(spec.linux.resources, {
    devices: DEFAULT_DEVICE_RULES as never,
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: -1 },
    cpu: { shares: 512, quota: 50_000, period: 100_000, cpus: '0-3,5', mems: '0' },
    pids: { limit: 256 },
  });
  t.deepEqual(build({ resources: { memoryBytes: 6291456 } }).linux.resources?.memory, { limit: 6291456 });
  t.deepEqual(build({ resources: { cpusetCpus: '1' } }).linux.resources?.cpu, { cpus: '1' });
  t.deepEqual(build({ resources: {} }).linux.resources, { devices: DEFAULT_DEVICE_RULES as never });
});

test("`buildContainerSpec()` nanoCpus becomes quota/period over 100000 µs, Docker's way", (t) => {
  const cpu = (nanoCpus: number) => build({ resources: { nanoCpus } }).linux.resources?.cpu;
  t.deepEqual(cpu(1_500_000_000), { quota: 150_000, period: 100_000 });
  t.deepEqual(cpu(10_000_000), { quota: 1000, period: 100_000 });
  t.deepEqual(cpu(333_333_333), { quota: 33_333, period: 100_000 });
  t.deepEqual(cpu(4_000_000_000), { quota: 400_000, period: 100_000 });
});

test('`buildContainerSpec()` capAdd/capDrop set bounding, effective and permitted alike; inheritable and ambient stay empty', (t) => {
  for (const user of [undefined, { uid: 1000, gid: 1000 }]) {
    const caps = build({ capAdd: ['NET_ADMIN'], capDrop: ['MKNOD', 'cap_net_raw'], user }).process
      .capabilities;
    const expected = DOCKER_CAPS.filter((c) => c !== 'CAP_MKNOD' && c !== 'CAP_NET_RAW');
    expected.splice(expected.indexOf('CAP_SYS_CHROOT'), 0, 'CAP_NET_ADMIN');
    t.deepEqual(caps, {
      bounding: expected,
      effective: expected,
      inheritable: [],
      permitted: expected,
      ambient: [],
    });
  }
  t.deepEqual(build({ capDrop: ['ALL'] }).process.capabilities?.bounding, []);
  t.is(build({ capAdd: ['ALL'] }).process.capabilities?.bounding.length, 41);
});

test('`buildContainerSpec()` seccomp follows the final capability set', (t) => {
  const plain = build().linux.seccomp as OciSeccomp;
  const admin = build({ capAdd: ['SYS_ADMIN'] }).linux.seccomp as OciSeccomp;
  t.is(seccompVerdict(plain, 'mount'), 'errno 1');
  t.is(seccompVerdict(admin, 'mount'), 'allow');
  t.is(seccompVerdict(admin, 'unshare'), 'allow');
  t.is(seccompVerdict(admin, 'clone', [0x4000_0000]), 'allow');
  t.is(seccompVerdict(plain, 'clone', [0x4000_0000]), 'errno 1');
  t.deepEqual(
    admin,
    defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'x64' }),
  );
  const noChroot = build({ capDrop: ['SYS_CHROOT'] }).linux.seccomp as OciSeccomp;
  t.is(seccompVerdict(noChroot, 'chroot'), 'errno 1');
  const ptrace = build({ capAdd: ['ALL'], capDrop: ['SYS_PTRACE'] }).linux.seccomp as OciSeccomp;
  t.is(seccompVerdict(ptrace, 'ptrace'), 'errno 1');
  t.is(seccompVerdict(ptrace, 'mount'), 'allow');
});

test('`buildContainerSpec()` seccomp unconfined, custom, and per architecture', (t) => {
  t.false('seccomp' in build({ seccomp: 'unconfined' }).linux);
  const custom: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
  };
  t.deepEqual(build({ seccomp: custom }).linux.seccomp, custom);
  t.deepEqual(build({ seccomp: 'default' }).linux.seccomp, build().linux.seccomp);
  t.deepEqual(build({ arch: 'arm64' }).linux.seccomp?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  // An architecture the default profile does not know is fine when the profile is not wanted.
  t.false('seccomp' in build({ arch: 'riscv64', seccomp: 'unconfined' }).linux);
});

test('`buildContainerSpec()` takes the architecture from process.arch when none is given', (t) => {
  const { arch: _, ...noArch } = BASE;
  if (!isHostArch(process.arch)) {
    t.throws(() => buildContainerSpec(noArch), { instanceOf: SpecInvalidError });
    return;
  }
  t.deepEqual(buildContainerSpec(noArch).linux.seccomp, build({ arch: process.arch }).linux.seccomp);
});

test('`buildContainerSpec()` rlimits replace the default of their type and add the others', (t) => {
  t.deepEqual(
    build({
      rlimits: [
        { type: 'nofile', soft: 65536, hard: 65536 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
        { type: 'memlock', soft: 1 << 20, hard: 1 << 20 },
      ],
    }).process.rlimits,
    [
      { type: 'RLIMIT_NOFILE', hard: 65536, soft: 65536 },
      { type: 'RLIMIT_CORE', hard: 0, soft: 0 },
      { type: 'RLIMIT_MEMLOCK', hard: 1 << 20, soft: 1 << 20 },
    ],
  );
});

test('`buildContainerSpec()` sysctl, annotations', (t) => {
  const spec = build({
    sysctl: {
      'net.ipv4.ip_forward': '1',
      'net.core.somaxconn': '4096',
      'kernel.shmmax': '68719476736',
      'fs.mqueue.msg_max': '100',
      'net.ipv4.ping_group_range': '0 2147483647',
    },
    annotations: { 'swarmd.task.id': 't1', empty: '' },
  });
  t.deepEqual(spec.linux.sysctl, {
    'net.ipv4.ip_forward': '1',
    'net.core.somaxconn': '4096',
    'kernel.shmmax': '68719476736',
    'fs.mqueue.msg_max': '100',
    'net.ipv4.ping_group_range': '0 2147483647',
  });
  t.deepEqual(spec.annotations, { 'swarmd.task.id': 't1', empty: '' });
  t.deepEqual(
    build({ network: { mode: 'host' }, sysctl: { 'kernel.sem': '250 32000 100 128' } }).linux.sysctl,
    {
      'kernel.sem': '250 32000 100 128',
    },
  );
  t.false('sysctl' in build().linux);
  t.false('annotations' in build());
});

test('`buildContainerSpec()` devices: a node and a device cgroup allow for each', (t) => {
  const spec = build({
    devices: [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
      { path: '/dev/sdb', type: 'b', major: 8, minor: 16, fileMode: 0o660, uid: 0, gid: 6, access: 'rw' },
      { path: '/dev/ttyX', type: 'u', major: 4, minor: 64 },
      { path: '/dev/myfifo', type: 'p' },
    ],
  });
  t.deepEqual(spec.linux.devices, [
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229, uid: 0, gid: 0 },
    { path: '/dev/sdb', type: 'b', major: 8, minor: 16, fileMode: 0o660, uid: 0, gid: 6 },
    { path: '/dev/ttyX', type: 'u', major: 4, minor: 64, uid: 0, gid: 0 },
    { path: '/dev/myfifo', type: 'p', major: 0, minor: 0, uid: 0, gid: 0 },
  ]);
  t.deepEqual(spec.linux.resources?.devices?.slice(DEFAULT_DEVICE_RULES.length), [
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'b', major: 8, minor: 16, access: 'rw' },
    { allow: true, type: 'c', major: 4, minor: 64, access: 'rwm' },
  ]);
  t.false('devices' in build().linux);
});

test('`buildContainerSpec()` maskedPaths and readonlyPaths overrides replace the defaults', (t) => {
  const spec = build({ maskedPaths: ['/proc/kcore'], readonlyPaths: [] });
  t.deepEqual(spec.linux.maskedPaths, ['/proc/kcore']);
  t.deepEqual(spec.linux.readonlyPaths, []);
});

// ---------------------------------------------------------------------------------------------------------

const INVALID: [Partial<Record<keyof ContainerSpecOptions, unknown>>, string, string][] = [
  [{ args: [] }, 'args', 'args: must hold at least one argument'],
  [{ args: 'sh' }, 'args', 'args: must be an array, got "sh"'],
  [{ args: [''] }, 'args[0]', 'args[0]: must not be empty'],
  [{ args: ['sh', 1] }, 'args[1]', 'args[1]: must be a string, got 1'],
  [{ args: ['sh\0'] }, 'args[0]', 'args[0]: must not contain a NUL character'],
  [{ env: ['A=1', 'B=2', 'C'] }, 'env[2]', 'env[2]: must be KEY=value'],
  [{ env: ['=secret'] }, 'env[0]', 'env[0]: must be KEY=value'],
  [{ env: [3] }, 'env[0]', 'env[0]: must be KEY=value'],
  [{ env: ['A=1', 'A=2'] }, 'env[1]', 'env[1]: "A" is already set by env[0]'],
  [{ cwd: 'tmp' }, 'cwd', 'cwd: must be an absolute path, got "tmp"'],
  [{ user: { uid: -1 } }, 'user.uid', 'user.uid: must be an integer from 0 to 4294967294, got -1'],
  [{ user: { gid: 1.5 } }, 'user.gid', 'user.gid: must be an integer, got 1.5'],
  [
    { user: { additionalGids: [4294967295] } },
    'user.additionalGids[0]',
    'user.additionalGids[0]: must be an integer from 0 to 4294967294, got 4294967295',
  ],
  [{ user: 0 }, 'user', 'user: must be an object, got 0'],
  [
    { user: { additionalGids: Array.from({ length: 65_537 }, (_, i) => i) } },
    'user.additionalGids',
    'user.additionalGids: must hold at most 65536 groups',
  ],
  [
    { hostname: 'bad_host' },
    'hostname',
    'hostname: must be a valid hostname (RFC 1123 label, at most 63 characters), got "bad_host"',
  ],
  [
    { hostname: 'a'.repeat(64) },
    'hostname',
    `hostname: must be a valid hostname (RFC 1123 label, at most 63 characters), got "${'a'.repeat(64)}"`,
  ],
  [
    { hostname: '-web' },
    'hostname',
    'hostname: must be a valid hostname (RFC 1123 label, at most 63 characters), got "-web"',
  ],
  [
    { hostname: 'web.example.org' },
    'hostname',
    'hostname: must be a valid hostname (RFC 1123 label, at most 63 characters), got "web.example.org"',
  ],
  [
    { hostname: '' },
    'hostname',
    'hostname: must be a valid hostname (RFC 1123 label, at most 63 characters), got ""',
  ],
  [{ rootPath: '' }, 'rootPath', 'rootPath: must not be empty'],
  [{ rootPath: undefined }, 'rootPath', 'rootPath: must be a string, got undefined'],
  [
    { rootPath: '../rootfs' },
    'rootPath',
    'rootPath: a relative path must stay inside the bundle (no ".."), got "../rootfs"',
  ],
  [{ readonlyRoot: 'yes' }, 'readonlyRoot', 'readonlyRoot: must be true or false, got "yes"'],
  [{ mounts: {} }, 'mounts', 'mounts: must be an array, got {}'],
  [
    { mounts: [{ destination: 'data', type: 'tmpfs' }] },
    'mounts[0].destination',
    'mounts[0].destination: must be an absolute path, got "data"',
  ],
  [
    { mounts: [{ destination: '/a/../etc', type: 'tmpfs' }] },
    'mounts[0].destination',
    'mounts[0].destination: must be a normalised absolute path (no ".", ".." or "//"), got "/a/../etc"',
  ],
  [
    { mounts: [{ destination: '/a//b', type: 'tmpfs' }] },
    'mounts[0].destination',
    'mounts[0].destination: must be a normalised absolute path (no ".", ".." or "//"), got "/a//b"',
  ],
  [
    { mounts: [{ destination: '/', type: 'tmpfs' }] },
    'mounts[0].destination',
    'mounts[0].destination: must not be "/" (the root filesystem is rootPath)',
  ],
  [
    { mounts: [{ destination: '/proc/sys', type: 'tmpfs' }] },
    'mounts[0].destination',
    'mounts[0].destination: must not be inside /proc, got "/proc/sys"',
  ],
  [
    { mounts: [{ destination: '/proc', type: 'proc' }] },
    'mounts[0].destination',
    'mounts[0].destination: must not be inside /proc, got "/proc"',
  ],
  [
    { mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup' }] },
    'mounts[0].type',
    'mounts[0].type: must be one of bind, proc, tmpfs, sysfs, devpts, mqueue, overlay, got "cgroup"',
  ],
  [
    { mounts: [{ destination: '/data', type: 'bind' }] },
    'mounts[0].source',
    'mounts[0].source: a bind mount needs a source',
  ],
  [
    { mounts: [{ destination: '/data', type: 'bind', source: 'data' }] },
    'mounts[0].source',
    'mounts[0].source: must be an absolute path, got "data"',
  ],
  [
    { mounts: [{ destination: '/data', type: 'tmpfs', options: ['ro,nosuid'] }] },
    'mounts[0].options[0]',
    'mounts[0].options[0]: must be one non-empty option, got "ro,nosuid"',
  ],
  [
    { mounts: [{ destination: '/m', type: 'overlay', options: ['upperdir=/u'] }] },
    'mounts[0].options',
    'mounts[0].options: an overlay mount needs a lowerdir= option',
  ],
  [
    {
      mounts: [
        { destination: '/data', type: 'tmpfs' },
        { destination: '/data', type: 'tmpfs' },
      ],
    },
    'mounts[1].destination',
    'mounts[1].destination: "/data" is already mounted by mounts[0]',
  ],
  [
    { resources: { memoryBytes: 1024 } },
    'resources.memoryBytes',
    'resources.memoryBytes: must be at least 6291456 bytes (6 MiB), got 1024',
  ],
  [
    { resources: { memoryBytes: 1.5e7 + 0.5 } },
    'resources.memoryBytes',
    'resources.memoryBytes: must be an integer, got 15000000.5',
  ],
  [
    { resources: { memoryBytes: '64m' } },
    'resources.memoryBytes',
    'resources.memoryBytes: must be an integer, got "64m"',
  ],
  [
    { resources: { memoryReservationBytes: 1 << 20 } },
    'resources.memoryReservationBytes',
    'resources.memoryReservationBytes: must be at least 6291456 bytes (6 MiB), got 1048576',
  ],
  [
    { resources: { memoryBytes: 8 << 20, memoryReservationBytes: 16 << 20 } },
    'resources.memoryReservationBytes',
    'resources.memoryReservationBytes: must not exceed resources.memoryBytes (8388608), got 16777216',
  ],
  [
    { resources: { memorySwapBytes: -1 } },
    'resources.memorySwapBytes',
    'resources.memorySwapBytes: needs resources.memoryBytes',
  ],
  [
    { resources: { memoryBytes: 16 << 20, memorySwapBytes: 8 << 20 } },
    'resources.memorySwapBytes',
    'resources.memorySwapBytes: must be -1 (unlimited) or at least resources.memoryBytes (16777216), got 8388608',
  ],
  [
    { resources: { cpuShares: 1 } },
    'resources.cpuShares',
    'resources.cpuShares: must be from 2 to 262144, got 1',
  ],
  [
    { resources: { cpuShares: 262145 } },
    'resources.cpuShares',
    'resources.cpuShares: must be from 2 to 262144, got 262145',
  ],
  [
    { resources: { cpuQuotaUs: 999 } },
    'resources.cpuQuotaUs',
    'resources.cpuQuotaUs: must be at least 1000, got 999',
  ],
  [
    { resources: { cpuPeriodUs: 999 } },
    'resources.cpuPeriodUs',
    'resources.cpuPeriodUs: must be from 1000 to 1000000 (1 ms to 1 s), got 999',
  ],
  [
    { resources: { cpuPeriodUs: 1_000_001 } },
    'resources.cpuPeriodUs',
    'resources.cpuPeriodUs: must be from 1000 to 1000000 (1 ms to 1 s), got 1000001',
  ],
  [
    { resources: { nanoCpus: 5 } },
    'resources.nanoCpus',
    'resources.nanoCpus: must be at least 10000000 (0.01 CPU), got 5',
  ],
  [
    { resources: { nanoCpus: 1e9, cpuQuotaUs: 50_000 } },
    'resources.nanoCpus',
    'resources.nanoCpus: cannot be combined with resources.cpuQuotaUs or resources.cpuPeriodUs',
  ],
  [
    { resources: { nanoCpus: 1e9, cpuPeriodUs: 50_000 } },
    'resources.nanoCpus',
    'resources.nanoCpus: cannot be combined with resources.cpuQuotaUs or resources.cpuPeriodUs',
  ],
  [
    { resources: { cpusetCpus: 'a' } },
    'resources.cpusetCpus',
    'resources.cpusetCpus: must be a list of CPU numbers and ranges like "0-3,5", got "a"',
  ],
  [
    { resources: { cpusetCpus: '3-1' } },
    'resources.cpusetCpus',
    'resources.cpusetCpus: must be a list of CPU numbers and ranges like "0-3,5", got "3-1"',
  ],
  [
    { resources: { cpusetMems: '0,' } },
    'resources.cpusetMems',
    'resources.cpusetMems: must be a list of memory node numbers and ranges like "0-3,5", got "0,"',
  ],
  [{ resources: { pidsLimit: 0 } }, 'resources.pidsLimit', 'resources.pidsLimit: must be at least 1, got 0'],
  [{ resources: [] }, 'resources', 'resources: must be an object, got []'],
  [{ capAdd: ['CAP_FOO'] }, 'capAdd', 'capAdd: unknown capability "CAP_FOO"'],
  [{ capDrop: ['FOO'] }, 'capDrop', 'capDrop: unknown capability "FOO"'],
  [{ capAdd: ['ALL'], capDrop: ['ALL'] }, 'capDrop', 'capDrop: "ALL" cannot be combined with capAdd "ALL"'],
  [
    { capAdd: ['NET_ADMIN'], capDrop: ['NET_ADMIN'] },
    'capDrop',
    'capDrop: "CAP_NET_ADMIN" is also in capAdd',
  ],
  [{ noNewPrivileges: 1 }, 'noNewPrivileges', 'noNewPrivileges: must be true or false, got 1'],
  [
    { seccomp: 'strict' },
    'seccomp',
    'seccomp: must be "default", "unconfined" or a seccomp profile object, got "strict"',
  ],
  [
    {
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] },
        ],
      },
    },
    'seccomp.syscalls[0].args[0].index',
    'seccomp.syscalls[0].args[0].index: must be an integer from 0 to 5, got 6',
  ],
  [
    { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', flags: [] } },
    'seccomp.flags',
    'seccomp.flags: not supported by swarm-runtime',
  ],
  [
    { arch: 'riscv64' },
    'arch',
    'arch: must be one of x64, ia32, arm64, arm for the default seccomp profile, got "riscv64"',
  ],
  [
    { network: { mode: 'bridge' } },
    'network.mode',
    'network.mode: must be one of none, host, path, got "bridge"',
  ],
  [{ network: 'host' }, 'network', 'network: must be an object with a mode, got "host"'],
  [
    { network: { mode: 'path', path: 'netns/x' } },
    'network.path',
    'network.path: must be an absolute path, got "netns/x"',
  ],
  [{ network: { mode: 'path' } }, 'network.path', 'network.path: must be a string, got undefined'],
  [
    { cgroupsPath: 'swarmd/t1' },
    'cgroupsPath',
    'cgroupsPath: must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got "swarmd/t1"',
  ],
  [
    { cgroupsPath: '/swarmd/../t1' },
    'cgroupsPath',
    'cgroupsPath: must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got "/swarmd/../t1"',
  ],
  [
    { cgroupsPath: '/swarmd//t1' },
    'cgroupsPath',
    'cgroupsPath: must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got "/swarmd//t1"',
  ],
  [
    { cgroupsPath: '/' },
    'cgroupsPath',
    'cgroupsPath: must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got "/"',
  ],
  [{ cgroupsPath: undefined }, 'cgroupsPath', 'cgroupsPath: must be a string, got undefined'],
  [
    { cgroupsPath: '/system.slice:swarmd:t1' },
    'cgroupsPath',
    'cgroupsPath: must be an absolute path of [A-Za-z0-9_.@-] components without "." or "..", got "/system.slice:swarmd:t1"',
  ],
  [{ oomScoreAdj: 2000 }, 'oomScoreAdj', 'oomScoreAdj: must be an integer from -1000 to 1000, got 2000'],
  [
    { rlimits: [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }] },
    'rlimits[0].type',
    'rlimits[0].type: unknown resource limit "RLIMIT_FOO"',
  ],
  [
    { rlimits: [{ type: 'nofile', soft: 2048, hard: 1024 }] },
    'rlimits[0].soft',
    'rlimits[0].soft: must not exceed hard (1024), got 2048',
  ],
  [
    { rlimits: [{ type: 'nofile', soft: -1, hard: 1024 }] },
    'rlimits[0].soft',
    'rlimits[0].soft: must be an integer from 0 to 9007199254740991, got -1',
  ],
  [
    {
      rlimits: [
        { type: 'nofile', soft: 1, hard: 1 },
        { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 },
      ],
    },
    'rlimits[1].type',
    'rlimits[1].type: "RLIMIT_NOFILE" is already set by rlimits[0]',
  ],
  [{ sysctl: { 'vm.swappiness': '10' } }, 'sysctl', 'sysctl: "vm.swappiness" is not namespaced'],
  [{ sysctl: { 'kernel.pid_max': '10' } }, 'sysctl', 'sysctl: "kernel.pid_max" is not namespaced'],
  [
    { sysctl: { 'kernel.hostname': 'x' } },
    'sysctl',
    'sysctl: "kernel.hostname" conflicts with the hostname option',
  ],
  [{ sysctl: { net: '1' } }, 'sysctl', 'sysctl: "net" is not a dotted sysctl name'],
  [
    { sysctl: { 'net.ipv4/../../x': '1' } },
    'sysctl',
    'sysctl: "net.ipv4/../../x" is not a dotted sysctl name',
  ],
  [
    { sysctl: { 'net.ipv4.ip_forward': '1' }, network: { mode: 'host' } },
    'sysctl',
    'sysctl: "net.ipv4.ip_forward" needs a new network namespace (network.mode "none"), got "host"',
  ],
  [
    { sysctl: { 'net.core.somaxconn': '1' }, network: { mode: 'path', path: '/run/netns/x' } },
    'sysctl',
    'sysctl: "net.core.somaxconn" needs a new network namespace (network.mode "none"), got "path"',
  ],
  [
    { sysctl: { 'kernel.domainname': 'x' } },
    'sysctl',
    'sysctl: "kernel.domainname" is not supported by swarm-runtime',
  ],
  [
    { sysctl: { 'net.core.somaxconn': '' } },
    'sysctl.net.core.somaxconn',
    'sysctl.net.core.somaxconn: must be a non-empty single line, got ""',
  ],
  [
    { sysctl: { 'net.core.somaxconn': 4096 } },
    'sysctl.net.core.somaxconn',
    'sysctl.net.core.somaxconn: must be a string, got 4096',
  ],
  [{ annotations: { a: 1 } }, 'annotations.a', 'annotations.a: must be a string, got 1'],
  [{ annotations: { '': 'x' } }, 'annotations', 'annotations: keys must not be empty'],
  [
    { devices: [{ path: '/tmp/x', type: 'c', major: 1, minor: 1 }] },
    'devices[0].path',
    'devices[0].path: must be a path under /dev, got "/tmp/x"',
  ],
  [
    { devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }] },
    'devices[0].path',
    'devices[0].path: "/dev/null" is supplied by the runtime',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }] },
    'devices[0].type',
    'devices[0].type: must be one of c, b, u, p, got "x"',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 5000, minor: 1 }] },
    'devices[0].major',
    'devices[0].major: must be an integer from 0 to 4095, got 5000',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 1 }] },
    'devices[0].minor',
    'devices[0].minor: must be an integer, got undefined',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 1, fileMode: 0o4755 }] },
    'devices[0].fileMode',
    'devices[0].fileMode: must be an integer from 0 to 511, got 2541',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 1, access: 'rwx' }] },
    'devices[0].access',
    'devices[0].access: must be a non-empty subset of "rwm", got "rwx"',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 1, access: 'rr' }] },
    'devices[0].access',
    'devices[0].access: must be a non-empty subset of "rwm", got "rr"',
  ],
  [
    { devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 1, access: '' }] },
    'devices[0].access',
    'devices[0].access: must be a non-empty subset of "rwm", got ""',
  ],
  [
    {
      devices: [
        { path: '/dev/x', type: 'p' },
        { path: '/dev/x', type: 'p' },
      ],
    },
    'devices[1].path',
    'devices[1].path: "/dev/x" is already created by devices[0]',
  ],
  [
    { maskedPaths: ['proc/kcore'] },
    'maskedPaths[0]',
    'maskedPaths[0]: must be an absolute path, got "proc/kcore"',
  ],
  [
    { maskedPaths: ['/proc/kcore', '/proc/kcore'] },
    'maskedPaths[1]',
    'maskedPaths[1]: "/proc/kcore" is already listed at maskedPaths[0]',
  ],
  [
    { readonlyPaths: ['/proc/sys/'] },
    'readonlyPaths[0]',
    'readonlyPaths[0]: must be a normalised absolute path (no ".", ".." or "//"), got "/proc/sys/"',
  ],
];

test('`compileContainerSpecOptions()` names the option and the rule for every broken rule', (t) => {
  for (const [patch, option, message] of INVALID) {
    const options = { ...BASE, ...patch } as ContainerSpecOptions;
    const err = t.throws(
      () => compileContainerSpecOptions(options),
      { instanceOf: SpecInvalidError, message },
      message,
    );
    t.is(err?.code, 'ERR_SPEC_INVALID', message);
    t.is(err?.option, option, message);
    t.is(err?.rule, message.slice(option.length + 2), message);
    t.deepEqual(err?.fields, { 'spec.option': option }, message);
    t.false(err?.temporary, message);
  }
});

test('`compileContainerSpecOptions()` refuses something that is not an options object', (t) => {
  t.throws(() => compileContainerSpecOptions(null as unknown as ContainerSpecOptions), {
    instanceOf: SpecInvalidError,
    message: 'options: must be an object, got null',
  });
});

test('`compileContainerSpecOptions()` accepts the edges of every range', (t) => {
  t.notThrows(() =>
    compileContainerSpecOptions({
      ...BASE,
      hostname: `a${'-'.repeat(61)}b`,
      user: { uid: 4294967294, gid: 0 },
      resources: {
        memoryBytes: 6291456,
        memoryReservationBytes: 6291456,
        memorySwapBytes: 6291456,
        cpuShares: 2,
        cpuQuotaUs: 1000,
        cpuPeriodUs: 1_000_000,
        pidsLimit: 1,
      },
      oomScoreAdj: -1000,
      devices: [{ path: '/dev/x', type: 'c', major: 4095, minor: 1_048_575, fileMode: 0o777 }],
    }),
  );
});
