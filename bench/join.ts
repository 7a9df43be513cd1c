/**
 * `npm run bench -- join [--agents N] [--rounds N] [--calls N]`: the cost of the cluster's identity, in one
 * process over real gRPC on loopback.
 *
 * One manager: a MemoryStore (no proposer) holding a Cluster with a real root CA and join tokens, and one
 * gRPC server serving the CA services and the Control API with TLS on 127.0.0.1, plus the same server on a
 * Unix socket without TLS (as swarmd serves its local socket).
 *
 * (1) Joins: `--agents` (50) agents call `joinCluster` with the worker token at once (each fetches the root
 * CA, checks it against the token, makes a key and a CSR, and asks for its certificate over TLS); every
 * certificate is checked (signed by the root, this cluster, role worker, distinct node ids, one Node
 * object each in the store). `--rounds` (3) rounds, each against a new manager (new store, new CA); the
 * figures are those of the MEDIAN round by joins/s, and every round's figures are printed. The agents run
 * in this process, so their key generation and handshakes share the CPU with the manager's signing.
 *
 * (2) Control API latency: the same read (GetCluster), one client, sequential, `--calls` (3 000) per
 * transport after a warm-up, over the Unix socket, over TCP with mutual TLS (a manager's client
 * certificate) and over plain TCP (a third server, for reference); the transports take turns in blocks so
 * that a change of machine load hits all three alike. Also the first call on a new channel (connect and,
 * for TLS, the handshake), median of a few.
 *
 * No peer: swarmkit's join path is not runnable here. The last line is one JSON object: {"bench":"join",
 * "agents":50,"joins_per_s":…,"join_p50_ms":…,"join_p99_ms":…,"control_socket_p50_ms":…,
 * "control_tls_p50_ms":…,"control_tcp_p50_ms":…,"tls_extra_p50_ms":…,"tls_extra_p99_ms":…,…}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { type Clock, randomIdSource, systemClock } from '../common/index.js';
import { createClusterIdentity, issueLocalCredentials, registerCAServices } from '../manager/ca/index.js';
import { ControlService, registerControlService } from '../manager/controlapi/index.js';
import { MemoryStore } from '../manager/store/index.js';
import { testCluster, testNode } from '../manager/store/testing/index.js';
import {
  CLIENT_CHANNEL_OPTIONS,
  clientCredentials,
  type IssuedCredentials,
  joinCluster,
  type NodeCredentials,
  parseNodeCertificate,
  serverCredentials,
  verifyNodeCertificate,
} from '../pki/index.js';
import { type Cluster, type controlpb, loadGrpcObject } from '../proto/index.js';
import { positiveIntArg } from './cli-args.js';

const HOUR = 3600 * 1000;
const WARMUP_CALLS = 300;
const BLOCKS = 10;
const FIRST_CALL_SAMPLES = 15;

/** Nearest-rank percentile (with 50 samples, p99 is the slowest). */
function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function round2(x: number): number {
  return Number(x.toFixed(2));
}

