import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import type { Task } from '../../proto/index.js';
import {
  allOf,
  anyOf,
  byAll,
  byDesiredState,
  byIdPrefix,
  byLabels,
  byName,
  byNamePrefix,
  byNodeId,
  byReferencedConfig,
  byReferencedSecret,
  byServiceId,
  byServiceNode,
  bySlot,
  byTaskState,
} from './by.js';
import { AmbiguousReferenceError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { testConfig, testNode, testSecret, testService, testTask } from './testing/index.js';

const ids = (objects: readonly { id: string }[]): string[] => objects.map((o) => o.id).sort();

/** Two services, five tasks over two nodes, three nodes, a secret and a config. */
async function fixture(): Promise<MemoryStore> {
  const store = new MemoryStore({ clock: new FakeClock() });
  const web = testService({
    id: 'svc-web',
    name: 'Web',
    labels: { tier: 'front', env: 'prod' },
    secrets: [{ secretId: 'sec-1', secretName: 'db', target: 'db', uid: '0', gid: '0', mode: 0o444 }],
  });
  const cfgRef = {
    configId: 'cfg-1',
    configName: 'conf',
    target: '/etc/conf',
    uid: '0',
    gid: '0',
    mode: 0o444,
  };
  const api = testService({ id: 'svc-api', name: 'api', labels: { tier: 'back', env: 'prod' } });
  const apiWithConfig = {
    ...api,
    spec: {
      ...api.spec,
      task: { ...api.spec.task, container: { ...api.spec.task.container, configs: [cfgRef] } },
    },
  };
  const mon = testService({ id: 'svc-mon', name: 'monitor', global: true, labels: { tier: 'ops' } });
  await store.update((tx) => {
    tx.services.create(web);
    tx.services.create(apiWithConfig);
    tx.services.create(mon);
    tx.nodes.create(testNode({ id: 'node-a', hostname: 'host-a', labels: { zone: 'a' } }));
    tx.nodes.create(testNode({ id: 'node-b', hostname: 'host-b', labels: { zone: 'b' } }));
    tx.nodes.create(testNode({ id: 'node-c', hostname: 'host-a', name: 'renamed', labels: { zone: 'a' } }));
    tx.secrets.create(testSecret('sec-1', 'db'));
    tx.configs.create(testConfig('cfg-1', 'conf'));
    tx.tasks.create(testTask({ id: 'task-w1', service: web, slot: 1, nodeId: 'node-a', state: 'RUNNING' }));
    tx.tasks.create(testTask({ id: 'task-w2', service: web, slot: 2, nodeId: 'node-b', state: 'RUNNING' }));
    tx.tasks.create(
      testTask({
        id: 'task-w1old',
        service: web,
        slot: 1,
        nodeId: 'node-a',
        desiredState: 'SHUTDOWN',
        state: 'FAILED',
      }),
    );
    tx.tasks.create(testTask({ id: 'task-a1', service: apiWithConfig, slot: 1, state: 'PENDING' }));
    tx.tasks.create(testTask({ id: 'task-m-a', service: mon, nodeId: 'node-a', state: 'RUNNING' }));
  });
  return store;
}

test('get finds by id; missing ids give undefined', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.is(tx.services.get('svc-web')?.spec.annotations.name, 'Web');
    t.is(tx.services.get('nope'), undefined);
    t.is(tx.tasks.get('svc-web'), undefined, 'tables are per kind');
  });
});

test('find() without a selector and byAll() list the whole table', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.services.find()), ['svc-api', 'svc-mon', 'svc-web']);
    t.deepEqual(ids(tx.tasks.find(byAll())), ['task-a1', 'task-m-a', 'task-w1', 'task-w1old', 'task-w2']);
    t.is(tx.tasks.count(), 5);
    t.is(tx.networks.count(), 0);
  });
});

test('byName matches case-insensitively; nodes are named by hostname unless named', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.services.find(byName('web'))), ['svc-web']);
    t.deepEqual(ids(tx.services.find(byName('WEB'))), ['svc-web']);
    t.deepEqual(ids(tx.services.find(byName('we'))), []);
    t.deepEqual(ids(tx.services.find(byName(''))), []);
    t.deepEqual(ids(tx.nodes.find(byName('host-a'))), ['node-a']);
    t.deepEqual(ids(tx.nodes.find(byName('renamed'))), ['node-c']);
    t.deepEqual(ids(tx.tasks.find(byName('web.1.task-w1'))), ['task-w1']);
    t.deepEqual(ids(tx.tasks.find(byName('monitor.node-a.task-m-a'))), ['task-m-a']);
  });
});

test('byNamePrefix and byIdPrefix', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.services.find(byNamePrefix('W'))), ['svc-web']);
    t.deepEqual(ids(tx.services.find(byNamePrefix(''))), ['svc-api', 'svc-mon', 'svc-web']);
    t.deepEqual(ids(tx.tasks.find(byNamePrefix('web.1.'))), ['task-w1', 'task-w1old']);
    t.deepEqual(ids(tx.nodes.find(byNamePrefix('host'))), ['node-a', 'node-b']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('task-w'))), ['task-w1', 'task-w1old', 'task-w2']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('task-w1'))), ['task-w1', 'task-w1old']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('task-w1o'))), ['task-w1old']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('x'))), []);
    t.is(tx.tasks.count(byIdPrefix('task-')), 5);
  });
});

