import { SpecInvalidError } from './errors.js';
import type {
  OciSeccomp,
  OciSeccompAction,
  OciSeccompArch,
  OciSeccompArg,
  OciSeccompOperator,
  OciSyscallRule,
} from './oci-types.js';

export const SECCOMP_ACTIONS: readonly OciSeccompAction[] = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
];

export const SECCOMP_OPERATORS: readonly OciSeccompOperator[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];

export const SECCOMP_ARCHES: readonly OciSeccompArch[] = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
];

/** A syscall name as spec.h accepts it. */
export const SYSCALL_NAME = /^[a-z0-9_]+$/;

/** The kernel keeps 16 bits of SECCOMP_RET_DATA for the errno. */
const ERRNO_MAX = 0xffff;

/** errnoRet only means something for ERRNO and TRACE; swarm-runtime refuses it with any other action. */
function errnoRet(path: string, v: unknown, action: OciSeccompAction): number {
  const n = uint(path, v, ERRNO_MAX);
  if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE')
    throw new SpecInvalidError(path, `only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refuseUnknownKeys(path: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new SpecInvalidError(`${path}.${key}`, 'not supported by swarm-runtime');
  }
}

function oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new SpecInvalidError(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

function uint(path: string, v: unknown, max: number): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max) return v;
  throw new SpecInvalidError(path, `must be an integer from 0 to ${max}, got ${JSON.stringify(v)}`);
}

function checkArg(path: string, v: unknown): OciSeccompArg {
  if (!isRecord(v)) throw new SpecInvalidError(path, 'must be an object');
  refuseUnknownKeys(path, v, ['index', 'value', 'valueTwo', 'op']);
  return {
    index: uint(`${path}.index`, v.index, 5),
    value: uint(`${path}.value`, v.value, Number.MAX_SAFE_INTEGER),
    valueTwo: v.valueTwo === undefined ? 0 : uint(`${path}.valueTwo`, v.valueTwo, Number.MAX_SAFE_INTEGER),
    op: oneOf(`${path}.op`, v.op, SECCOMP_OPERATORS),
  };
}

function checkRule(path: string, v: unknown): OciSyscallRule {
  if (!isRecord(v)) throw new SpecInvalidError(path, 'must be an object');
  refuseUnknownKeys(path, v, ['names', 'action', 'errnoRet', 'args']);
  if (!Array.isArray(v.names) || v.names.length === 0)
    throw new SpecInvalidError(`${path}.names`, 'must hold at least one syscall name');
  const names = v.names.map((n: unknown, i: number) => {
    if (typeof n === 'string' && SYSCALL_NAME.test(n)) return n;
    throw new SpecInvalidError(`${path}.names[${i}]`, `must match [a-z0-9_]+, got ${JSON.stringify(n)}`);
  });
  const rule: OciSyscallRule = { names, action: oneOf(`${path}.action`, v.action, SECCOMP_ACTIONS) };
  if (v.errnoRet !== undefined) rule.errnoRet = errnoRet(`${path}.errnoRet`, v.errnoRet, rule.action);
  if (v.args !== undefined) {
    if (!Array.isArray(v.args)) throw new SpecInvalidError(`${path}.args`, 'must be an array');
    if (v.args.length > 6) throw new SpecInvalidError(`${path}.args`, 'must hold at most 6 conditions');
    rule.args = v.args.map((a: unknown, i: number) => checkArg(`${path}.args[${i}]`, a));
  }
  return rule;
}

/**
 * Checks that `profile` is a seccomp object swarm-runtime accepts (spec.h `rn_seccomp`): known actions,
 * operators and architectures, argument indexes 0..5, syscall names of `[a-z0-9_]+`, errnoRet 0..65535 and
 * only with SCMP_ACT_ERRNO/TRACE, no fields beyond
 * `defaultAction`, `defaultErrnoRet`, `architectures`, `syscalls` (so no `flags` or `listenerPath`).
 * Returns a deep copy holding only those fields, with every `valueTwo` written out.
 *
 * @param path The option's name in error messages, e.g. `seccomp`.
 * @throws {SpecInvalidError} naming the first offending field: `seccomp.syscalls[3].args[0].index: must be an integer from 0 to 5, got 6`.
 */
export function checkSeccompProfile(profile: unknown, path: string): OciSeccomp {
  if (!isRecord(profile)) throw new SpecInvalidError(path, 'must be a seccomp profile object');
  refuseUnknownKeys(path, profile, ['defaultAction', 'defaultErrnoRet', 'architectures', 'syscalls']);
  const out: OciSeccomp = {
    defaultAction: oneOf(`${path}.defaultAction`, profile.defaultAction, SECCOMP_ACTIONS),
  };
  if (profile.defaultErrnoRet !== undefined)
    out.defaultErrnoRet = errnoRet(`${path}.defaultErrnoRet`, profile.defaultErrnoRet, out.defaultAction);
  if (profile.architectures !== undefined) {
    if (!Array.isArray(profile.architectures))
      throw new SpecInvalidError(`${path}.architectures`, 'must be an array');
    out.architectures = profile.architectures.map((a: unknown, i: number) =>
      oneOf(`${path}.architectures[${i}]`, a, SECCOMP_ARCHES),
    );
  }
  if (profile.syscalls !== undefined) {
    if (!Array.isArray(profile.syscalls)) throw new SpecInvalidError(`${path}.syscalls`, 'must be an array');
    out.syscalls = profile.syscalls.map((r: unknown, i: number) => checkRule(`${path}.syscalls[${i}]`, r));
  }
  return out;
}
