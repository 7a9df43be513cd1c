// A manager and worker hosts as separate swarmd processes (each its own state dir, runtime root and
// cgroup parent) over loopback with mutual TLS, driven by swarmctl: workers join with the worker token;
// replicas spread over them as real containers; a killed container is repaired; a killed worker's tasks
// move to the other and its surplus is shut down when it returns; a restarted worker re-adopts its
// containers; drain and activate; a global service follows a worker joining; and what the cluster port
// refuses: a worker's certificate on the Control API, a plain-text client.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { runCli } from '../cli/testing/index.js';
import { parseNodeCertificate } from '../pki/index.js';
import { loadGrpcObject } from '../proto/index.js';
import { SwarmdCluster, type SwarmdProcess, waitUntil } from '../testing/index.js';
import { alive, ok, running, swarmctl, type TaskJson, tasks } from './swarmctl.js';

/**
 * `swarmctl node …`, run again when the node's own agent updated its Node at the same moment (the
 * command then says to run it again: optimistic concurrency, as an operator would see it).
 */
async function nodeCommand(m: SwarmdProcess, ...args: string[]): Promise<void> {
  await waitUntil(`swarmctl node ${args.join(' ')}`, async () => {
    const r = await swarmctl(m, 'node', ...args);
    if (r.code !== 0 && !/run the command again/.test(r.stderr)) throw new Error(r.stderr);
    return r.code === 0;
  });
}

function perNode(ts: TaskJson[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of ts) m.set(t.nodeId, (m.get(t.nodeId) ?? 0) + 1);
  return m;
}

async function nodeIdOf(n: SwarmdProcess): Promise<string> {
  const h = (await n.health()) as { nodeId?: string; session?: { nodeId: string } } | null;
  return h?.nodeId ?? h?.session?.nodeId ?? '';
}

