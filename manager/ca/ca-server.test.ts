import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { ERROR_CODE_METADATA, SeededRand } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import {
  CLIENT_CHANNEL_OPTIONS,
  clientCredentials,
  createKeyAndCSR,
  createRootCA,
  generateJoinToken,
  joinCluster,
  type NodeCredentials,
  parseJoinToken,
  parseNodeCertificate,
  RootCAMismatchError,
  renewNodeCertificate,
  verifyNodeCertificate,
} from '../../pki/index.js';
import { issueTestCredentials, startTestTlsServer } from '../../pki/testing/index.js';
import { type Cluster, type capb, loadGrpcObject } from '../../proto/index.js';
import { MemoryStore } from '../store/index.js';
import { SeededIdSource, testCluster, testNode } from '../store/testing/index.js';
import {
  createClusterIdentity,
  issueLocalCredentials,
  registerCAServices,
  rotateJoinToken,
} from './index.js';

const DAY = 24 * 3600 * 1000;
const CLUSTER_ID = 'cluster0000000000000000001';
const MANAGER_ID = 'manager000000000000000001';

function seededBytes(seed: number): (n: number) => Uint8Array {
  const rand = new SeededRand(seed);
  return (n) => Uint8Array.from({ length: n }, () => rand.int(256));
}

interface Fixture {
  store: MemoryStore;
  clock: FakeClock;
  cluster: () => Cluster;
  address: string;
  manager: NodeCredentials;
  nodeCA(creds?: NodeCredentials): capb.NodeCAClient;
  nodeCount(): number;
}

// Node's TLS checks certificate validity on the wall clock: the fake clock starts at the real time.
async function fixture(t: { teardown(fn: () => unknown): void }): Promise<Fixture> {
  // Whole seconds: certificates carry times to the second.
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  const store = new MemoryStore({ clock });
  const identity = await createClusterIdentity({
    clusterId: CLUSTER_ID,
    now: clock.now() - DAY,
    randomBytes: seededBytes(1),
  });
  const { meta: _meta, ...base } = testCluster(CLUSTER_ID);
  await store.update((tx) => tx.clusters.create({ ...base, ...identity }));
  const cluster = () => store.view((tx) => tx.clusters.get(CLUSTER_ID)) as Cluster;
  const manager = await issueLocalCredentials({
    cluster: cluster(),
    nodeId: MANAGER_ID,
    role: 'manager',
    now: clock.now(),
  });
  const { meta: _m, ...managerNode } = testNode({ id: MANAGER_ID, hostname: 'm1', role: 'manager' });
  await store.update((tx) => tx.nodes.create(managerNode));
  const server = await startTestTlsServer(manager, (s) =>
    registerCAServices(s, { store, clock, ids: new SeededIdSource(5) }),
  );
  const clients: grpc.Client[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    await server.close();
    store.close?.();
  });
  const { swarmd } = loadGrpcObject('ca');
  return {
    store,
    clock,
    cluster,
    address: server.address,
    manager,
    nodeCA(creds) {
      const c = new swarmd.ca.NodeCA(
        server.address,
        clientCredentials(creds ?? { rootCAPem: cluster().rootCA.certificate }),
        CLIENT_CHANNEL_OPTIONS,
      );
      clients.push(c);
      return c;
    },
    nodeCount: () => store.view((tx) => tx.nodes.count()),
  };
}

interface Refusal {
  status: grpc.status;
  code: string;
  message: string;
}

function issueRaw(
  client: capb.NodeCAClient,
  req: capb.IssueNodeCertificateRequest,
): Promise<Refusal | capb.IssueNodeCertificateResponse__Output> {
  return new Promise((resolve) => {
    client.IssueNodeCertificate(req, { deadline: new Date(Date.now() + 5000) }, (err, res) => {
      if (err) {
        const code = err.metadata?.get(ERROR_CODE_METADATA)[0];
        resolve({ status: err.code, code: String(code ?? ''), message: err.details });
      } else resolve(res as capb.IssueNodeCertificateResponse__Output);
    });
  });
}

async function refusal(
  t: { fail(m: string): void },
  p: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  try {
    const res = await p;
    if (res !== null && typeof res === 'object' && 'status' in res) return res as Refusal;
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    return { status: e.status ?? -1, code: e.code ?? '', message: e.message ?? '' };
  }
  t.fail('expected a refusal');
  return { status: -1, code: '', message: '' };
}

test('GetRootCACertificate serves callers without a certificate', async (t) => {
  const f = await fixture(t);
  const { fetchRootCAUnverified } = await import('../../pki/index.js');
  t.is(await fetchRootCAUnverified({ address: f.address }), f.cluster().rootCA.certificate);
});