test('byLabels matches values, and null as "set to anything"', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.services.find(byLabels({ env: 'prod' }))), ['svc-api', 'svc-web']);
    t.deepEqual(ids(tx.services.find(byLabels({ env: 'prod', tier: 'front' }))), ['svc-web']);
    t.deepEqual(ids(tx.services.find(byLabels({ env: null }))), ['svc-api', 'svc-web']);
    t.deepEqual(ids(tx.services.find(byLabels({ tier: null }))), ['svc-api', 'svc-mon', 'svc-web']);
    t.deepEqual(ids(tx.services.find(byLabels({ env: 'dev' }))), []);
    t.deepEqual(ids(tx.services.find(byLabels({}))), ['svc-api', 'svc-mon', 'svc-web']);
    t.deepEqual(ids(tx.nodes.find(byLabels({ zone: 'a' }))), ['node-a', 'node-c']);
    // Tasks carry their service's labels.
    t.deepEqual(ids(tx.tasks.find(byLabels({ tier: 'front' }))), ['task-w1', 'task-w1old', 'task-w2']);
  });
});

test('task indexes: service, node, desired state, observed state, slot, service+node', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.tasks.find(byServiceId('svc-web'))), ['task-w1', 'task-w1old', 'task-w2']);
    t.deepEqual(ids(tx.tasks.find(byServiceId('svc-none'))), []);
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-a'))), ['task-m-a', 'task-w1', 'task-w1old']);
    t.deepEqual(ids(tx.tasks.find(byNodeId(''))), ['task-a1'], 'unassigned tasks');
    t.deepEqual(ids(tx.tasks.find(byDesiredState('SHUTDOWN'))), ['task-w1old']);
    t.deepEqual(ids(tx.tasks.find(byDesiredState('RUNNING'))), ['task-a1', 'task-m-a', 'task-w1', 'task-w2']);
    t.deepEqual(ids(tx.tasks.find(byTaskState('PENDING'))), ['task-a1']);
    t.deepEqual(ids(tx.tasks.find(bySlot('svc-web', 1))), ['task-w1', 'task-w1old']);
    t.deepEqual(ids(tx.tasks.find(bySlot('svc-web', 3))), []);
    t.deepEqual(ids(tx.tasks.find(byServiceNode('svc-mon', 'node-a'))), ['task-m-a']);
    t.deepEqual(ids(tx.tasks.find(byServiceNode('svc-mon', 'node-b'))), []);
    t.is(tx.tasks.count(byServiceId('svc-web')), 3);
  });
});

test('secret and config references index services and tasks', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(ids(tx.services.find(byReferencedSecret('sec-1'))), ['svc-web']);
    t.deepEqual(ids(tx.tasks.find(byReferencedSecret('sec-1'))), ['task-w1', 'task-w1old', 'task-w2']);
    t.deepEqual(ids(tx.services.find(byReferencedConfig('cfg-1'))), ['svc-api']);
    t.deepEqual(ids(tx.tasks.find(byReferencedConfig('cfg-1'))), ['task-a1']);
    t.deepEqual(ids(tx.services.find(byReferencedSecret('sec-2'))), []);
  });
});

test('anyOf unites without repeats; allOf intersects', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.deepEqual(
      ids(tx.tasks.find(anyOf(byNodeId('node-b'), byServiceId('svc-web'), byName('api.1.task-a1')))),
      ['task-a1', 'task-w1', 'task-w1old', 'task-w2'],
    );
    t.deepEqual(
      ids(tx.tasks.find(allOf(byServiceId('svc-web'), byDesiredState('RUNNING'), byNodeId('node-a')))),
      ['task-w1'],
    );
    t.deepEqual(ids(tx.tasks.find(allOf(byServiceId('svc-web'), byIdPrefix('task-w1')))), [
      'task-w1',
      'task-w1old',
    ]);
    t.deepEqual(ids(tx.tasks.find(anyOf())), []);
    t.is(tx.tasks.count(allOf()), 5);
    t.is(tx.tasks.count(allOf(byServiceId('svc-web'), byNodeId('node-b'))), 1);
  });
});

