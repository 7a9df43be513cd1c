/**
 * Property tests: random sequences of transactions (creates, updates with fresh or stale versions, renames,
 * deletes, over small pools of ids, names and labels so that conflicts are frequent), run through a leader
 * store on a MockProposer with a follower attached, against a plain model of what the store must hold.
 * After every transaction: the outcome (which error, if any) matches the model, every index equals a
 * from-scratch rebuild, and every query answers what a brute-force scan of the objects answers. At the
 * end: snapshot + restore gives back the same store, and the follower and a store replaying the log are
 * identical to the leader. A failure prints the seed and the shrunk sequence.
 */
import test from 'ava';
import fc from 'fast-check';
import { FakeClock } from '../../common/testing/index.js';
import type { Node, ObjectKind, Service, StoreObject, Task, TaskState } from '../../proto/index.js';
import {
  allOf,
  anyOf,
  type By,
  byDesiredState,
  byIdPrefix,
  byLabels,
  byName,
  byNamePrefix,
  byNodeId,
  byReferencedSecret,
  byServiceId,
  byServiceNode,
  bySlot,
  byTaskState,
} from './by.js';
import { MemoryStore } from './memory-store.js';
import { MockProposer, testNetwork, testNode, testSecret, testService, testTask } from './testing/index.js';
import type { WriteTx } from './tx.js';

// ------------------------------------------------------------------ pools

const NAMES = ['web', 'Web', 'api', 'db', 'x'];
const LABEL_KEYS = ['tier', 'env'];
const LABEL_VALUES = ['a', 'b'];
const STATES: TaskState[] = ['NEW', 'PENDING', 'RUNNING', 'SHUTDOWN'];
const NODE_IDS = ['n0', 'n1', 'n2'];
const SERVICE_IDS = ['s0', 's1', 's2', 's3'];
const TASK_IDS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
const SECRET_IDS = ['k0', 'k1'];
const NETWORK_IDS = ['w0', 'w1'];

const labels = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), {
  maxKeys: 2,
});

type Op =
  | { op: 'createService'; id: string; name: string; labels: Record<string, string>; secret: string | null }
  | { op: 'updateService'; id: string; name: string; labels: Record<string, string>; stale: boolean }
  | {
      op: 'createTask';
      id: string;
      service: number;
      slot: number;
      node: string;
      desired: TaskState;
      state: TaskState;
    }
  | {
      op: 'updateTask';
      id: string;
      slot: number;
      node: string;
      desired: TaskState;
      state: TaskState;
      stale: boolean;
    }
  | { op: 'createNode'; id: string; hostname: string; name: string; labels: Record<string, string> }
  | { op: 'updateNode'; id: string; name: string; stale: boolean }
  | { op: 'createSecret'; id: string; name: string }
  | { op: 'createNetwork'; id: string; name: string }
  | { op: 'renameNetwork'; id: string; name: string; stale: boolean }
  | { op: 'delete'; kind: ObjectKind; id: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('createService' as const),
    id: fc.constantFrom(...SERVICE_IDS),
    name: fc.constantFrom(...NAMES),
    labels,
    secret: fc.option(fc.constantFrom(...SECRET_IDS)),
  }),
  fc.record({
    op: fc.constant('updateService' as const),
    id: fc.constantFrom(...SERVICE_IDS),
    name: fc.constantFrom(...NAMES),
    labels,
    stale: fc.boolean(),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('createTask' as const),
      id: fc.constantFrom(...TASK_IDS),
      service: fc.nat(2),
      slot: fc.nat(3),
      node: fc.constantFrom('', ...NODE_IDS),
      desired: fc.constantFrom(...STATES),
      state: fc.constantFrom(...STATES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('updateTask' as const),
      id: fc.constantFrom(...TASK_IDS),
      slot: fc.nat(3),
      node: fc.constantFrom('', ...NODE_IDS),
      desired: fc.constantFrom(...STATES),
      state: fc.constantFrom(...STATES),
      stale: fc.boolean(),
    }),
  },
  fc.record({
    op: fc.constant('createNode' as const),
    id: fc.constantFrom(...NODE_IDS),
    hostname: fc.constantFrom('h1', 'h2'),
    name: fc.constantFrom('', 'web', 'h1'),
    labels,
  }),
  fc.record({
    op: fc.constant('updateNode' as const),
    id: fc.constantFrom(...NODE_IDS),
    name: fc.constantFrom('', 'h2', 'db'),
    stale: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('createSecret' as const),
    id: fc.constantFrom(...SECRET_IDS),
    name: fc.constantFrom(...NAMES),
  }),
  fc.record({
    op: fc.constant('createNetwork' as const),
    id: fc.constantFrom(...NETWORK_IDS),
    name: fc.constantFrom(...NAMES),
  }),
  fc.record({
    op: fc.constant('renameNetwork' as const),
    id: fc.constantFrom(...NETWORK_IDS),
    name: fc.constantFrom(...NAMES),
    stale: fc.boolean(),
  }),
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({
        op: fc.constant('delete' as const),
        kind: fc.constant<ObjectKind>('service'),
        id: fc.constantFrom(...SERVICE_IDS),
      }),
      fc.record({
        op: fc.constant('delete' as const),
        kind: fc.constant<ObjectKind>('task'),
        id: fc.constantFrom(...TASK_IDS),
      }),
      fc.record({
        op: fc.constant('delete' as const),
        kind: fc.constant<ObjectKind>('node'),
        id: fc.constantFrom(...NODE_IDS),
      }),
      fc.record({
        op: fc.constant('delete' as const),
        kind: fc.constant<ObjectKind>('secret'),
        id: fc.constantFrom(...SECRET_IDS),
      }),
      fc.record({
        op: fc.constant('delete' as const),
        kind: fc.constant<ObjectKind>('network'),
        id: fc.constantFrom(...NETWORK_IDS),
      }),
    ),
  },
);

