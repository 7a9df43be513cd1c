// Certificate renewal without a restart, on a fake clock: a worker's certificate is renewed by the
// cluster's CA at 50–80 % of its life, saved, and presented on every new connection from then on (its
// client credentials are updated in place); a demoted or promoted node gets the new role at renewal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { nullLogger, SeededRand } from '../common/index.js';
import { FakeClock } from '../common/testing/index.js';
import { createClusterIdentity, issueLocalCredentials, registerCAServices } from '../manager/ca/index.js';
import { MemoryStore } from '../manager/store/index.js';
import { SeededIdSource, testCluster, testNode } from '../manager/store/testing/index.js';
import {
  CertificateRenewer,
  CLIENT_CHANNEL_OPTIONS,
  joinCluster,
  loadNodeCredentials,
  type NodeCredentials,
  parseNodeCertificate,
  peerIdentity,
  renewableClientCredentials,
  saveNodeCredentials,
} from '../pki/index.js';
import { callUnary, ECHO_SERVICE, EchoClient, startTestTlsServer } from '../pki/testing/index.js';

const CLUSTER_ID = 'c1'.padEnd(25, '0');
const HOUR = 3600_000;

test('a certificate renews itself at 50–80 % of its life, is saved, and new connections present it', async (t) => {
  // Node's TLS checks validity on the wall clock: the fake clock starts now and moves < 1 h.
  const clock = new FakeClock(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'swt-renew-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const identity = await createClusterIdentity({ clusterId: CLUSTER_ID, now: clock.now() });
  const base = testCluster(CLUSTER_ID);
  const cluster = {
    ...base,
    ...identity,
    spec: { ...base.spec, caConfig: { nodeCertExpiryMs: HOUR } },
  };
  const store = new MemoryStore({ clock });
  const managerId = 'm1'.padEnd(25, '0');
  await store.update((tx) => {
    tx.clusters.create(cluster);
    tx.nodes.create(testNode({ id: managerId, hostname: 'mgr', role: 'manager' }));
  });
  const managerCreds = await issueLocalCredentials({
    cluster,
    nodeId: managerId,
    role: 'manager',
    now: clock.now(),
  });
  // The CA, and an echo that says which certificate the caller presented.
  const seen: string[] = [];
  const server = await startTestTlsServer(managerCreds, (s) => {
    registerCAServices(s, { store, clock, ids: new SeededIdSource(3), logger: nullLogger });
    s.addService(ECHO_SERVICE, {
      Echo: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const peer = peerIdentity(call, {
          rootCAPem: identity.rootCA.certificate,
          clusterId: CLUSTER_ID,
          now: clock.now(),
        });
        seen.push(`${peer?.nodeId}:${peer?.role}:${peer?.notAfter}`);
        cb(null, {});
      },
      ManagerOnly: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    });
  });
  t.teardown(() => server.close());

  const issued = await joinCluster({
    address: server.address,
    token: cluster.joinTokens.worker,
    hostname: 'w1',
  });
  const first: NodeCredentials = {
    keyPem: issued.keyPem,
    certPem: issued.certPem,
    rootCAPem: issued.rootCAPem,
  };
  await saveNodeCredentials(dir, first);
  const tls = renewableClientCredentials({ ...first, clusterId: CLUSTER_ID });
  const echo = (): Promise<unknown> => {
    // A new channel each time: a new TLS handshake presents whatever the credentials hold now.
    const c = new EchoClient(server.address, tls.credentials, {
      ...CLIENT_CHANNEL_OPTIONS,
      'grpc.use_local_subchannel_pool': 1,
    });
    return callUnary(c, 'Echo', {}).finally(() => c.close());
  };
  await echo();

  const renewed: NodeCredentials[] = [];
  const renewer = new CertificateRenewer({
    stateDir: dir,
    current: first,
    managers: () => [server.address],
    onRenewed: (creds) => {
      tls.update(creds);
      renewed.push(creds);
    },
    clock,
    rand: new SeededRand(7),
  });
  renewer.start();
  t.teardown(() => renewer.stop());
  const v = parseNodeCertificate(first.certPem);
  const due = renewer.nextAt ?? 0;
  const at = (due - v.notBefore) / (v.notAfter - v.notBefore);
  t.true(at >= 0.5 && at < 0.8, `renewal at ${at} of the lifetime`);

  clock.advance(due - clock.now() - 1);
  t.is(renewed.length, 0, 'not before it is due');
  clock.advance(1);
  const deadline = Date.now() + 10_000;
  while (renewed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.is(renewed.length, 1);
  const next = parseNodeCertificate(renewed[0]?.certPem ?? '');
  t.is(next.nodeId, issued.nodeId, 'the same node');
  t.is(next.role, 'worker');
  t.true(next.notAfter > v.notAfter, 'a later expiry');
  t.is((await loadNodeCredentials(dir))?.certPem, renewed[0]?.certPem, 'saved');
  await echo();
  t.deepEqual(
    seen,
    [`${issued.nodeId}:worker:${v.notAfter}`, `${issued.nodeId}:worker:${next.notAfter}`],
    'a new connection presents the renewed certificate',
  );

  // The role it has already asks for nothing.
  renewer.wantRole('worker');
  renewer.wantRole('');
  clock.advance(0);
  await new Promise((r) => setTimeout(r, 50));
  t.is(renewed.length, 1);
  // Promoted in the store (the heartbeat says so): renewed at once, with the manager role.
  await store.update((tx) => {
    const n = tx.nodes.get(issued.nodeId);
    if (n !== undefined) tx.nodes.update({ ...n, spec: { ...n.spec, desiredRole: 'manager' } });
  });
  renewer.wantRole('manager');
  renewer.wantRole('manager');
  const deadline2 = Date.now() + 10_000;
  while (renewed.length < 2 && Date.now() < deadline2) {
    clock.advance(0); // the renewal asked for "now" is a fake-clock timer
    await new Promise((r) => setTimeout(r, 10));
  }
  t.is(parseNodeCertificate(renewed[1]?.certPem ?? '').role, 'manager');
  t.is(renewed.length, 2, 'asked once');
});
