import type { OciSeccomp, OciSeccompAction, OciSeccompArg } from '../oci-types.js';

function matches(cond: OciSeccompArg, arg: bigint): boolean {
  const value = BigInt(cond.value);
  switch (cond.op) {
    case 'SCMP_CMP_NE':
      return arg !== value;
    case 'SCMP_CMP_LT':
      return arg < value;
    case 'SCMP_CMP_LE':
      return arg <= value;
    case 'SCMP_CMP_EQ':
      return arg === value;
    case 'SCMP_CMP_GE':
      return arg >= value;
    case 'SCMP_CMP_GT':
      return arg > value;
    case 'SCMP_CMP_MASKED_EQ':
      return (arg & value) === BigInt(cond.valueTwo ?? 0);
  }
}

function describe(action: OciSeccompAction, errnoRet: number | undefined): string {
  if (action === 'SCMP_ACT_ALLOW') return 'allow';
  if (action === 'SCMP_ACT_ERRNO') return `errno ${errnoRet ?? 1}`;
  return action.slice('SCMP_ACT_'.length).toLowerCase();
}

/**
 * What a profile does with one call, evaluated the way libseccomp builds the filter: every rule naming
 * the call whose argument conditions all hold gives its action; none gives the default action. Returns
 * `'allow'`, `'errno <n>'` or the lower-case action (`'kill_process'`).
 *
 * Throws when two matching rules disagree: a profile must give every call a single verdict.
 */
export function seccompVerdict(
  profile: OciSeccomp,
  name: string,
  args: readonly (number | bigint)[] = [],
): string {
  const verdicts = new Set<string>();
  for (const rule of profile.syscalls ?? []) {
    if (!rule.names.includes(name)) continue;
    if (!(rule.args ?? []).every((cond) => matches(cond, BigInt(args[cond.index] ?? 0)))) continue;
    verdicts.add(describe(rule.action, rule.errnoRet));
  }
  if (verdicts.size > 1)
    throw new Error(`${name}(${args.join(', ')}) matches rules that disagree: ${[...verdicts].join(', ')}`);
  return [...verdicts][0] ?? describe(profile.defaultAction, profile.defaultErrnoRet);
}