interface Txn {
  /** `update`: one atomic transaction, the first error aborts it; `batch`: one batch item per op. */
  mode: 'update' | 'batch';
  ops: Op[];
  advanceMs: number;
}

const txnArb: fc.Arbitrary<Txn> = fc.record({
  mode: fc.constantFrom('update' as const, 'update' as const, 'batch' as const),
  ops: fc.array(opArb, { minLength: 1, maxLength: 5 }),
  advanceMs: fc.nat(1000),
});

// ------------------------------------------------------------------ the model

/** Task templates: their service's id, name and labels are copied into the task. */
const TEMPLATES = [
  testService({
    id: 's0',
    name: 'web',
    labels: { tier: 'a' },
    secrets: [{ secretId: 'k0', secretName: 'k', target: 'k', uid: '0', gid: '0', mode: 0 }],
  }),
  testService({ id: 's1', name: 'api', labels: {} }),
  testService({ id: 's2', name: 'Db', global: true, labels: { env: 'b', tier: 'b' } }),
];

const UNIQUE: ReadonlySet<ObjectKind> = new Set(['service', 'secret', 'network', 'cluster', 'config']);

/** The model's idea of an object's name, written independently of the store's. */
function modelName(kind: ObjectKind, o: StoreObject): string {
  if (kind === 'task') {
    const t = o as Task;
    return `${t.serviceAnnotations.name}.${t.slot !== 0 ? t.slot : t.nodeId}.${t.id}`;
  }
  if (kind === 'node') {
    const n = o as Node;
    return n.spec.annotations.name !== '' ? n.spec.annotations.name : (n.description?.hostname ?? '');
  }
  return (o as { spec: { annotations: { name: string } } }).spec.annotations.name;
}

function modelLabels(kind: ObjectKind, o: StoreObject): Record<string, string> {
  return kind === 'task'
    ? (o as Task).serviceAnnotations.labels
    : (o as { spec: { annotations: { labels: Record<string, string> } } }).spec.annotations.labels;
}

type Model = Map<ObjectKind, Map<string, StoreObject>>;

function cloneModel(m: Model): Model {
  return new Map([...m].map(([k, v]) => [k, new Map(v)]));
}

