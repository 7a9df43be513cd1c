import type { ConfChange, ConfState } from '../raft/index.js';
import { SnapshotDecodeError } from './errors.js';
import type { MemberAddress } from './options.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** The context of a conf change that adds a member: its raft address, UTF-8. */
export function encodeMemberContext(address: string): Uint8Array {
  return enc.encode(address);
}

/** The address carried by a conf change, or null when it carries none (founding members, removals). */
export function memberContextAddress(cc: ConfChange): string | null {
  if (cc.context === undefined || cc.context.byteLength === 0) return null;
  try {
    return dec.decode(cc.context);
  } catch {
    return null;
  }
}

/**
 * What the driver knows about the membership beyond raft's `ConfState`: every member's address and the ids
 * removed so far (never to be reused). It changes only by applying conf changes and snapshots, in log
 * order, so every member holds the same book at the same applied index; the snapshot carries it, because
 * the conf changes that carried the addresses are compacted away.
 */
export class Membership {
  readonly #addresses = new Map<bigint, string>();
  readonly #removed = new Set<bigint>();
  #conf: ConfState = { voters: [], learners: [] };

  /** Starts from addresses given by configuration (founding members, or the cluster to join). */
  constructor(known: readonly MemberAddress[] = []) {
    for (const m of known) this.#addresses.set(m.id, m.address);
  }

  get confState(): ConfState {
    return this.#conf;
  }

  set confState(conf: ConfState) {
    this.#conf = conf;
  }

  address(id: bigint): string | null {
    return this.#addresses.get(id) ?? null;
  }

  /** Every known address (members, and addresses given by configuration not yet confirmed). */
  addresses(): ReadonlyMap<bigint, string> {
    return this.#addresses;
  }

  isRemoved(id: bigint): boolean {
    return this.#removed.has(id);
  }

  get removed(): readonly bigint[] {
    return [...this.#removed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  isVoter(id: bigint): boolean {
    return this.#conf.voters.includes(id);
  }

  isLearner(id: bigint): boolean {
    return this.#conf.learners.includes(id);
  }

  isMember(id: bigint): boolean {
    return this.isVoter(id) || this.isLearner(id);
  }

  /**
   * Records an applied conf change (with the `ConfState` raft returned for it). Returns the address change
   * for the transport: `{id, address}` to add or move a peer, `{id, address: null}` to drop one.
   */
  apply(cc: ConfChange, conf: ConfState): { id: bigint; address: string | null } | null {
    this.#conf = conf;
    if (cc.type === 'removeNode') {
      this.#removed.add(cc.nodeId);
      this.#addresses.delete(cc.nodeId);
      return { id: cc.nodeId, address: null };
    }
    const address = memberContextAddress(cc);
    if (address === null || this.#addresses.get(cc.nodeId) === address) return null;
    this.#addresses.set(cc.nodeId, address);
    return { id: cc.nodeId, address };
  }

  /**
   * The snapshot data of the driver: the membership's addresses and removed ids, then the state machine's
   * bytes. Format (little-endian): `SWRS`, version u8, member count u32, per member id u64 + address length
   * u16 + address, removed count u32, removed ids u64 each, then `app` to the end.
   */
  encodeSnapshot(app: Uint8Array): Uint8Array {
    const members = [...this.#conf.voters, ...this.#conf.learners]
      .map((id) => ({ id, address: enc.encode(this.#addresses.get(id) ?? '') }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const removed = this.removed;
    let size = 4 + 1 + 4 + 4 + removed.length * 8 + app.byteLength;
    for (const m of members) size += 8 + 2 + m.address.byteLength;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    out[4] = VERSION;
    let off = 5;
    view.setUint32(off, members.length, true);
    off += 4;
    for (const m of members) {
      view.setBigUint64(off, m.id, true);
      view.setUint16(off + 8, m.address.byteLength, true);
      out.set(m.address, off + 10);
      off += 10 + m.address.byteLength;
    }
    view.setUint32(off, removed.length, true);
    off += 4;
    for (const id of removed) {
      view.setBigUint64(off, id, true);
      off += 8;
    }
    out.set(app, off);
    return out;
  }

  /**
   * Replaces the book with the one in a snapshot's data (see {@link encodeSnapshot}), with `conf` the
   * snapshot's membership; returns the state machine's bytes. Addresses given by configuration for
   * ids the snapshot does not know are kept (a joining member's view of the cluster).
   * @throws SnapshotDecodeError when the data is not a driver snapshot
   */
  restoreSnapshot(index: number, data: Uint8Array, conf: ConfState): Uint8Array {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const need = (off: number, n: number): void => {
      if (off + n > data.byteLength) throw new SnapshotDecodeError(index, `truncated at byte ${off}`);
    };
    need(0, 9);
    if (MAGIC.some((b, i) => data[i] !== b) || data[4] !== VERSION)
      throw new SnapshotDecodeError(index, 'not a replication snapshot (bad magic or version)');
    let off = 5;
    const count = view.getUint32(off, true);
    off += 4;
    const addresses = new Map<bigint, string>();
    for (let i = 0; i < count; i++) {
      need(off, 10);
      const id = view.getBigUint64(off, true);
      const len = view.getUint16(off + 8, true);
      need(off + 10, len);
      let address: string;
      try {
        address = dec.decode(data.subarray(off + 10, off + 10 + len));
      } catch {
        throw new SnapshotDecodeError(index, `member ${id.toString(16)} has an address that is not UTF-8`);
      }
      if (address !== '') addresses.set(id, address);
      off += 10 + len;
    }
    need(off, 4);
    const removedCount = view.getUint32(off, true);
    off += 4;
    need(off, removedCount * 8);
    const removed: bigint[] = [];
    for (let i = 0; i < removedCount; i++) removed.push(view.getBigUint64(off + i * 8, true));
    off += removedCount * 8;
    for (const id of removed) {
      this.#removed.add(id);
      this.#addresses.delete(id);
    }
    for (const [id, address] of addresses) this.#addresses.set(id, address);
    this.#conf = conf;
    return data.subarray(off);
  }
}

const MAGIC = Uint8Array.of(0x53, 0x57, 0x52, 0x53); // "SWRS"
const VERSION = 1;
