// The Watch stream over a real socket: a first STARTED event, then create/update/remove events with the
// version of their entry, filtered by kind and action; secrets without data; a cancelled stream releases
// its store watcher; stopping the service ends the streams with UNAVAILABLE.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import type { controlpb } from '../../proto/index.js';
import { assertStatus, type ControlHarness, startControlHarness } from './testing/index.js';

const harnesses: ControlHarness[] = [];

async function start(): Promise<ControlHarness> {
  const h = await startControlHarness({ seed: 9 });
  harnesses.push(h);
  return h;
}

test.after.always(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

type Event = controlpb.WatchEvent__Output;

/** A watch stream read one event at a time, each wait bounded. */
class Stream {
  readonly call: grpc.ClientReadableStream<Event>;
  readonly #queue: Event[] = [];
  readonly #waiters: ((e: Event | Error) => void)[] = [];
  error: grpc.ServiceError | null = null;
  ended = false;
  readonly closed: Promise<void>;

  constructor(h: ControlHarness, request: controlpb.WatchRequest) {
    this.call = h.client.Watch(request);
    this.call.on('data', (e: Event) => {
      const w = this.#waiters.shift();
      if (w === undefined) this.#queue.push(e);
      else w(e);
    });
    this.closed = new Promise((resolve) => {
      this.call.on('error', (err: grpc.ServiceError) => {
        this.error = err;
        for (const w of this.#waiters.splice(0)) w(err);
        resolve();
      });
      this.call.on('end', () => {
        this.ended = true;
        for (const w of this.#waiters.splice(0)) w(new Error('stream ended'));
        resolve();
      });
    });
  }

  next(): Promise<Event> {
    const e = this.#queue.shift();
    if (e !== undefined) return Promise.resolve(e);
    if (this.error !== null) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.#waiters.push((v) => (v instanceof Error ? reject(v) : resolve(v)));
    });
  }

  /** The next `n` events. */
  async take(n: number): Promise<Event[]> {
    const out: Event[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  get buffered(): number {
    return this.#queue.length;
  }
}

function summary(e: Event): string {
  const o = e.object;
  const which = o?.object;
  const obj =
    which === undefined ? undefined : (o?.[which] as { spec?: { annotations?: { name?: string } } } | null);
  return `${e.action.replace('WATCH_ACTION_', '')} ${e.kind.replace('OBJECT_KIND_', '')} ${obj?.spec?.annotations?.name ?? ''}`;
}

const spec = (name: string, replicas = 1): controlpb.ServiceSpec => ({
  annotations: { name },
  task: { container: { image: 'host' } },
  replicated: { replicas },
});

test('Watch starts with STARTED, then delivers create, update and remove events with their versions', async (t) => {
  const h = await start();
  const s = new Stream(h, {});
  const started = await s.next();
  t.is(started.action, 'WATCH_ACTION_STARTED');
  t.is(started.version?.index, String(h.store.version));
  t.is(started.object, null);

  const { service } = await h.call('CreateService', { spec: spec('web') });
  await h.call('UpdateService', {
    serviceId: 'web',
    serviceVersion: service?.meta?.version ?? null,
    spec: spec('web', 3),
  });
  await h.call('RemoveService', { serviceId: 'web' });
  const events = await s.take(3);
  t.deepEqual(events.map(summary), ['CREATE SERVICE web', 'UPDATE SERVICE web', 'REMOVE SERVICE web']);
  t.is(events[0]?.version?.index, service?.meta?.version?.index);
  t.is(events[0]?.object?.service?.id, service?.id);
  t.is(events[1]?.object?.service?.spec?.replicated?.replicas, '3');
  t.is(events[1]?.oldObject, null, 'no old object unless asked');
  t.true(Number(events[2]?.version?.index) > Number(events[1]?.version?.index));
  s.call.cancel();
  await s.closed;
});

test('Watch filters by kind and action, and sends the old object when asked', async (t) => {
  const h = await start();
  const services = new Stream(h, {
    kinds: ['OBJECT_KIND_SERVICE'],
    actions: ['WATCH_ACTION_UPDATE'],
    includeOldObject: true,
  });
  const removals = new Stream(h, { actions: ['WATCH_ACTION_REMOVE'] });
  await services.next();
  await removals.next();
  await h.call('CreateNetwork', { spec: { annotations: { name: 'backend' } } });
  const { service } = await h.call('CreateService', { spec: spec('web') });
  await h.call('UpdateService', {
    serviceId: 'web',
    serviceVersion: service?.meta?.version ?? null,
    spec: spec('web', 2),
  });
  await h.call('RemoveNetwork', { networkId: 'backend' });
  await h.call('RemoveService', { serviceId: 'web' });
  const [update] = await services.take(1);
  t.is(summary(update as Event), 'UPDATE SERVICE web');
  t.is(update?.oldObject?.service?.spec?.replicated?.replicas, '1');
  t.is(update?.object?.service?.spec?.replicated?.replicas, '2');
  t.deepEqual((await removals.take(2)).map(summary), ['REMOVE NETWORK backend', 'REMOVE SERVICE web']);
  t.is(services.buffered, 0);
  t.is(removals.buffered, 0);
  services.call.cancel();
  removals.call.cancel();
  await Promise.all([services.closed, removals.closed]);
});

test('Watch events of secrets carry no data', async (t) => {
  const h = await start();
  const s = new Stream(h, { kinds: ['OBJECT_KIND_SECRET'] });
  await s.next();
  await h.call('CreateSecret', { spec: { annotations: { name: 'pw' }, data: Buffer.from('hunter2') } });
  await h.call('RemoveSecret', { secretId: 'pw' });
  const events = await s.take(2);
  t.deepEqual(events.map(summary), ['CREATE SECRET pw', 'REMOVE SECRET pw']);
  for (const e of events) t.is(e.object?.secret?.spec?.data.length, 0);
  s.call.cancel();
  await s.closed;
});

test('a cancelled Watch releases its store watcher on the server', async (t) => {
  const h = await start();
  const before = h.store.watcherCount;
  const s = new Stream(h, {});
  await s.next();
  t.is(h.control.openWatches, 1);
  t.is(h.store.watcherCount, before + 1);
  s.call.cancel();
  await s.closed;
  t.is(s.error?.code, grpc.status.CANCELLED);
  await h.control.watchesClosed();
  t.is(h.control.openWatches, 0);
  t.is(h.store.watcherCount, before);
});

test('stopping the Control API ends open streams with UNAVAILABLE and refuses new calls', async (t) => {
  const h = await start();
  const s = new Stream(h, {});
  await s.next();
  await h.control.stop();
  await s.closed;
  t.is(s.error?.code, grpc.status.UNAVAILABLE);
  t.is(s.error?.details, 'Cannot watch: the Control API stopped; retry in a moment');
  await assertStatus(
    t,
    h.call('ListServices', {}),
    grpc.status.UNAVAILABLE,
    'Cannot list services: the Control API is stopped; retry in a moment',
  );
  const late = new Stream(h, {});
  await late.closed;
  t.is(late.error?.code, grpc.status.UNAVAILABLE);
});

test('Watch with an unknown kind is INVALID_ARGUMENT', async (t) => {
  const h = await start();
  const s = new Stream(h, { kinds: [42 as unknown as 'OBJECT_KIND_NODE'] });
  await s.closed;
  t.is(s.error?.code, grpc.status.INVALID_ARGUMENT);
  t.is(s.error?.details, 'Cannot watch: kinds[0]: unknown value 42');
  t.is(h.control.openWatches, 0);
});

test('`ControlWatch` groups events by entry; a reader too slow is cut off with the overflow error', async (t) => {
  const h = await start();
  const w = h.control.watch({ kinds: ['network'], maxQueue: 4 });
  t.deepEqual(await w.next(), { done: false, value: { action: 'started', version: h.store.version } });
  for (const name of ['a', 'b', 'c', 'd', 'e']) await h.control.createNetwork({ annotations: { name } });
  await t.throwsAsync(w.next(), { code: 'ERR_STORE_WATCHER_OVERFLOW' });
  t.deepEqual(await w.next(), { done: true, value: undefined });
  t.is(h.control.openWatches, 0);
});

test('`ControlWatch` fails with a temporary error when the store is restored from a snapshot', async (t) => {
  const h = await start();
  const snapshot = h.store.snapshot();
  const w = h.control.watch();
  await w.next();
  const created = await h.control.createNetwork({ annotations: { name: 'n' } });
  const event = await w.next();
  t.like(event.value, { action: 'create', kind: 'network', version: created.meta.version });
  h.store.restore(snapshot);
  const err = await t.throwsAsync(w.next(), { code: 'ERR_CONTROLAPI_UNAVAILABLE' });
  t.true((err as { temporary?: boolean }).temporary);
  t.is(h.control.openWatches, 0);
});