/** Applies one op to the model; returns the error code the store must give, or null. */
function modelOp(m: Model, op: Op, versions: Map<string, number>): string | null {
  const table = (k: ObjectKind): Map<string, StoreObject> => {
    let t = m.get(k);
    if (t === undefined) {
      t = new Map();
      m.set(k, t);
    }
    return t;
  };
  const nameTaken = (kind: ObjectKind, o: StoreObject): boolean => {
    if (!UNIQUE.has(kind)) return false;
    const n = modelName(kind, o).toLowerCase();
    if (n === '') return false;
    for (const other of table(kind).values())
      if (other.id !== o.id && modelName(kind, other).toLowerCase() === n) return true;
    return false;
  };
  const create = (kind: ObjectKind, o: StoreObject): string | null => {
    if (table(kind).has(o.id)) return 'ERR_STORE_ID_CONFLICT';
    if (nameTaken(kind, o)) return 'ERR_STORE_NAME_CONFLICT';
    table(kind).set(o.id, o);
    return null;
  };
  const update = (
    kind: ObjectKind,
    id: string,
    stale: boolean,
    change: (o: StoreObject) => StoreObject,
  ): string | null => {
    const cur = table(kind).get(id);
    if (cur === undefined) return 'ERR_STORE_NOT_FOUND';
    if (stale) return 'ERR_STORE_VERSION_CONFLICT';
    const next = change(cur);
    if (modelName(kind, next).toLowerCase() !== modelName(kind, cur).toLowerCase() && nameTaken(kind, next))
      return 'ERR_STORE_NAME_CONFLICT';
    table(kind).set(id, next);
    return null;
  };
  void versions;
  switch (op.op) {
    case 'createService':
      return create('service', serviceOf(op));
    case 'updateService':
      return update('service', op.id, op.stale, (o) => renamedService(o as Service, op.name, op.labels));
    case 'createTask':
      return create('task', taskOf(op));
    case 'updateTask':
      return update('task', op.id, op.stale, (o) => changedTask(o as Task, op));
    case 'createNode':
      return create('node', testNode({ id: op.id, hostname: op.hostname, name: op.name, labels: op.labels }));
    case 'updateNode':
      return update('node', op.id, op.stale, (o) => renamedNode(o as Node, op.name));
    case 'createSecret':
      return create('secret', testSecret(op.id, op.name, op.id));
    case 'createNetwork':
      return create('network', testNetwork(op.id, op.name));
    case 'renameNetwork':
      return update(
        'network',
        op.id,
        op.stale,
        (o) =>
          ({
            ...o,
            spec: {
              ...(o as ReturnType<typeof testNetwork>).spec,
              annotations: { name: op.name, labels: {} },
            },
          }) as StoreObject,
      );
    case 'delete':
      if (!table(op.kind).delete(op.id)) return 'ERR_STORE_NOT_FOUND';
      return null;
  }
}

function serviceOf(op: Extract<Op, { op: 'createService' }>): Service {
  const secrets =
    op.secret === null
      ? []
      : [{ secretId: op.secret, secretName: op.secret, target: 's', uid: '0', gid: '0', mode: 0 }];
  return testService({ id: op.id, name: op.name, labels: op.labels, secrets });
}

function renamedService(s: Service, name: string, labels: Record<string, string>): Service {
  return { ...s, spec: { ...s.spec, annotations: { name, labels } } };
}

function taskOf(op: Extract<Op, { op: 'createTask' }>): Task {
  const service = TEMPLATES[op.service] as Service;
  return testTask({
    id: op.id,
    service,
    slot: op.slot,
    nodeId: op.node,
    desiredState: op.desired,
    state: op.state,
  });
}

function changedTask(t: Task, op: Extract<Op, { op: 'updateTask' }>): Task {
  return {
    ...t,
    slot: op.slot,
    nodeId: op.node,
    desiredState: op.desired,
    status: { ...t.status, state: op.state },
  };
}

function renamedNode(n: Node, name: string): Node {
  return { ...n, spec: { ...n.spec, annotations: { ...n.spec.annotations, name } } };
}

