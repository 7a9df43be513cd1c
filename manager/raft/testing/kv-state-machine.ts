/** A client command on the key-value state machine. `client`/`seq` identify it for deduplication. */
export type KvCommand =
  | {
      readonly kind: 'write';
      readonly client: number;
      readonly seq: number;
      readonly key: string;
      readonly value: number;
    }
  | {
      readonly kind: 'cas';
      readonly client: number;
      readonly seq: number;
      readonly key: string;
      readonly expected: number | null;
      readonly value: number;
    }
  | { readonly kind: 'probe'; readonly client: number; readonly seq: number };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command as entry data: `w|client|seq|key|value`, `c|client|seq|key|expected|value`, `p|…`. */
export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  switch (cmd.kind) {
    case 'write':
      return enc.encode(`w|${cmd.client}|${cmd.seq}|${cmd.key}|${cmd.value}`);
    case 'cas':
      return enc.encode(`c|${cmd.client}|${cmd.seq}|${cmd.key}|${cmd.expected ?? '-'}|${cmd.value}`);
    case 'probe':
      return enc.encode(`p|${cmd.client}|${cmd.seq}`);
  }
}

/** Decodes entry data written by {@link encodeKvCommand}. */
export function decodeKvCommand(data: Uint8Array): KvCommand {
  const f = dec.decode(data).split('|');
  const client = Number(f[1]);
  const seq = Number(f[2]);
  switch (f[0]) {
    case 'w':
      return { kind: 'write', client, seq, key: f[3] as string, value: Number(f[4]) };
    case 'c':
      return {
        kind: 'cas',
        client,
        seq,
        key: f[3] as string,
        expected: f[4] === '-' ? null : Number(f[4]),
        value: Number(f[5]),
      };
    case 'p':
      return { kind: 'probe', client, seq };
    default:
      throw new RangeError(`Cannot decode kv command: unknown kind "${f[0]}"`);
  }
}

/** The outcome of applying a command: `duplicate` when the same (client, seq) was applied before. */
export type KvApplyResult =
  | { readonly duplicate: true }
  | { readonly duplicate: false; readonly ok: boolean };

/**
 * The key-value state machine the simulation replicates: integer values, writes and compare-and-set, with
 * per-client deduplication (a command whose `seq` is not above the client's last applied one is ignored),
 * so a proposal duplicated by the network applies once.
 */
export class KvStateMachine {
  readonly #kv = new Map<string, number>();
  readonly #lastSeq = new Map<number, number>();

  get(key: string): number | null {
    return this.#kv.get(key) ?? null;
  }

  apply(cmd: KvCommand): KvApplyResult {
    if ((this.#lastSeq.get(cmd.client) ?? -1) >= cmd.seq) return { duplicate: true };
    this.#lastSeq.set(cmd.client, cmd.seq);
    switch (cmd.kind) {
      case 'write':
        this.#kv.set(cmd.key, cmd.value);
        return { duplicate: false, ok: true };
      case 'cas':
        if (this.get(cmd.key) !== cmd.expected) return { duplicate: false, ok: false };
        this.#kv.set(cmd.key, cmd.value);
        return { duplicate: false, ok: true };
      case 'probe':
        return { duplicate: false, ok: true };
    }
  }

  /** The whole state, canonical (sorted), for snapshots and for comparing replicas. */
  serialize(): Uint8Array {
    const kv = [...this.#kv].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const seqs = [...this.#lastSeq].sort((a, b) => a[0] - b[0]);
    return enc.encode(JSON.stringify({ kv, seqs }));
  }

  /** Replaces the state with a {@link serialize}d one (empty bytes: the initial state). */
  restore(data: Uint8Array): void {
    this.#kv.clear();
    this.#lastSeq.clear();
    if (data.length === 0) return;
    const parsed = JSON.parse(dec.decode(data)) as { kv: [string, number][]; seqs: [number, number][] };
    for (const [k, v] of parsed.kv) this.#kv.set(k, v);
    for (const [c, s] of parsed.seqs) this.#lastSeq.set(c, s);
  }
}
