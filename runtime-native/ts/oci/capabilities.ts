import { SpecInvalidError } from './errors.js';

/**
 * Every Linux capability, indexed by its number (linux/capability.h, up to CAP_CHECKPOINT_RESTORE = 40).
 * `'ALL'` in capAdd/capDrop means this whole list, as in Docker. A kernel older than the list simply lacks
 * the highest ones; swarm-runtime checks against /proc/sys/kernel/cap_last_cap when it applies them.
 */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]);

const CAPABILITY_NUMBER: ReadonlyMap<string, number> = new Map(ALL_CAPABILITIES.map((name, i) => [name, i]));

/**
 * Docker's default set, in capability-number order: the 14 capabilities of a default `docker run`
 * (CapEff 00000000a80425fb).
 */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze(
  sortCapabilities([
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FSETID',
    'CAP_FOWNER',
    'CAP_MKNOD',
    'CAP_NET_RAW',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETFCAP',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_SYS_CHROOT',
    'CAP_KILL',
    'CAP_AUDIT_WRITE',
  ]),
);

/**
 * The canonical name of a capability as a user may write it (`net_raw`, `NET_RAW`, `CAP_NET_RAW`), `'ALL'`
 * for the keyword, or `null` when it names no capability.
 */
export function normalizeCapability(name: string): string | null {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return CAPABILITY_NUMBER.has(full) ? full : null;
}

/** The capability's number, or -1 when unknown. */
export function capabilityNumber(name: string): number {
  return CAPABILITY_NUMBER.get(name) ?? -1;
}

/** The bit mask of a set, as /proc/<pid>/status prints it in CapEff (bit n = capability n). */
export function capabilityMask(names: Iterable<string>): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = capabilityNumber(name);
    if (n < 0) throw new RangeError(`Cannot compute a capability mask: unknown capability "${name}"`);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

function sortCapabilities(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => capabilityNumber(a) - capabilityNumber(b));
}

/** What the user asked for, before validation. */
export interface CapabilityChanges {
  /** Added to the defaults; `'ALL'` starts from every capability instead. */
  capAdd?: readonly string[] | undefined;
  /** Removed from the defaults; `'ALL'` starts from nothing, so only `capAdd` remains. */
  capDrop?: readonly string[] | undefined;
}

function normalizeList(option: 'capAdd' | 'capDrop', list: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (list === undefined) return out;
  if (!Array.isArray(list)) throw new SpecInvalidError(option, 'must be an array of capability names');
  for (const raw of list as readonly unknown[]) {
    if (typeof raw !== 'string')
      throw new SpecInvalidError(option, `unknown capability ${JSON.stringify(raw)}`);
    const name = normalizeCapability(raw);
    if (name === null) throw new SpecInvalidError(option, `unknown capability ${JSON.stringify(raw)}`);
    out.add(name);
  }
  return out;
}

/**
 * The final capability set, in capability-number order, Docker's way:
 * - neither list: the 14 defaults;
 * - capAdd holds 'ALL': every capability except those in capDrop;
 * - capDrop holds 'ALL': exactly the capabilities in capAdd;
 * - otherwise: the defaults minus capDrop, plus capAdd.
 *
 * Unlike Docker, a capability named in both lists, or 'ALL' in both, is refused rather than resolved by
 * precedence: such a spec is almost surely a mistake, and silently picking a winner hides it.
 *
 * @throws {SpecInvalidError} `capAdd: unknown capability "CAP_FOO"`, and the conflicts above.
 */
export function resolveCapabilities(changes: CapabilityChanges): string[] {
  const add = normalizeList('capAdd', changes.capAdd);
  const drop = normalizeList('capDrop', changes.capDrop);
  const addAll = add.delete('ALL');
  const dropAll = drop.delete('ALL');
  if (addAll && dropAll) throw new SpecInvalidError('capDrop', '"ALL" cannot be combined with capAdd "ALL"');
  for (const name of add) {
    if (drop.has(name)) throw new SpecInvalidError('capDrop', `"${name}" is also in capAdd`);
  }
  if (addAll) return ALL_CAPABILITIES.filter((c) => !drop.has(c));
  if (dropAll) return sortCapabilities(add);
  return sortCapabilities([...DEFAULT_CAPABILITIES.filter((c) => !drop.has(c)), ...add]);
}