test('joining with the worker token makes a worker, with the manager token a manager; Node objects created', async (t) => {
  const f = await fixture(t);
  const c = f.cluster();
  const w = await joinCluster({ address: f.address, token: c.joinTokens.worker, hostname: 'host-w' });
  t.is(w.role, 'worker');
  t.is(w.clusterId, CLUSTER_ID);
  t.is(parseNodeCertificate(w.certPem).nodeId, w.nodeId);
  t.notThrows(() =>
    verifyNodeCertificate(w.certPem, {
      rootCAPem: c.rootCA.certificate,
      clusterId: CLUSTER_ID,
      now: f.clock.now(),
    }),
  );
  t.is(w.notAfter - f.clock.now(), c.spec.caConfig.nodeCertExpiryMs);
  const node = f.store.view((tx) => tx.nodes.get(w.nodeId));
  t.like(node, {
    role: 'worker',
    spec: { desiredRole: 'worker', availability: 'active' },
    status: { state: 'unknown', addr: '127.0.0.1' },
    description: { hostname: 'host-w' },
    managerStatus: null,
  });
  const m = await joinCluster({
    address: f.address,
    token: c.joinTokens.manager,
    hostname: 'host-m',
    role: 'manager',
  });
  t.is(m.role, 'manager');
  t.is(f.store.view((tx) => tx.nodes.get(m.nodeId))?.role, 'manager');
  t.is(f.nodeCount(), 3);
});

