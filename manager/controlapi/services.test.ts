// Services through the Control API, over a real socket: create, get, list with filters, update with the
// version read, remove; not found, name conflicts, stale versions, references by id, name and id prefix.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import type { controlpb } from '../../proto/index.js';
import { testService } from '../store/testing/index.js';
import {
  assertStatus,
  type ControlHarness,
  type ControlHarnessOptions,
  startControlHarness,
} from './testing/index.js';

const harnesses: ControlHarness[] = [];

async function start(options: ControlHarnessOptions = {}): Promise<ControlHarness> {
  const h = await startControlHarness(options);
  harnesses.push(h);
  return h;
}

test.after.always(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

function spec(name: string, extra: Partial<controlpb.ServiceSpec> = {}): controlpb.ServiceSpec {
  return { annotations: { name }, task: { container: { image: 'host' } }, ...extra };
}

function versionOf(s: controlpb.Service__Output | null): number {
  return Number(s?.meta?.version?.index);
}

test('CreateService stores the service and GetService returns it by id, name and id prefix', async (t) => {
  const h = await start();
  const { service } = await h.call('CreateService', { spec: spec('web', { replicated: { replicas: 3 } }) });
  const id = service?.id ?? '';
  t.regex(id, /^[0-9a-z]{25}$/);
  t.true(versionOf(service) > 0);
  t.is(service?.meta?.createdAt, String(h.clock.now()));
  t.is(service?.specVersion, '1');
  for (const ref of [id, 'web', 'WEB', id.slice(0, 6)]) {
    const got = await h.call('GetService', { serviceId: ref });
    t.is(got.service?.id, id, ref);
    t.is(got.service?.spec?.replicated?.replicas, '3');
  }
  t.deepEqual((await h.control.getService('web')).spec.mode, { replicated: { replicas: 3 } });
});

test('GetService of an unknown service is NOT_FOUND; of no reference, INVALID_ARGUMENT', async (t) => {
  const h = await start();
  await assertStatus(
    t,
    h.call('GetService', { serviceId: 'nope' }),
    grpc.status.NOT_FOUND,
    'Cannot get service "nope": no service has this id, name or id prefix',
  );
  await assertStatus(
    t,
    h.call('GetService', { serviceId: '' }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot get service: no service id or name was given',
  );
});

test('an id prefix that starts several ids is INVALID_ARGUMENT listing the matches', async (t) => {
  const h = await start();
  const a = 'abc0000000000000000000001';
  const b = 'abc0000000000000000000002';
  await h.store.update((tx) => {
    tx.services.create(testService({ id: a, name: 'one' }));
    tx.services.create(testService({ id: b, name: 'two' }));
  });
  const err = await assertStatus(
    t,
    h.call('GetService', { serviceId: 'abc' }),
    grpc.status.INVALID_ARGUMENT,
    `Cannot resolve service "abc": 2 services match it by id prefix: ${a}, ${b}`,
  );
  t.is(err.metadata.get('x-swarmd-error-code')[0], 'ERR_STORE_AMBIGUOUS_REFERENCE');
  t.is(
    (await h.call('GetService', { serviceId: 'abc0000000000000000000002' })).service?.spec?.annotations?.name,
    'two',
  );
});

test('CreateService with a taken name is ALREADY_EXISTS, whatever the case', async (t) => {
  const h = await start();
  await h.call('CreateService', { spec: spec('web') });
  await assertStatus(
    t,
    h.call('CreateService', { spec: spec('Web') }),
    grpc.status.ALREADY_EXISTS,
    'Cannot create service "Web": name conflicts with an existing service',
  );
  t.is((await h.call('ListServices', {})).services.length, 1);
});

test('ListServices filters by names, name prefixes, id prefixes and labels, sorted by name', async (t) => {
  const h = await start();
  const make = async (name: string, labels: Record<string, string>) =>
    (await h.call('CreateService', { spec: spec(name, { annotations: { name, labels } }) })).service?.id ??
    '';
  const api = await make('api', { tier: 'back', team: 'a' });
  const web = await make('web', { tier: 'front' });
  const worker = await make('web-worker', { tier: 'back' });
  const list = async (filters: controlpb.ListFilters) =>
    (await h.call('ListServices', { filters })).services.map((s) => s.spec?.annotations?.name);
  t.deepEqual(await list({}), ['api', 'web', 'web-worker']);
  t.deepEqual(await list({ names: ['WEB', 'api', 'nope'] }), ['api', 'web']);
  t.deepEqual(await list({ namePrefixes: ['web'] }), ['web', 'web-worker']);
  t.deepEqual(await list({ idPrefixes: [api.slice(0, 8), worker] }), ['api', 'web-worker']);
  t.deepEqual(await list({ labels: { tier: 'back' } }), ['api', 'web-worker']);
  t.deepEqual(await list({ labels: { team: '' } }), ['api']);
  t.deepEqual(await list({ labels: { tier: 'back' }, namePrefixes: ['web'] }), ['web-worker']);
  t.deepEqual(await list({ idPrefixes: [web], labels: { tier: 'back' } }), []);
});

test('UpdateService replaces the spec, bumps specVersion and keeps the previous spec', async (t) => {
  const h = await start();
  const { service } = await h.call('CreateService', { spec: spec('web', { replicated: { replicas: 1 } }) });
  h.clock.advance(1000);
  const { service: updated } = await h.call('UpdateService', {
    serviceId: 'web',
    serviceVersion: service?.meta?.version ?? null,
    spec: spec('web', { replicated: { replicas: 5 }, task: { container: { image: 'host', env: ['A=1'] } } }),
  });
  t.is(updated?.id, service?.id);
  t.is(updated?.specVersion, '2');
  t.is(updated?.spec?.replicated?.replicas, '5');
  t.deepEqual(updated?.spec?.task?.container?.env, ['A=1']);
  t.is(updated?.previousSpec?.replicated?.replicas, '1');
  t.true(versionOf(updated) > versionOf(service));
  t.is(updated?.meta?.createdAt, service?.meta?.createdAt);
  t.is(updated?.meta?.updatedAt, String(h.clock.now()));
  const stored = await h.control.getService('web');
  t.is(stored.specVersion, 2);
  t.deepEqual(stored.previousSpec?.mode, { replicated: { replicas: 1 } });
});

test('UpdateService with a stale version is ABORTED and says to read again', async (t) => {
  const h = await start();
  const { service } = await h.call('CreateService', { spec: spec('web') });
  const read = service?.meta?.version ?? null;
  await h.call('UpdateService', {
    serviceId: 'web',
    serviceVersion: read,
    spec: spec('web', { replicated: { replicas: 2 } }),
  });
  const now = (await h.control.getService('web')).meta.version;
  const err = await assertStatus(
    t,
    h.call('UpdateService', {
      serviceId: 'web',
      serviceVersion: read,
      spec: spec('web', { replicated: { replicas: 3 } }),
    }),
    grpc.status.ABORTED,
    `Cannot update service "${service?.id}": version ${read?.index} is out of date, the service is at version ${now}; read it again, reapply the change and retry`,
  );
  t.is(err.metadata.get('x-swarmd-error-code')[0], 'ERR_STORE_VERSION_CONFLICT');
  t.deepEqual((await h.control.getService('web')).spec.mode, { replicated: { replicas: 2 } });
});

test('two concurrent updates of one service with the same version: one wins, the other is ABORTED', async (t) => {
  const h = await start();
  const { service } = await h.call('CreateService', { spec: spec('web') });
  const version = service?.meta?.version ?? null;
  const results = await Promise.allSettled(
    [2, 3].map((replicas) =>
      h.call('UpdateService', {
        serviceId: service?.id ?? '',
        serviceVersion: version,
        spec: spec('web', { replicated: { replicas } }),
      }),
    ),
  );
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.is(won.length, 1);
  t.is(lost.length, 1);
  const loser = lost[0]?.reason as grpc.ServiceError;
  t.is(loser.code, grpc.status.ABORTED);
  t.regex(loser.details, /is out of date.*read it again/);
  const winner = (won[0] as PromiseFulfilledResult<controlpb.UpdateServiceResponse__Output>).value;
  const stored = await h.control.getService('web');
  t.is(stored.specVersion, 2);
  t.is(
    String((stored.spec.mode as { replicated: { replicas: number } }).replicated.replicas),
    winner.service?.spec?.replicated?.replicas ?? '',
  );
});

test('UpdateService without the version read is INVALID_ARGUMENT', async (t) => {
  const h = await start();
  await h.call('CreateService', { spec: spec('web') });
  await assertStatus(
    t,
    h.call('UpdateService', { serviceId: 'web', spec: spec('web') }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot update service "web": service_version is required (the version read)',
  );
});

test('UpdateService refuses a rename and a change of mode; NOT_FOUND for an unknown service', async (t) => {
  const h = await start();
  const { service } = await h.call('CreateService', { spec: spec('web') });
  const serviceVersion = service?.meta?.version ?? null;
  await assertStatus(
    t,
    h.call('UpdateService', { serviceId: 'web', serviceVersion, spec: spec('www', { global: {} }) }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot update service "web": spec.annotations.name: cannot be changed (the service is named "web"), got "www"; ' +
      'spec.mode: cannot change from replicated to global',
  );
  await assertStatus(
    t,
    h.call('UpdateService', { serviceId: 'nope', serviceVersion, spec: spec('nope') }),
    grpc.status.NOT_FOUND,
    'Cannot update service "nope": no service has this id, name or id prefix',
  );
});

test('RemoveService removes by name; a second remove is NOT_FOUND', async (t) => {
  const h = await start();
  await h.call('CreateService', { spec: spec('web') });
  t.deepEqual(await h.call('RemoveService', { serviceId: 'web' }), {});
  t.deepEqual((await h.call('ListServices', {})).services, []);
  await assertStatus(
    t,
    h.call('RemoveService', { serviceId: 'web' }),
    grpc.status.NOT_FOUND,
    'Cannot remove service "web": no service has this id, name or id prefix',
  );
});

test('every read and write waits for the linearizable read barrier; its errors are UNAVAILABLE', async (t) => {
  let reads = 0;
  let failWith: Error | null = null;
  const h = await start({
    linearizableRead: async () => {
      reads++;
      if (failWith !== null) throw failWith;
    },
  });
  await h.call('CreateService', { spec: spec('web') });
  await h.call('GetService', { serviceId: 'web' });
  await h.call('ListServices', {});
  t.is(reads, 3);
  failWith = Object.assign(new Error('Cannot read: this member is not the leader, no leader is known'), {
    code: 'ERR_REPLICATION_NOT_LEADER',
  });
  const err = await assertStatus(
    t,
    h.call('GetService', { serviceId: 'web' }),
    grpc.status.UNAVAILABLE,
    'Cannot read: this member is not the leader, no leader is known; retry in a moment',
  );
  t.is(err.code, grpc.status.UNAVAILABLE);
  await assertStatus(t, h.call('CreateService', { spec: spec('api') }), grpc.status.UNAVAILABLE);
  t.is(
    h.store.view((tx) => tx.services.count()),
    1,
    'nothing was written',
  );
});
