import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { FakeClock } from '../common/testing/index.js';
import {
  authorize,
  CLIENT_CHANNEL_OPTIONS,
  clientCredentials,
  createRootCA,
  type NodeCredentials,
  PermissionDeniedError,
  type RootCA,
  UnauthenticatedError,
} from './index.js';
import {
  callUnary,
  ECHO_SERVICE,
  EchoClient,
  issueTestCredentials,
  startTestTlsServer,
  type TestTlsServer,
} from './testing/index.js';

const DAY = 24 * 3600 * 1000;
const CLUSTER = 'cluster1';

interface Fixture {
  root: RootCA;
  clock: FakeClock;
  removed: Set<string>;
  server: TestTlsServer;
  manager: NodeCredentials;
  worker: NodeCredentials;
  client(creds: Partial<NodeCredentials> & { rootCAPem: string }): grpc.Client;
}

// Node's TLS checks validity on the wall clock, so certificates are made around the real time; the
// FakeClock drives the checks authorize() makes itself.
async function fixture(t: { teardown(fn: () => unknown): void }): Promise<Fixture> {
  const now = Date.now();
  const clock = new FakeClock(now);
  const root = await createRootCA({ now: now - DAY });
  const issue = (nodeId: string, role: 'worker' | 'manager') =>
    issueTestCredentials({ root, clusterId: CLUSTER, nodeId, role, now, validityMs: 10 * DAY });
  const manager = await issue('mgr1', 'manager');
  const worker = await issue('wrk1', 'worker');
  const removed = new Set<string>();
  const handler =
    (roles: ('worker' | 'manager')[]) =>
    (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      try {
        const id = authorize(call, roles, {
          rootCAPem: root.certificatePem,
          clusterId: CLUSTER,
          now: clock.now(),
          nodeExists: (nodeId) => !removed.has(nodeId),
        });
        callback(null, { nodeId: id.nodeId, role: id.role });
      } catch (err) {
        if (err instanceof UnauthenticatedError || err instanceof PermissionDeniedError)
          callback({ code: err.status, details: err.message });
        else callback({ code: grpc.status.INTERNAL, details: String(err) });
      }
    };
  const server = await startTestTlsServer(manager, (s) =>
    s.addService(ECHO_SERVICE, { Echo: handler(['worker', 'manager']), ManagerOnly: handler(['manager']) }),
  );
  const clients: grpc.Client[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    await server.close();
  });
  return {
    root,
    clock,
    removed,
    server,
    manager,
    worker,
    client(creds) {
      const c = new EchoClient(
        server.address,
        clientCredentials({
          rootCAPem: creds.rootCAPem,
          ...(creds.keyPem === undefined ? {} : { keyPem: creds.keyPem, certPem: creds.certPem ?? '' }),
          clusterId: CLUSTER,
        }),
        CLIENT_CHANNEL_OPTIONS,
      );
      clients.push(c);
      return c;
    },
  };
}

async function statusOf(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  return { code: grpc.status.OK, details: '' };
}

test('roles: a worker may call Echo but not a manager-only method; a manager may call both', async (t) => {
  const f = await fixture(t);
  const worker = f.client(f.worker);
  t.deepEqual(await callUnary(worker, 'Echo', {}), { nodeId: 'wrk1', role: 'worker' });
  const denied = await statusOf(callUnary(worker, 'ManagerOnly', {}));
  t.is(denied.code, grpc.status.PERMISSION_DENIED);
  t.regex(denied.details, /node wrk1 is a worker; only manager nodes may call it/);
  const manager = f.client(f.manager);
  t.deepEqual(await callUnary(manager, 'ManagerOnly', {}), { nodeId: 'mgr1', role: 'manager' });
});

