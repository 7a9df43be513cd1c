import test from 'ava';
import { checkSeccompProfile } from './check-seccomp.js';
import { SpecInvalidError } from './errors.js';

const PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
  ],
};

test('`checkSeccompProfile()` accepts a valid profile and writes out valueTwo', (t) => {
  const out = checkSeccompProfile(PROFILE, 'seccomp');
  t.deepEqual(out, {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 40, valueTwo: 0, op: 'SCMP_CMP_NE' }],
      },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  });
  t.not(out.syscalls, PROFILE.syscalls);
});

test('`checkSeccompProfile()` accepts errnoRet with SCMP_ACT_TRACE and the 16-bit maximum', (t) => {
  const p = {
    defaultAction: 'SCMP_ACT_TRACE',
    defaultErrnoRet: 65535,
    syscalls: [{ names: ['x'], action: 'SCMP_ACT_TRACE', errnoRet: 0 }],
  };
  t.deepEqual(checkSeccompProfile(p, 'seccomp'), p);
});

test('`checkSeccompProfile()` accepts the minimal profile', (t) => {
  t.deepEqual(checkSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW' }, 'seccomp'), {
    defaultAction: 'SCMP_ACT_ALLOW',
  });
});

test('`checkSeccompProfile()` names the first field spec.h would refuse', (t) => {
  const rule = (r: Record<string, unknown>) => ({ ...PROFILE, syscalls: [r] });
  const cases: [unknown, string][] = [
    ['x', 'seccomp: must be a seccomp profile object'],
    [{ ...PROFILE, flags: ['SECCOMP_FILTER_FLAG_LOG'] }, 'seccomp.flags: not supported by swarm-runtime'],
    [{ ...PROFILE, listenerPath: '/x' }, 'seccomp.listenerPath: not supported by swarm-runtime'],
    [
      { ...PROFILE, defaultAction: 'SCMP_ACT_NOTIFY' },
      'seccomp.defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, got "SCMP_ACT_NOTIFY"',
    ],
    [
      { ...PROFILE, defaultErrnoRet: -1 },
      'seccomp.defaultErrnoRet: must be an integer from 0 to 65535, got -1',
    ],
    [
      { ...PROFILE, defaultErrnoRet: 65536 },
      'seccomp.defaultErrnoRet: must be an integer from 0 to 65535, got 65536',
    ],
    [
      { defaultAction: 'SCMP_ACT_KILL_PROCESS', defaultErrnoRet: 1 },
      'seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL_PROCESS',
    ],
    [{ ...PROFILE, architectures: 'SCMP_ARCH_X86_64' }, 'seccomp.architectures: must be an array'],
    [
      { ...PROFILE, architectures: ['x86_64'] },
      'seccomp.architectures[0]: must be one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64, got "x86_64"',
    ],
    [{ ...PROFILE, syscalls: {} }, 'seccomp.syscalls: must be an array'],
    [
      rule({ names: [], action: 'SCMP_ACT_ALLOW' }),
      'seccomp.syscalls[0].names: must hold at least one syscall name',
    ],
    [
      rule({ names: ['Read'], action: 'SCMP_ACT_ALLOW' }),
      'seccomp.syscalls[0].names[0]: must match [a-z0-9_]+, got "Read"',
    ],
    [
      rule({ names: ['read'], action: 'ALLOW' }),
      'seccomp.syscalls[0].action: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, got "ALLOW"',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', comment: 'x' }),
      'seccomp.syscalls[0].comment: not supported by swarm-runtime',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: {} }),
      'seccomp.syscalls[0].includes: not supported by swarm-runtime',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 1.5 }),
      'seccomp.syscalls[0].errnoRet: must be an integer from 0 to 65535, got 1.5',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }),
      'seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: {} }),
      'seccomp.syscalls[0].args: must be an array',
    ],
    [
      rule({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: Array.from({ length: 7 }, (_, i) => ({ index: i % 6, value: 0, op: 'SCMP_CMP_EQ' })),
      }),
      'seccomp.syscalls[0].args: must hold at most 6 conditions',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }),
      'seccomp.syscalls[0].args[0].index: must be an integer from 0 to 5, got 6',
    ],
    [
      rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }),
      'seccomp.syscalls[0].args[0].value: must be an integer from 0 to 9007199254740991, got -1',
    ],
    [
      rule({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ', valueTwo: '1' }],
      }),
      'seccomp.syscalls[0].args[0].valueTwo: must be an integer from 0 to 9007199254740991, got "1"',
    ],
    [
      rule({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0, op: 'SCMP_CMP_BITS' }],
      }),
      'seccomp.syscalls[0].args[0].op: must be one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ, got "SCMP_CMP_BITS"',
    ],
  ];
  for (const [profile, message] of cases) {
    const err = t.throws(() => checkSeccompProfile(profile, 'seccomp'), {
      instanceOf: SpecInvalidError,
      message,
    });
    t.is(err?.code, 'ERR_SPEC_INVALID');
  }
});