/** Runs one op in a store transaction: reads the current object (or fakes a stale version) and writes. */
function storeOp(tx: WriteTx, op: Op): void {
  const staleOf = <T extends StoreObject>(o: T | undefined, stale: boolean): T | undefined =>
    o === undefined
      ? undefined
      : stale
        ? ({ ...o, meta: { ...o.meta, version: o.meta.version + 1 } } as T)
        : o;
  switch (op.op) {
    case 'createService':
      tx.services.create(serviceOf(op));
      return;
    case 'updateService': {
      const s = staleOf(tx.services.get(op.id), op.stale);
      tx.services.update(
        s === undefined ? testService({ id: op.id, name: op.name }) : renamedService(s, op.name, op.labels),
      );
      return;
    }
    case 'createTask':
      tx.tasks.create(taskOf(op));
      return;
    case 'updateTask': {
      const t = staleOf(tx.tasks.get(op.id), op.stale);
      tx.tasks.update(
        t === undefined ? testTask({ id: op.id, service: TEMPLATES[0] as Service }) : changedTask(t, op),
      );
      return;
    }
    case 'createNode':
      tx.nodes.create(testNode({ id: op.id, hostname: op.hostname, name: op.name, labels: op.labels }));
      return;
    case 'updateNode': {
      const n = staleOf(tx.nodes.get(op.id), op.stale);
      tx.nodes.update(n === undefined ? testNode({ id: op.id, hostname: 'h' }) : renamedNode(n, op.name));
      return;
    }
    case 'createSecret':
      tx.secrets.create(testSecret(op.id, op.name, op.id));
      return;
    case 'createNetwork':
      tx.networks.create(testNetwork(op.id, op.name));
      return;
    case 'renameNetwork': {
      const w = staleOf(tx.networks.get(op.id), op.stale);
      const base = w ?? testNetwork(op.id, op.name);
      tx.networks.update({ ...base, spec: { ...base.spec, annotations: { name: op.name, labels: {} } } });
      return;
    }
    case 'delete':
      tx.table(op.kind).delete(op.id);
      return;
  }
}

// ------------------------------------------------------------------ checks

const KINDS: ObjectKind[] = ['service', 'task', 'node', 'secret', 'network'];

/** Objects without meta, as comparable JSON, sorted by id. */
function plain(objects: readonly StoreObject[]): string {
  return JSON.stringify(
    [...objects]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((o) => {
        const { meta: _meta, ...rest } = o as StoreObject & Record<string, unknown>;
        const spec = rest.spec as Record<string, unknown>;
        return spec.data instanceof Uint8Array ? { ...rest, spec: { ...spec, data: [...spec.data] } } : rest;
      }),
  );
}

type Query = { kind: ObjectKind; by: By<ObjectKind>; want: (o: StoreObject) => boolean; what: string };