test('a caller without a certificate connects, and protected methods refuse it', async (t) => {
  const f = await fixture(t);
  const anon = f.client({ rootCAPem: f.root.certificatePem });
  const s = await statusOf(callUnary(anon, 'Echo', {}));
  t.is(s.code, grpc.status.UNAUTHENTICATED);
  t.regex(s.details, /client certificate signed by this cluster's root CA is required/);
});

test('a certificate from another CA is refused', async (t) => {
  const f = await fixture(t);
  const other = await createRootCA({ now: Date.now() - DAY });
  const foreign = await issueTestCredentials({
    root: other,
    clusterId: CLUSTER,
    nodeId: 'evil',
    role: 'manager',
    now: Date.now(),
  });
  // It trusts our root for the server, but presents a certificate another CA signed.
  const c = f.client({ ...foreign, rootCAPem: f.root.certificatePem });
  t.is((await statusOf(callUnary(c, 'ManagerOnly', {}))).code, grpc.status.UNAUTHENTICATED);
});

test('an expired certificate is refused: on the injected clock, and by TLS on the real one', async (t) => {
  const f = await fixture(t);
  const worker = f.client(f.worker);
  t.is((await statusOf(callUnary(worker, 'Echo', {}))).code, grpc.status.OK);
  f.clock.advance(11 * DAY);
  const s = await statusOf(callUnary(worker, 'Echo', {}));
  t.is(s.code, grpc.status.UNAUTHENTICATED);
  t.regex(s.details, /expired at/);
  const old = await issueTestCredentials({
    root: f.root,
    clusterId: CLUSTER,
    nodeId: 'old1',
    role: 'worker',
    now: Date.now() - 3 * DAY,
    validityMs: DAY,
  });
  t.is((await statusOf(callUnary(f.client(old), 'Echo', {}))).code, grpc.status.UNAUTHENTICATED);
});

test('a removed node is refused even with an unexpired certificate', async (t) => {
  const f = await fixture(t);
  f.removed.add('wrk1');
  const s = await statusOf(callUnary(f.client(f.worker), 'Echo', {}));
  t.is(s.code, grpc.status.PERMISSION_DENIED);
  t.regex(s.details, /node wrk1 was removed from the cluster/);
});

test('a plain-text client fails cleanly and the server keeps serving others', async (t) => {
  const f = await fixture(t);
  const plain = new EchoClient(f.server.address, grpc.credentials.createInsecure());
  t.teardown(() => plain.close());
  const s = await statusOf(callUnary(plain, 'Echo', {}, 2000));
  t.true(s.code === grpc.status.UNAVAILABLE || s.code === grpc.status.DEADLINE_EXCEEDED, `got ${s.code}`);
  t.deepEqual(await callUnary(f.client(f.worker), 'Echo', {}), { nodeId: 'wrk1', role: 'worker' });
});

test('TLS 1.2 is refused; TLS 1.3 is what the server speaks', async (t) => {
  const f = await fixture(t);
  const attempt = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
    new Promise<string>((resolve) => {
      const s = connect({
        host: '127.0.0.1',
        port: f.server.port,
        rejectUnauthorized: false,
        maxVersion,
        ALPNProtocols: ['h2'],
      });
      s.once('secureConnect', () => {
        resolve(s.getProtocol() ?? '');
        s.destroy();
      });
      s.once('error', () => resolve('error'));
    });
  t.is(await attempt('TLSv1.2'), 'error');
  t.is(await attempt('TLSv1.3'), 'TLSv1.3');
});

test('clients accept only a manager of the cluster as the server: a worker certificate cannot pose as one', async (t) => {
  const f = await fixture(t);
  const impostor = await startTestTlsServer(f.worker, (s) =>
    s.addService(ECHO_SERVICE, {
      Echo: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
      ManagerOnly: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    }),
  );
  t.teardown(() => impostor.close());
  const c = new EchoClient(
    impostor.address,
    clientCredentials({ rootCAPem: f.root.certificatePem, clusterId: CLUSTER }),
    CLIENT_CHANNEL_OPTIONS,
  );
  t.teardown(() => c.close());
  t.is((await statusOf(callUnary(c, 'Echo', {}, 2000))).code, grpc.status.UNAVAILABLE);
});
