import type { Model, Operation } from './linearizability.js';

/** A client operation on one key of the key-value store. */
export type KvInput =
  | { readonly kind: 'read'; readonly key: string }
  | { readonly kind: 'write'; readonly key: string; readonly value: number }
  | { readonly kind: 'cas'; readonly key: string; readonly expected: number | null; readonly value: number };

/** What the client saw: the value read, or whether the compare-and-set succeeded; `{}` for a write. */
export interface KvOutput {
  readonly value?: number | null;
  readonly ok?: boolean;
}

export type KvOperation = Operation<KvInput, KvOutput>;

/**
 * The sequential specification of one key (state: its value, null when never written), partitioned by
 * key: operations on different keys commute, so each key's history is checked on its own (Porcupine's
 * partitioning).
 */
export const kvModel: Model<number | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'read':
        return { ok: output === undefined || output.value === state, state };
      case 'write':
        return { ok: true, state: input.value };
      case 'cas': {
        const matches = state === input.expected;
        if (output !== undefined && output.ok !== matches) return { ok: false, state };
        return { ok: true, state: matches ? input.value : state };
      }
    }
  },
  equal: (a, b) => a === b,
  partition(history) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of history) {
      let list = byKey.get(op.input.key);
      if (list === undefined) {
        list = [];
        byKey.set(op.input.key, list);
      }
      list.push(op);
    }
    return [...byKey.keys()].sort().map((k) => byKey.get(k) as KvOperation[]);
  },
  describeOperation(op) {
    const i = op.input;
    const what =
      i.kind === 'read'
        ? `read(${i.key})`
        : i.kind === 'write'
          ? `write(${i.key}, ${i.value})`
          : `cas(${i.key}, ${i.expected}, ${i.value})`;
    const out =
      op.output === undefined
        ? '?'
        : i.kind === 'read'
          ? String(op.output.value)
          : i.kind === 'cas'
            ? String(op.output.ok)
            : 'ok';
    return `c${op.clientId} ${what} -> ${out} [${op.call}, ${op.ret}]`;
  },
};