function queries(): Query[] {
  const q: Query[] = [];
  const task = (o: StoreObject): Task => o as Task;
  for (const kind of KINDS) {
    for (const n of [...NAMES, 'h1', 'h2', 'web.1.t1', 'db.n1.t2'])
      q.push({
        kind,
        by: byName(n),
        want: (o) => modelName(kind, o).toLowerCase() === n.toLowerCase(),
        what: `${kind} name ${n}`,
      });
    for (const p of ['', 'w', 'WE', 'web.', 'db.n', 'h'])
      q.push({
        kind,
        by: byNamePrefix(p),
        want: (o) => modelName(kind, o).toLowerCase().startsWith(p.toLowerCase()),
        what: `${kind} name prefix ${p}`,
      });
    for (const p of ['', 's', 't1', 'n', 'k0', 'w1'])
      q.push({ kind, by: byIdPrefix(p), want: (o) => o.id.startsWith(p), what: `${kind} id prefix ${p}` });
    for (const k of LABEL_KEYS) {
      q.push({
        kind,
        by: byLabels({ [k]: null }),
        want: (o) => k in modelLabels(kind, o),
        what: `${kind} label ${k}`,
      });
      for (const v of LABEL_VALUES)
        q.push({
          kind,
          by: byLabels({ [k]: v }),
          want: (o) => modelLabels(kind, o)[k] === v,
          what: `${kind} label ${k}=${v}`,
        });
    }
    q.push({
      kind,
      by: byLabels({ tier: 'a', env: null }),
      want: (o) => modelLabels(kind, o).tier === 'a' && 'env' in modelLabels(kind, o),
      what: `${kind} labels tier=a,env`,
    });
  }
  for (const s of SERVICE_IDS) {
    q.push({
      kind: 'task',
      by: byServiceId(s) as By<ObjectKind>,
      want: (o) => task(o).serviceId === s,
      what: `service ${s}`,
    });
    for (let slot = 0; slot < 4; slot++)
      q.push({
        kind: 'task',
        by: bySlot(s, slot) as By<ObjectKind>,
        want: (o) => task(o).serviceId === s && task(o).slot === slot,
        what: `slot ${s}.${slot}`,
      });
    for (const n of NODE_IDS)
      q.push({
        kind: 'task',
        by: byServiceNode(s, n) as By<ObjectKind>,
        want: (o) => task(o).serviceId === s && task(o).nodeId === n,
        what: `service node ${s} ${n}`,
      });
  }
  for (const n of ['', ...NODE_IDS])
    q.push({
      kind: 'task',
      by: byNodeId(n) as By<ObjectKind>,
      want: (o) => task(o).nodeId === n,
      what: `node ${n}`,
    });
  for (const st of STATES) {
    q.push({
      kind: 'task',
      by: byDesiredState(st) as By<ObjectKind>,
      want: (o) => task(o).desiredState === st,
      what: `desired ${st}`,
    });
    q.push({
      kind: 'task',
      by: byTaskState(st) as By<ObjectKind>,
      want: (o) => task(o).status.state === st,
      what: `state ${st}`,
    });
  }
  for (const k of SECRET_IDS) {
    q.push({
      kind: 'service',
      by: byReferencedSecret(k) as By<ObjectKind>,
      want: (o) => (o as Service).spec.task.container.secrets.some((r) => r.secretId === k),
      what: `service secret ${k}`,
    });
    q.push({
      kind: 'task',
      by: byReferencedSecret(k) as By<ObjectKind>,
      want: (o) => task(o).spec.container.secrets.some((r) => r.secretId === k),
      what: `task secret ${k}`,
    });
  }
  q.push({
    kind: 'task',
    by: allOf(byServiceId('s0'), byDesiredState('RUNNING'), byNodeId('n1')) as By<ObjectKind>,
    want: (o) => task(o).serviceId === 's0' && task(o).desiredState === 'RUNNING' && task(o).nodeId === 'n1',
    what: 'allOf',
  });
  q.push({
    kind: 'task',
    by: anyOf(byNodeId('n0'), byTaskState('PENDING'), byIdPrefix('t7')) as By<ObjectKind>,
    want: (o) => task(o).nodeId === 'n0' || task(o).status.state === 'PENDING' || o.id.startsWith('t7'),
    what: 'anyOf',
  });
  return q;
}

const QUERIES = queries();

/** Every query through the indexes equals a brute-force scan; returns the first difference. */
function checkQueries(store: MemoryStore): string | null {
  return store.view((tx) => {
    for (const q of QUERIES) {
      const all = tx.table(q.kind).find();
      const want = all
        .filter(q.want)
        .map((o) => o.id)
        .sort();
      const got = tx
        .table(q.kind)
        .find(q.by)
        .map((o) => o.id)
        .sort();
      if (JSON.stringify(got) !== JSON.stringify(want))
        return `${q.what}: got ${got.join(',')}, want ${want.join(',')}`;
      if (tx.table(q.kind).count(q.by) !== want.length)
        return `${q.what}: count ${tx.table(q.kind).count(q.by)} != ${want.length}`;
    }
    return null;
  });
}

// ------------------------------------------------------------------ the property