test('resolve takes an id, then a name, then a unique id prefix', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    t.is(tx.services.resolve('svc-web')?.id, 'svc-web');
    t.is(tx.services.resolve('web')?.id, 'svc-web');
    t.is(tx.services.resolve('svc-m')?.id, 'svc-mon');
    t.is(tx.services.resolve('zzz'), undefined);
    t.is(tx.services.resolve(''), undefined);
    const prefix = t.throws(() => tx.services.resolve('svc-'), { instanceOf: AmbiguousReferenceError });
    t.is(prefix?.code, 'ERR_STORE_AMBIGUOUS_REFERENCE');
    t.is(prefix?.message, 'Cannot resolve service "svc-": 3 services match it by id prefix');
    t.deepEqual(prefix?.matches, ['svc-api', 'svc-mon', 'svc-web']);
    t.is(tx.nodes.resolve('host-b')?.id, 'node-b');
    // Two nodes are named host-a? No: node-c has its own name. Make the hostnames collide through names.
    t.is(tx.nodes.resolve('host-a')?.id, 'node-a');
  });
  await store.update((tx) => tx.nodes.create(testNode({ id: 'node-d', hostname: 'host-b' })));
  store.view((tx) => {
    const err = t.throws(() => tx.nodes.resolve('host-b'), { instanceOf: AmbiguousReferenceError });
    t.is(err?.message, 'Cannot resolve node "host-b": 2 nodes match it by name');
  });
});

test('indexes follow updates and deletes', async (t) => {
  const store = await fixture();
  await store.update((tx) => {
    const w1 = tx.tasks.get('task-w1') as Task;
    tx.tasks.update({
      ...w1,
      nodeId: 'node-b',
      desiredState: 'SHUTDOWN',
      status: { ...w1.status, state: 'COMPLETE' },
    });
    tx.tasks.delete('task-w1old');
    const web = tx.services.get('svc-web');
    if (web === undefined) throw new Error('no web');
    tx.services.update({
      ...web,
      spec: { ...web.spec, annotations: { name: 'frontend', labels: { tier: 'edge' } } },
    });
  });
  store.view((tx) => {
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-a'))), ['task-m-a']);
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-b'))), ['task-w1', 'task-w2']);
    t.deepEqual(ids(tx.tasks.find(byServiceNode('svc-web', 'node-b'))), ['task-w1', 'task-w2']);
    t.deepEqual(ids(tx.tasks.find(byDesiredState('SHUTDOWN'))), ['task-w1']);
    t.deepEqual(ids(tx.tasks.find(byTaskState('COMPLETE'))), ['task-w1']);
    t.deepEqual(ids(tx.tasks.find(bySlot('svc-web', 1))), ['task-w1']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('task-w1'))), ['task-w1']);
    t.deepEqual(ids(tx.services.find(byName('web'))), []);
    t.deepEqual(ids(tx.services.find(byName('Frontend'))), ['svc-web']);
    t.deepEqual(ids(tx.services.find(byLabels({ tier: 'front' }))), []);
    t.deepEqual(ids(tx.services.find(byLabels({ env: null }))), ['svc-api']);
    t.deepEqual(ids(tx.services.find(byLabels({ tier: 'edge' }))), ['svc-web']);
  });
  t.deepEqual(store.checkConsistency(), []);
});

test('a write transaction reads its own writes through every selector', async (t) => {
  const store = await fixture();
  await store.update((tx) => {
    const web = tx.services.get('svc-web');
    if (web === undefined) throw new Error('no web');
    tx.tasks.create(testTask({ id: 'task-w3', service: web, slot: 3, nodeId: 'node-b' }));
    tx.tasks.delete('task-w2');
    const w1 = tx.tasks.get('task-w1') as Task;
    tx.tasks.update({ ...w1, nodeId: 'node-c' });
    t.deepEqual(ids(tx.tasks.find(byServiceId('svc-web'))), ['task-w1', 'task-w1old', 'task-w3']);
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-b'))), ['task-w3']);
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-a'))), ['task-m-a', 'task-w1old']);
    t.deepEqual(ids(tx.tasks.find(byNodeId('node-c'))), ['task-w1']);
    t.deepEqual(ids(tx.tasks.find(byIdPrefix('task-w'))), ['task-w1', 'task-w1old', 'task-w3']);
    t.deepEqual(ids(tx.tasks.find()), ['task-a1', 'task-m-a', 'task-w1', 'task-w1old', 'task-w3']);
    t.is(tx.tasks.count(byServiceId('svc-web')), 3);
    t.is(tx.tasks.get('task-w2'), undefined);
    t.is(tx.tasks.resolve('task-w3')?.id, 'task-w3');
    // Other views do not see the open transaction.
    t.deepEqual(ids(store.view((v) => v.tasks.find(byServiceId('svc-web')))), [
      'task-w1',
      'task-w1old',
      'task-w2',
    ]);
  });
  t.deepEqual(ids(store.view((tx) => tx.tasks.find(byServiceId('svc-web')))), [
    'task-w1',
    'task-w1old',
    'task-w3',
  ]);
});

test('a selector of another kind is refused at run time too', async (t) => {
  const store = await fixture();
  store.view((tx) => {
    // @ts-expect-error byServiceId selects tasks: the types forbid it, and so does the table.
    const err = t.throws(() => tx.services.find(byServiceId('x')), { instanceOf: TypeError });
    // A selector of every kind, or of services and tasks, is accepted.
    t.is(tx.tasks.find(anyOf(byServiceId('svc-web'), byName('x'), byReferencedSecret('s'))).length, 3);
    t.is(err?.message, 'Cannot query services by serviceId: services have no such index');
  });
});