function round3(x: number): number {
  return Number(x.toFixed(3));
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    // A client that never closed its channel must not hang the benchmark.
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** One manager: the store, the CA and Control services, TLS on loopback and the Unix socket. */
interface BenchManager {
  store: MemoryStore;
  control: ControlService;
  cluster: Cluster;
  /** The manager's own credentials (its Node exists in the store). */
  credentials: NodeCredentials;
  tlsAddress: string;
  socketAddress: string;
  close(): Promise<void>;
}

async function startManager(dir: string, clock: Clock): Promise<BenchManager> {
  const store = new MemoryStore({ clock });
  const server = new grpc.Server();
  let control: ControlService | null = null;
  const close = async (): Promise<void> => {
    await control?.stop();
    await shutdown(server);
    store.close();
  };
  try {
    const clusterId = randomIdSource.newId();
    // Node's TLS checks validity on the wall clock: backdate the root a little.
    const identity = await createClusterIdentity({ clusterId, now: clock.now() - HOUR });
    const { meta: _meta, ...base } = testCluster(clusterId, 'bench-join');
    await store.update((tx) => tx.clusters.create({ ...base, ...identity }));
    const cluster = store.view((tx) => tx.clusters.get(clusterId));
    if (cluster === undefined) throw new Error('join bench: the cluster was not created');
    const managerId = randomIdSource.newId();
    const credentials = await issueLocalCredentials({
      cluster,
      nodeId: managerId,
      role: 'manager',
      now: clock.now(),
    });
    const { meta: _m, ...managerNode } = testNode({ id: managerId, hostname: 'manager-1', role: 'manager' });
    await store.update((tx) => tx.nodes.create(managerNode));

    registerCAServices(server, { store, clock, ids: randomIdSource });
    control = new ControlService({ store, clock, ids: randomIdSource });
    registerControlService(server, control);
    const port = await bind(
      server,
      '127.0.0.1:0',
      serverCredentials({
        rootCAPem: credentials.rootCAPem,
        certPem: credentials.certPem,
        keyPem: credentials.keyPem,
      }),
    );
    const socketAddress = `unix:${join(dir, 'swarmd.sock')}`;
    await bind(server, socketAddress, grpc.ServerCredentials.createInsecure());
    return {
      store,
      control,
      cluster,
      credentials,
      tlsAddress: `127.0.0.1:${port}`,
      socketAddress,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

interface JoinRound {
  round: number;
  joins_per_s: number;
  elapsed_ms: number;
  join_p50_ms: number;
  join_p99_ms: number;
  join_max_ms: number;
}

/** Checks every issued certificate and the store's Node objects; throws naming the first problem. */
function checkJoins(m: BenchManager, issued: readonly IssuedCredentials[], agents: number): void {
  const now = Date.now();
  const ids = new Set<string>();
  for (const cred of issued) {
    const info = verifyNodeCertificate(cred.certPem, {
      rootCAPem: m.cluster.rootCA.certificate,
      clusterId: m.cluster.id,
      now,
    });
    const parsed = parseNodeCertificate(cred.certPem);
    if (info.role !== 'worker' || parsed.role !== 'worker')
      throw new Error(`join bench: node ${info.nodeId} got role ${info.role}, expected worker`);
    if (parsed.nodeId !== cred.nodeId)
      throw new Error(`join bench: certificate names ${parsed.nodeId}, the CA answered ${cred.nodeId}`);
    if (ids.has(info.nodeId)) throw new Error(`join bench: node id ${info.nodeId} issued twice`);
    ids.add(info.nodeId);
  }
  if (ids.size !== agents) throw new Error(`join bench: ${ids.size} distinct node ids, expected ${agents}`);
  const workers = m.store.view((tx) => tx.nodes.find().filter((n) => n.role === 'worker'));
  if (workers.length !== agents)
    throw new Error(`join bench: ${workers.length} worker Node objects in the store, expected ${agents}`);
  for (const n of workers)
    if (!ids.has(n.id)) throw new Error(`join bench: Node ${n.id} in the store has no issued certificate`);
}

async function joinRound(round: number, agents: number, clock: Clock): Promise<JoinRound> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-bench-join-'));
  let m: BenchManager | null = null;
  try {
    m = await startManager(dir, clock);
    const manager = m;
    const token = manager.cluster.joinTokens.worker;
    const latencies: number[] = [];
    const t0 = performance.now();
    const settled = await Promise.allSettled(
      Array.from({ length: agents }, async (_, i) => {
        const s = performance.now();
        const cred = await joinCluster({
          address: manager.tlsAddress,
          token,
          hostname: `agent-${round}-${i}`,
        });
        latencies.push(performance.now() - s);
        return cred;
      }),
    );
    const elapsed = performance.now() - t0;
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0)
      throw new Error(
        `join bench: ${failed.length} of ${agents} joins failed, first: ${String((failed[0]?.reason as Error)?.message ?? failed[0]?.reason)}`,
      );
    const issued = settled.map((r) => (r as PromiseFulfilledResult<IssuedCredentials>).value);
    checkJoins(manager, issued, agents);
    return {
      round,
      joins_per_s: round2((agents / elapsed) * 1000),
      elapsed_ms: round2(elapsed),
      join_p50_ms: round2(pct(latencies, 50)),
      join_p99_ms: round2(pct(latencies, 99)),
      join_max_ms: round2(Math.max(...latencies)),
    };
  } finally {
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

type Transport = 'socket' | 'tls' | 'tcp';
const TRANSPORTS: readonly Transport[] = ['socket', 'tls', 'tcp'];

function getCluster(client: controlpb.ControlClient, clusterId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.GetCluster({ clusterId }, (err, res) => {
      if (err) reject(err);
      else if (res?.cluster?.id !== clusterId)
        reject(new Error('join bench: GetCluster answered another cluster'));
      else resolve();
    });
  });
}

interface ControlLatency {
  calls: number;
  p50: Record<Transport, number>;
  p99: Record<Transport, number>;
  firstCall: Record<Transport, number>;
}

async function controlLatency(calls: number, clock: Clock): Promise<ControlLatency> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-bench-join-'));
  let m: BenchManager | null = null;
  const plain = new grpc.Server();
  const clients: grpc.Client[] = [];
  try {
    m = await startManager(dir, clock);
    // Plain TCP, for reference: the same ControlService on a server without TLS.
    registerControlService(plain, m.control);
    const plainPort = await bind(plain, '127.0.0.1:0', grpc.ServerCredentials.createInsecure());
    const { swarmd } = loadGrpcObject('control');
    const { Control } = swarmd.control;
    const manager = m;
    const tlsCreds = clientCredentials({
      rootCAPem: manager.credentials.rootCAPem,
      keyPem: manager.credentials.keyPem,
      certPem: manager.credentials.certPem,
      clusterId: manager.cluster.id,
    });
    const newClient = (t: Transport): controlpb.ControlClient => {
      const c =
        t === 'socket'
          ? new Control(manager.socketAddress, grpc.credentials.createInsecure())
          : t === 'tls'
            ? new Control(manager.tlsAddress, tlsCreds, { ...CLIENT_CHANNEL_OPTIONS })
            : new Control(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure());
      clients.push(c);
      return c;
    };
    const clusterId = manager.cluster.id;

    // The first call on a new channel: connect, and the TLS handshake for TLS.
    const first: Record<Transport, number[]> = { socket: [], tls: [], tcp: [] };
    for (let i = 0; i < FIRST_CALL_SAMPLES; i++)
      for (const t of TRANSPORTS) {
        const c = newClient(t);
        const s = performance.now();
        await getCluster(c, clusterId);
        first[t].push(performance.now() - s);
        c.close();
      }

    const client = { socket: newClient('socket'), tls: newClient('tls'), tcp: newClient('tcp') };
    for (const t of TRANSPORTS) for (let i = 0; i < WARMUP_CALLS; i++) await getCluster(client[t], clusterId);
    const lat: Record<Transport, number[]> = { socket: [], tls: [], tcp: [] };
    const perBlock = Math.ceil(calls / BLOCKS);
    for (let b = 0; b < BLOCKS; b++)
      for (let k = 0; k < TRANSPORTS.length; k++) {
        // Rotate the order so no transport always runs right after another.
        const t = TRANSPORTS[(b + k) % TRANSPORTS.length] as Transport;
        for (let i = 0; i < perBlock; i++) {
          const s = performance.now();
          await getCluster(client[t], clusterId);
          lat[t].push(performance.now() - s);
        }
      }
    const by = (f: (t: Transport) => number): Record<Transport, number> => ({
      socket: f('socket'),
      tls: f('tls'),
      tcp: f('tcp'),
    });
    return {
      calls: perBlock * BLOCKS,
      p50: by((t) => pct(lat[t], 50)),
      p99: by((t) => pct(lat[t], 99)),
      firstCall: by((t) => pct(first[t], 50)),
    };
  } finally {
    for (const c of clients) c.close();
    await shutdown(plain);
    await m?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number): number => positiveIntArg(argv, name, dflt);
  const agents = arg('--agents', 50);
  const rounds = arg('--rounds', 3);
  const calls = arg('--calls', 3000);
  const clock = systemClock;

  const results: JoinRound[] = [];
  for (let r = 1; r <= rounds; r++) {
    const res = await joinRound(r, agents, clock);
    results.push(res);
    console.log(
      `round ${r}: ${agents} joins in ${res.elapsed_ms.toFixed(0)} ms = ${res.joins_per_s.toFixed(1)} joins/s (p50 ${res.join_p50_ms.toFixed(1)} ms, p99 ${res.join_p99_ms.toFixed(1)} ms); ${agents} worker certificates and Nodes checked`,
    );
  }
  const median = [...results].sort((a, b) => a.joins_per_s - b.joins_per_s)[Math.floor((rounds - 1) / 2)];
  if (median === undefined) throw new Error('join bench: no round ran');
  console.log(`median round (by joins/s): round ${median.round}`);

  const c = await controlLatency(calls, clock);
  for (const t of TRANSPORTS)
    console.log(
      `control GetCluster over ${t}: p50 ${c.p50[t].toFixed(3)} ms, p99 ${c.p99[t].toFixed(3)} ms (${c.calls} sequential calls); first call on a new channel ${c.firstCall[t].toFixed(2)} ms`,
    );
  console.log("peer: none (swarmkit's join path is not runnable here)");
  console.log(
    JSON.stringify({
      bench: 'join',
      agents,
      rounds,
      round_reported: `median of ${rounds} by joins_per_s (round ${median.round})`,
      joins_per_s: median.joins_per_s,
      join_p50_ms: median.join_p50_ms,
      join_p99_ms: median.join_p99_ms,
      join_elapsed_ms: median.elapsed_ms,
      joins_per_s_rounds: results.map((r) => r.joins_per_s),
      agents_in_process: true,
      control_method: 'GetCluster',
      control_calls: c.calls,
      control_socket_p50_ms: round3(c.p50.socket),
      control_socket_p99_ms: round3(c.p99.socket),
      control_tls_p50_ms: round3(c.p50.tls),
      control_tls_p99_ms: round3(c.p99.tls),
      control_tcp_p50_ms: round3(c.p50.tcp),
      control_tcp_p99_ms: round3(c.p99.tcp),
      tls_extra_p50_ms: round3(c.p50.tls - c.p50.socket),
      tls_extra_p99_ms: round3(c.p99.tls - c.p99.socket),
      control_socket_first_call_ms: round2(c.firstCall.socket),
      control_tls_first_call_ms: round2(c.firstCall.tls),
      control_tcp_first_call_ms: round2(c.firstCall.tcp),
      peer: "none (swarmkit's join path not runnable here)",
    }),
  );
}

await main();