test('random transactions keep the store equal to the model, every index consistent, and every replica identical', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(txnArb, { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 4 }),
      async (txns, perTx) => {
        const clock = new FakeClock(1_000);
        const proposer = new MockProposer();
        const leader = new MemoryStore({ clock, proposer, maxChangesPerTransaction: perTx });
        const follower = new MemoryStore({ clock: new FakeClock(0) });
        proposer.attach(leader, follower);
        let model: Model = new Map();
        for (const txn of txns) {
          clock.advance(txn.advanceMs);
          if (txn.mode === 'update') {
            const scratch = cloneModel(model);
            let want: string | null = null;
            for (const op of txn.ops) {
              want = modelOp(scratch, op, new Map());
              if (want !== null) break;
            }
            const got = await leader
              .update((tx) => {
                for (const op of txn.ops) storeOp(tx, op);
              })
              .then(
                () => null,
                (err: { code?: string }) => err.code ?? String(err),
              );
            if (got !== want) throw new Error(`update ${JSON.stringify(txn.ops)}: got ${got}, want ${want}`);
            if (want === null) model = scratch;
          } else {
            const wants = txn.ops.map((op) => modelOp(model, op, new Map()));
            const gots = await leader.batch((b) =>
              Promise.all(
                txn.ops.map((op) =>
                  b
                    .update((tx) => storeOp(tx, op))
                    .then(
                      () => null,
                      (err: { code?: string }) => err.code ?? String(err),
                    ),
                ),
              ),
            );
            if (JSON.stringify(gots) !== JSON.stringify(wants))
              throw new Error(
                `batch ${JSON.stringify(txn.ops)}: got ${JSON.stringify(gots)}, want ${JSON.stringify(wants)}`,
              );
          }
          const problems = leader.checkConsistency();
          if (problems.length > 0) throw new Error(`indexes: ${problems.join('; ')}`);
          for (const kind of KINDS) {
            const got = plain(leader.view((tx) => tx.table(kind).find()));
            const want = plain([...(model.get(kind)?.values() ?? [])]);
            if (got !== want) throw new Error(`${kind}s: store ${got}, model ${want}`);
          }
          const q = checkQueries(leader);
          if (q !== null) throw new Error(`query ${q}`);
        }
        const bytes = leader.snapshot();
        const follow = follower.snapshot();
        if (Buffer.compare(bytes, follow) !== 0) throw new Error('the follower differs from the leader');
        const replay = new MemoryStore();
        for (const e of proposer.log) replay.apply(e.actions, e.index);
        if (Buffer.compare(replay.snapshot(), bytes) !== 0)
          throw new Error('a replay of the log differs from the leader');
        const restored = new MemoryStore();
        restored.restore(bytes);
        if (Buffer.compare(restored.snapshot(), bytes) !== 0)
          throw new Error('snapshot + restore changed the store');
        if (restored.checkConsistency().length > 0) throw new Error('restored indexes are inconsistent');
        const q = checkQueries(restored);
        if (q !== null) throw new Error(`restored query ${q}`);
        return true;
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('versions only grow, and every object carries the index of its last write (property)', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { maxLength: 20 }),
      async (txns) => {
        const proposer = new MockProposer();
        const store = new MemoryStore({ proposer, clock: new FakeClock() });
        proposer.attach(store);
        const lastWrite = new Map<string, number>();
        const w = store.watch();
        for (const ops of txns) {
          proposer.skip(ops.length % 3);
          await store
            .update((tx) => {
              for (const op of ops) storeOp(tx, op);
            })
            .catch(() => undefined);
          for (const e of w.take()) {
            if (e.action === 'commit' || e.action === 'restore') continue;
            if (e.action === 'delete') lastWrite.delete(`${e.kind}/${e.object.id}`);
            else lastWrite.set(`${e.kind}/${e.object.id}`, e.object.meta.version);
            if (e.action !== 'delete' && e.object.meta.version !== store.version)
              throw new Error('event version is not the entry index');
          }
        }
        for (const kind of KINDS)
          for (const o of store.view((tx) => tx.table(kind).find()))
            if (lastWrite.get(`${kind}/${o.id}`) !== o.meta.version)
              throw new Error(`${kind} ${o.id} has version ${o.meta.version}`);
        return true;
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});