test("wrong token, the other role's token, a rotated token and another cluster's token are refused; nothing written", async (t) => {
  const f = await fixture(t);
  const c = f.cluster();
  const before = f.store.view((tx) => tx.version);
  const wrong = generateJoinToken(c.rootCA.certificate, seededBytes(99));
  const r1 = await refusal(t, joinCluster({ address: f.address, token: wrong, hostname: 'h' }));
  t.is(r1.status, grpc.status.PERMISSION_DENIED);
  t.is(r1.code, 'ERR_CA_TOKEN_REFUSED');
  t.regex(r1.message, /not a current join token of this cluster/);
  const r2 = await refusal(
    t,
    joinCluster({ address: f.address, token: c.joinTokens.worker, hostname: 'h', role: 'manager' }),
  );
  t.is(r2.status, grpc.status.PERMISSION_DENIED);
  t.regex(r2.message, /the token is a worker token; a manager needs the manager token/);
  // Another cluster's token: the digest differs from this cluster's root CA.
  const other = await createRootCA({ now: f.clock.now() });
  const { csrPem } = await createKeyAndCSR();
  const r3 = await refusal(
    t,
    issueRaw(f.nodeCA(), {
      token: generateJoinToken(other.certificatePem, seededBytes(3)),
      csr: csrPem,
      hostname: 'h',
    }),
  );
  t.is(r3.status, grpc.status.PERMISSION_DENIED);
  t.regex(r3.message, /CA digest is not this cluster's root CA/);
  t.is(
    f.store.view((tx) => tx.version),
    before,
  );
  t.is(f.nodeCount(), 1);
  // Rotation: the old worker token stops working at once, the new one works.
  const old = c.joinTokens.worker;
  await f.store.update((tx) => tx.clusters.update(rotateJoinToken(c, 'worker', seededBytes(42))));
  const rotated = f.cluster();
  t.not(rotated.joinTokens.worker, old);
  t.is(rotated.joinTokens.manager, c.joinTokens.manager);
  t.is(parseJoinToken(rotated.joinTokens.worker).digest, parseJoinToken(old).digest);
  const afterRotation = f.store.view((tx) => tx.version);
  const r4 = await refusal(t, joinCluster({ address: f.address, token: old, hostname: 'h' }));
  t.is(r4.code, 'ERR_CA_TOKEN_REFUSED');
  t.is(
    f.store.view((tx) => tx.version),
    afterRotation,
  );
  t.is(
    (await joinCluster({ address: f.address, token: rotated.joinTokens.worker, hostname: 'h' })).role,
    'worker',
  );
});

test('the joiner refuses a manager whose root CA does not match the token digest', async (t) => {
  const f = await fixture(t);
  const token = f.cluster().joinTokens.worker;
  const digest = parseJoinToken(token).digest;
  const tampered = token.replace(digest, (digest[0] === '0' ? '1' : '0') + digest.slice(1));
  await t.throwsAsync(joinCluster({ address: f.address, token: tampered, hostname: 'h' }), {
    instanceOf: RootCAMismatchError,
  });
  t.is(f.nodeCount(), 1);
});

test('malformed CSR, malformed token, bad hostname and an oversized request get INVALID_ARGUMENT naming the field', async (t) => {
  const f = await fixture(t);
  const token = f.cluster().joinTokens.worker;
  const { csrPem } = await createKeyAndCSR();
  const client = f.nodeCA();
  const cases: [capb.IssueNodeCertificateRequest, RegExp][] = [
    [{ token, csr: 'not a csr', hostname: 'h' }, /csr must be exactly one PEM/],
    [
      {
        token,
        csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----',
        hostname: 'h',
      },
      /csr does not parse/,
    ],
    [{ token: 'SWMTKN-1-abc', csr: csrPem, hostname: 'h' }, /token is malformed/],
    [{ token, csr: csrPem, hostname: 'bad host!' }, /hostname must be/],
    [{ token, csr: csrPem, hostname: 'h', role: 'admin' }, /role must be/],
    [
      { token, csr: csrPem + 'x'.repeat(20_000), hostname: 'h' },
      /csr makes the request \d+ bytes; a request may have at most 16384/,
    ],
  ];
  for (const [req, msg] of cases) {
    const r = await refusal(t, issueRaw(client, req));
    t.is(r.status, grpc.status.INVALID_ARGUMENT, msg.source);
    t.is(r.code, 'ERR_CA_INVALID_REQUEST');
    t.regex(r.message, msg);
  }
  t.is(f.nodeCount(), 1);
});

test('without a token or a certificate the caller is UNAUTHENTICATED', async (t) => {
  const f = await fixture(t);
  const { csrPem } = await createKeyAndCSR();
  const r = await refusal(t, issueRaw(f.nodeCA(), { token: '', csr: csrPem, hostname: 'h' }));
  t.is(r.status, grpc.status.UNAUTHENTICATED);
  t.regex(r.message, /join token is required/);
});

test('renewal keeps the node id and follows a role change (promote, then demote)', async (t) => {
  const f = await fixture(t);
  const w = await joinCluster({ address: f.address, token: f.cluster().joinTokens.worker, hostname: 'h' });
  // Less than the 1 h backdating: node's TLS checks the new certificate on the wall clock.
  f.clock.advance(30 * 60 * 1000);
  const again = await renewNodeCertificate({ address: f.address, credentials: w });
  t.is(again.nodeId, w.nodeId);
  t.is(again.role, 'worker');
  t.not(again.keyPem, w.keyPem);
  t.is(again.notBefore, f.clock.now() - 3600 * 1000);
  const promote = async (role: 'worker' | 'manager') => {
    const node = f.store.view((tx) => tx.nodes.get(w.nodeId));
    if (node === undefined) throw new Error('node missing');
    await f.store.update((tx) => tx.nodes.update({ ...node, spec: { ...node.spec, desiredRole: role } }));
  };
  await promote('manager');
  const promoted = await renewNodeCertificate({ address: f.address, credentials: again });
  t.like(promoted, { nodeId: w.nodeId, role: 'manager' });
  await promote('worker');
  const demoted = await renewNodeCertificate({ address: f.address, credentials: promoted });
  t.like(demoted, { nodeId: w.nodeId, role: 'worker' });
  t.is(f.nodeCount(), 2);
});

test('a removed node cannot renew with its old certificate', async (t) => {
  const f = await fixture(t);
  const w = await joinCluster({ address: f.address, token: f.cluster().joinTokens.worker, hostname: 'h' });
  await f.store.update((tx) => tx.nodes.delete(w.nodeId));
  const r = await refusal(t, renewNodeCertificate({ address: f.address, credentials: w }));
  t.is(r.status, grpc.status.PERMISSION_DENIED);
  t.is(r.code, 'ERR_CA_NODE_REMOVED');
  t.is(f.nodeCount(), 1);
});

test('a certificate from another CA does not renew anything', async (t) => {
  const f = await fixture(t);
  const other = await createRootCA({ now: f.clock.now() - DAY });
  const foreign = await issueTestCredentials({
    root: other,
    clusterId: CLUSTER_ID,
    nodeId: MANAGER_ID,
    role: 'manager',
    now: f.clock.now(),
  });
  const { csrPem } = await createKeyAndCSR();
  const r = await refusal(
    t,
    issueRaw(f.nodeCA({ ...foreign, rootCAPem: f.cluster().rootCA.certificate }), {
      token: '',
      csr: csrPem,
      hostname: '',
    }),
  );
  t.is(r.status, grpc.status.UNAUTHENTICATED);
});
