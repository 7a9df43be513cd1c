/**
 * Validation of a network spec: {@link compileNetworkSpec}. The driver is bridge or overlay (default
 * overlay); each IPAM entry is an IPv4 CIDR without host bits, with an optional gateway inside it, and the
 * subnets of one network do not overlap.
 */
import type { Network } from '../../proto/index.js';
import { InvalidSpecError } from './errors.js';
import { type AnnotationsInput, compileAnnotations, type Opt, Problems, shown } from './validate-common.js';

export interface NetworkSpecInput {
  annotations?: Opt<AnnotationsInput>;
  /** Absent or empty: overlay. */
  driver?: Opt<string>;
  ipam?: Opt<readonly { subnet?: Opt<string>; gateway?: Opt<string> }[]>;
  attachable?: Opt<boolean>;
}

/** An IPv4 address as a 32-bit unsigned number, or null. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  let n = 0;
  for (const part of m.slice(1)) {
    const v = Number(part);
    if (v > 255 || (part.length > 1 && part.startsWith('0'))) return null;
    n = n * 256 + v;
  }
  return n;
}

/** An IPv4 CIDR as its first address and prefix length, or null. */
export function parseCIDR(s: string): { base: number; bits: number } | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const base = parseIPv4(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (base === null || !/^\d{1,2}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > 32) return null;
  return { base, bits };
}

function size(bits: number): number {
  return 2 ** (32 - bits);
}

/**
 * Validates a network spec and fills in the defaults.
 * @throws InvalidSpecError listing every problem
 */
export function compileNetworkSpec(input: NetworkSpecInput): Network['spec'] {
  const p = new Problems();
  const annotations = compileAnnotations(p, 'spec.annotations', input.annotations);
  const driver = p.oneOf<Network['spec']['driver']>(
    'spec.driver',
    input.driver === '' ? undefined : input.driver,
    ['bridge', 'overlay'],
    'overlay',
  );
  const subnets: { base: number; bits: number; text: string; index: number }[] = [];
  const ipam = (input.ipam ?? []).map((entry, i) => {
    const subnet = entry.subnet ?? '';
    const gateway = entry.gateway ?? '';
    const at = `spec.ipam[${i}]`;
    const cidr = parseCIDR(subnet);
    if (cidr === null || cidr.bits > 30)
      p.got(`${at}.subnet`, 'must be an IPv4 CIDR of /30 or larger, like 10.0.9.0/24', subnet);
    else if (cidr.base % size(cidr.bits) !== 0) p.got(`${at}.subnet`, 'must not have host bits set', subnet);
    else {
      const overlap = subnets.find(
        (o) => cidr.base < o.base + size(o.bits) && o.base < cidr.base + size(cidr.bits),
      );
      if (overlap !== undefined)
        p.add(`${at}.subnet`, `${subnet} overlaps ipam[${overlap.index}] (${overlap.text})`);
      subnets.push({ ...cidr, text: subnet, index: i });
      if (gateway !== '') {
        const gw = parseIPv4(gateway);
        if (gw === null || gw < cidr.base || gw >= cidr.base + size(cidr.bits))
          p.got(`${at}.gateway`, `must be an IPv4 address in ${subnet}`, gateway);
      }
    }
    return { subnet, gateway };
  });
  if (!p.empty) throw new InvalidSpecError(`create network ${shown(annotations.name)}`, 'network', p.list);
  return { annotations, driver, ipam, attachable: input.attachable ?? false };
}
