// `swarmctl service logs` end to end below the CLI: the leader's LogBroker (manager/logbroker) and two
// agents' LogPublishers (agent/logs) over real gRPC on a Unix socket, with container logs written as the
// shim writes them. Checks history, tail, follow, unreachable nodes, refused publishers and bad requests.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { LogPublisher } from '../agent/logs/index.js';
import { nullLogger, SwarmError, systemClock } from '../common/index.js';
import { LogBroker } from '../manager/logbroker/index.js';
import { MemoryStore } from '../manager/store/index.js';
import { SeededIdSource } from '../manager/store/testing/index.js';
import { loadGrpcObject, type logspb } from '../proto/index.js';
import { testService, testTask } from './index.js';

const id = (s: string): string => s.padEnd(25, '0');
const [N1, N2, N3] = [id('n1'), id('n2'), id('n3')];
const WEB = testService({ id: id('web'), name: 'web' });
const API = testService({ id: id('api'), name: 'api' });
const TASKS = [
  testTask({ id: id('t1'), service: WEB, slot: 1, nodeId: N1, state: 'RUNNING' }),
  testTask({ id: id('t2'), service: WEB, slot: 2, nodeId: N2, state: 'RUNNING' }),
  testTask({ id: id('t3'), service: API, slot: 1, nodeId: N1, state: 'RUNNING' }),
  testTask({ id: id('t4'), service: WEB, slot: 3, nodeId: N3, state: 'RUNNING' }),
];