test('a manager and two workers: spread, crash repair, worker loss and return, re-adoption, drain, pause, global, role change, refusals', async (t) => {
  const cluster = await SwarmdCluster.start({ managers: 1 });
  t.teardown(() => cluster.destroy());
  const m = cluster.nodes[0] as SwarmdProcess;
  t.regex(cluster.workerToken, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  // The manager runs no tasks here: the workers do.
  // The manager's own agent may update its Node at the same moment: a conflict asks to run it again.
  await nodeCommand(m, 'update', '--availability', 'drain', await nodeIdOf(m));
  const w1 = await cluster.addWorker('w1');
  const w2 = await cluster.addWorker('w2');
  const [id1, id2] = [await nodeIdOf(w1), await nodeIdOf(w2)];
  const nodes = JSON.parse(await ok(m, 'node', 'ls', '--format', 'json')) as { id: string; role: string }[];
  t.is(nodes.find((n) => n.id === id1)?.role, 'NODE_ROLE_WORKER');

  await ok(
    m,
    'service',
    'create',
    'web',
    '--image',
    'host',
    '--replicas',
    '6',
    '--stop-grace-period',
    '1s',
    '--',
    'sleep',
    '600',
  );
  const first = running(await tasks(m, 'web'));
  t.deepEqual(
    [...perNode(first).entries()].sort(),
    [
      [id1, 3],
      [id2, 3],
    ].sort() as [string, number][],
  );

  // A killed container is restarted (in place) on its worker.
  const victim = first[0] as TaskJson;
  process.kill(Number(victim.status.container?.pid), 'SIGKILL');
  await waitUntil('the container repaired', async () => {
    const v = (await tasks(m, 'web')).find((x) => x.id === victim.id);
    return Number(v?.status.restarts) === 1 && v?.status.state === 'TASK_STATE_RUNNING';
  });

  // A worker restarted while its containers run re-adopts them: same processes, nothing replaced.
  const onW2 = running(await tasks(m, 'web')).filter((x) => x.nodeId === id2);
  await w2.kill('SIGTERM');
  for (const x of onW2) t.true(alive(Number(x.status.container?.pid)), 'containers outlive their agent');
  cluster.restart(w2);
  await cluster.waitHealthy([w2]);
  await waitUntil('w2 back with the same tasks', async () => {
    const now = running(await tasks(m, 'web')).filter((x) => x.nodeId === id2);
    return (
      now.length === 3 &&
      now.every((x) => onW2.some((o) => o.id === x.id && o.status.container?.pid === x.status.container?.pid))
    );
  });

  // Worker loss: w1 killed -9, its tasks run on w2; back, its surplus is shut down.
  await w1.kill('SIGKILL');
  await waitUntil(
    'six running on w2',
    async () => {
      const now = running(await tasks(m, 'web'));
      return now.length === 6 && now.every((x) => x.nodeId === id2);
    },
    60_000,
  );
  cluster.restart(w1);
  await cluster.waitHealthy([w1]);
  await waitUntil(
    'w1’s old tasks shut down',
    async () => {
      const ts = await tasks(m, 'web');
      return (
        ts.filter((x) => x.nodeId === id1).every((x) => x.status.state !== 'TASK_STATE_RUNNING') &&
        running(ts).length === 6
      );
    },
    60_000,
  );

  // Drain w2: everything moves to w1; activate: new tasks may go to w2 again.
  await nodeCommand(m, 'drain', id2);
  await waitUntil(
    'six running on w1',
    async () => {
      const now = running(await tasks(m, 'web'));
      return now.length === 6 && now.every((x) => x.nodeId === id1);
    },
    60_000,
  );
  await nodeCommand(m, 'activate', id2);
  // Pause w1: it keeps its tasks but gets no new one; scaled up, the new tasks go to w2.
  await nodeCommand(m, 'pause', id1);
  await ok(m, 'service', 'scale', 'web=8');
  const scaled = running(await tasks(m, 'web'));
  t.is(scaled.filter((x) => x.nodeId === id1).length, 6, 'w1 keeps its six');
  t.is(scaled.filter((x) => x.nodeId === id2).length, 2, 'the two new ones on w2');
  await nodeCommand(m, 'activate', id1);

  // A global service runs on each active worker and follows a third one joining.
  await ok(
    m,
    'service',
    'create',
    'agent',
    '--mode',
    'global',
    '--image',
    'host',
    '--stop-grace-period',
    '1s',
    '--',
    'sleep',
    '600',
  );
  t.deepEqual(
    running(await tasks(m, 'agent'))
      .map((x) => x.nodeId)
      .sort(),
    [id1, id2].sort(),
  );
  const w3 = await cluster.addWorker('w3');
  const id3 = await nodeIdOf(w3);
  await waitUntil('the global service on w3', async () =>
    running(await tasks(m, 'agent')).some((x) => x.nodeId === id3),
  );

  // A promotion reaches the node with its heartbeats: its certificate is renewed with the manager role;
  // a demotion takes it back.
  const roleOf = async (n: SwarmdProcess): Promise<string> =>
    parseNodeCertificate(await readFile(join(n.stateDir, 'certificates', 'node.crt'), 'utf8')).role;
  await nodeCommand(m, 'promote', id3);
  await waitUntil('w3’s certificate a manager’s', async () => (await roleOf(w3)) === 'manager');
  await nodeCommand(m, 'demote', id3);
  await waitUntil('w3’s certificate a worker’s again', async () => (await roleOf(w3)) === 'worker');

  // The cluster port: a manager's certificate may use the Control API, a worker's may not; plain text fails.
  const asManager = await runCli([
    '--host',
    m.listenAddr,
    '--tls-dir',
    join(m.stateDir, 'certificates'),
    'node',
    'ls',
    '-q',
  ]);
  t.is(asManager.code, 0, asManager.stderr);
  t.is(asManager.stdout.trim().split('\n').length, 4);
  const asWorker = await runCli([
    '--host',
    m.listenAddr,
    '--tls-dir',
    join(w3.stateDir, 'certificates'),
    'node',
    'ls',
  ]);
  t.is(asWorker.code, 1);
  t.regex(asWorker.stderr, /is a worker; only manager nodes may call it/);
  const { Control } = loadGrpcObject('control').swarmd.control;
  const plain = new Control(m.listenAddr, grpc.credentials.createInsecure());
  const refused = await new Promise<grpc.ServiceError | null>((resolve) =>
    plain.ListNodes({}, { deadline: Date.now() + 5000 }, (err) => resolve(err)),
  );
  plain.close();
  t.not(refused, null);
  t.is(refused?.code, grpc.status.UNAVAILABLE);
  t.is((await swarmctl(m, 'node', 'ls', '-q')).code, 0, 'the manager keeps serving');
});