function line(text: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${JSON.stringify({ time: '2026-11-29T10:00:00.000Z', stream, log: `${text}\n` })}\n`;
}

class NotAllowedError extends SwarmError {
  constructor() {
    super('ERR_LOGBROKER_UNAUTHENTICATED', 'no node id');
  }
}

interface World {
  dir: string;
  server: grpc.Server;
  address: string;
  broker: LogBroker;
  publishers: LogPublisher[];
  clients: grpc.Client[];
  logPath(task: string): string;
  leader: { is: boolean };
  close(): Promise<void>;
}

const { LogBroker: BrokerClient, Logs: LogsClient } = loadGrpcObject('logs').swarmd.logs;

/** A LogBroker client that speaks as `nodeId` (the test's stand-in for the node's certificate). */
function brokerClient(address: string, nodeId: string): logspb.LogBrokerClient {
  const asNode: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, nextStart) {
        metadata.set('x-test-node-id', nodeId);
        nextStart(metadata, listener);
      },
    });
  return new BrokerClient(address, grpc.credentials.createInsecure(), { interceptors: [asNode] });
}

async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'swt-logs-'));
  const store = new MemoryStore({});
  await store.update((tx) => {
    tx.services.create(WEB);
    tx.services.create(API);
    for (const t of TASKS) tx.tasks.create(t);
  });
  const leader = { is: true };
  const broker = new LogBroker({
    store,
    ids: new SeededIdSource(1),
    logger: nullLogger,
    isLeader: () => leader.is,
    leaderClient: () => null,
    authenticateNode: (call) => {
      const node = call.metadata.get('x-test-node-id')[0];
      if (typeof node !== 'string') throw new NotAllowedError();
      return node;
    },
    authorizeSubscriber: () => {},
  });
  const server = new grpc.Server();
  broker.register(server);
  const address = `unix:${join(dir, 'm.sock')}`;
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  const logPath = (task: string): string => join(dir, `${task}.log`);
  const clients: grpc.Client[] = [];
  const publishers = [N1, N2].map((node) => {
    const client = brokerClient(address, node);
    clients.push(client as unknown as grpc.Client);
    const p = new LogPublisher({
      client: () => client,
      tasks: () =>
        TASKS.filter((t) => t.nodeId === node).map((t) => ({
          taskId: t.id,
          serviceId: t.serviceId,
          logPath: logPath(t.id),
        })),
      clock: systemClock,
      logger: nullLogger,
      pollMs: 10,
      retryMs: 20,
    });
    void p.run();
    return p;
  });
  return {
    dir,
    server,
    address,
    broker,
    publishers,
    clients,
    logPath,
    leader,
    async close() {
      for (const p of publishers) await p.stop();
      for (const c of clients) c.close();
      broker.closeAll();
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bounded wait for something another party does (a stream connecting, data arriving). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function listening(w: World, count: number): Promise<void> {
  return until(() => w.broker.listeners().length >= count, 'the publishers to connect');
}

interface Received {
  lines: string[];
  unreachable: string[];
  error: grpc.ServiceError | null;
}

/** Subscribes and collects until the stream ends (or `until` holds, then cancels). */
function subscribe(
  w: World,
  request: logspb.SubscribeLogsRequest,
  until?: (r: Received) => boolean,
): Promise<Received> & {
  call: grpc.ClientReadableStream<logspb.SubscribeLogsMessage__Output>;
  received: Received;
} {
  const client = new LogsClient(w.address, grpc.credentials.createInsecure());
  w.clients.push(client);
  const call = client.SubscribeLogs(request);
  const r: Received = { lines: [], unreachable: [], error: null };
  const done = new Promise<Received>((resolve) => {
    call.on('data', (m: logspb.SubscribeLogsMessage__Output) => {
      for (const msg of m.messages)
        r.lines.push(
          `${msg.taskId.slice(0, 2)}@${msg.nodeId.slice(0, 2)}:${msg.stream}:${msg.data.toString().trim()}`,
        );
      r.unreachable.push(...m.unreachableNodes);
      if (until?.(r)) call.cancel();
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) r.error = err;
      resolve(r);
    });
    call.on('end', () => resolve(r));
  });
  return Object.assign(done, { call, received: r });
}

test('history of every selected task from the nodes that run them; tail; unreachable nodes named', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  writeFileSync(w.logPath(id('t1')), line('one') + line('two', 'stderr') + line('three'));
  writeFileSync(`${w.logPath(id('t2'))}.1`, line('old'));
  writeFileSync(w.logPath(id('t2')), line('new'));
  writeFileSync(w.logPath(id('t3')), line('api'));
  await listening(w, 2);

  const all = await subscribe(w, { selector: { serviceIds: [WEB.id] }, options: { tail: -1 } });
  t.is(all.error, null);
  t.deepEqual(all.lines.sort(), [
    't1@n1:stderr:two',
    't1@n1:stdout:one',
    't1@n1:stdout:three',
    't2@n2:stdout:new',
    't2@n2:stdout:old',
  ]);
  t.deepEqual(all.unreachable, [N3], 'the node of t4 has no stream open');

  const last = await subscribe(w, { selector: { taskIds: [id('t1'), id('t3')] }, options: { tail: 1 } });
  t.deepEqual(last.lines.sort(), ['t1@n1:stdout:three', 't3@n1:stdout:api']);
});

test('follow streams new lines as they are written, until the subscriber cancels', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  writeFileSync(w.logPath(id('t1')), line('before'));
  await listening(w, 2);
  const followed = subscribe(
    w,
    { selector: { serviceIds: [WEB.id] }, options: { follow: true, tail: -1 } },
    (r) => r.lines.includes('t1@n1:stdout:after'),
  );
  await until(() => followed.received.lines.length > 0, 'the history');
  appendFileSync(w.logPath(id('t1')), line('after'));
  const r = await followed;
  t.is(r.error, null);
  t.deepEqual(r.lines, ['t1@n1:stdout:before', 't1@n1:stdout:after']);
});

test('bad requests are refused naming the field; a follower without a leader is UNAVAILABLE', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  const empty = await subscribe(w, { selector: {}, options: { tail: -1 } });
  t.is(empty.error?.code, grpc.status.INVALID_ARGUMENT);
  t.is(empty.error?.details, 'Invalid log request: selector: must name at least one service or task');
  const tail = await subscribe(w, { selector: { serviceIds: [WEB.id] }, options: { tail: -5 } });
  t.is(tail.error?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(tail.error?.details ?? '', /options\.tail: must be -1 \(all\) or 0\.\.100000, got -5/);
  const badId = await subscribe(w, { selector: { serviceIds: ['../etc'] } });
  t.regex(badId.error?.details ?? '', /selector\.serviceIds\[0\]: must be an id/);
  w.leader.is = false;
  const follower = await subscribe(w, { selector: { serviceIds: [WEB.id] } });
  t.is(follower.error?.code, grpc.status.UNAVAILABLE);
});

test('a node may publish only for subscriptions it was asked to serve', async (t) => {
  const w = await world();
  t.teardown(() => w.close());
  await listening(w, 2);
  const intruder = brokerClient(w.address, N3);
  w.clients.push(intruder as unknown as grpc.Client);
  // A subscription that asks only n1 and n2, kept open by following.
  const followed = subscribe(w, { selector: { serviceIds: [API.id] }, options: { follow: true } });
  await until(() => w.broker.subscriptions().length === 1, 'the subscription');
  const sub = w.broker.subscriptions()[0];
  t.deepEqual(sub?.nodes, [N1]);
  const subId = sub?.id ?? '';
  const refused = await new Promise<grpc.ServiceError | null>((resolve) => {
    const out = intruder.PublishLogs((err) => resolve(err));
    out.write({
      subscriptionId: subId,
      messages: [{ taskId: id('t3'), serviceId: API.id, stream: 'stdout', data: Buffer.from('forged') }],
    });
    out.end();
  });
  t.is(refused?.code, grpc.status.PERMISSION_DENIED);
  t.regex(refused?.details ?? '', /may not publish logs for subscription/);
  followed.call.cancel();
  const r = await followed;
  t.false(r.lines.some((l) => l.includes('forged')));
});
