// The control plane as an operator uses it: three real swarmd managers on loopback and swarmctl as a
// process. Writes through a follower, failover, a full restart, and concurrent updates. Waits poll with a
// bound; nothing asserts on time (failover times are logged).
import test from 'ava';
import type { CliResult } from '../cli/testing/index.js';
import { SwarmdCluster, type SwarmdProcess, waitUntil } from '../testing/index.js';
import { ok, swarmctl } from './swarmctl.js';

let cluster: SwarmdCluster;
test.before(async () => {
  cluster = await SwarmdCluster.start({ managers: 3 });
});
test.after.always(async () => {
  await cluster?.destroy();
});

/** `--format json` prints the objects as the Control API sends them (int64 as strings). */
interface ServiceJson {
  id: string;
  meta: { version: { index: string } };
  spec: { annotations: { name: string }; replicated?: { replicas: string } };
}

function replicas(s: ServiceJson | undefined): number | undefined {
  return s?.spec.replicated ? Number(s.spec.replicated.replicas) : undefined;
}

async function services(node: SwarmdProcess): Promise<ServiceJson[]> {
  return JSON.parse(await ok(node, 'service', 'ls', '--format', 'json')) as ServiceJson[];
}

test.serial('swarmctl against a follower creates, updates and removes services', async (t) => {
  const [follower] = await cluster.followers();
  if (!follower) throw new Error('no follower');
  const id = (
    await ok(
      follower,
      'service',
      'create',
      '-d',
      'web',
      '--image',
      'host',
      '--replicas',
      '2',
      '--',
      'sleep',
      '600',
    )
  ).trim();
  t.regex(id, /^[0-9a-z]{25}$/);
  await ok(follower, 'service', 'update', '-d', 'web', '--replicas', '4', '--env-add', 'MODE=prod');
  // Every manager answers, with what the others wrote (linearizable reads).
  for (const n of cluster.nodes) {
    const web = (await services(n)).find((s) => s.spec.annotations.name === 'web');
    t.is(replicas(web), 4, n.name);
  }
  const bad = await swarmctl(follower, 'service', 'create', '-d', 'web', '--image', 'host');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /name conflicts with an existing service/);
  await ok(follower, 'service', 'create', '-d', 'api', '--image', 'host', '--', 'sleep', '600');
  await ok(follower, 'service', 'rm', 'api');
  t.deepEqual(
    (await services(follower)).map((s) => s.spec.annotations.name),
    ['web'],
  );
});

test.serial('after the leader is killed -9 the same commands work on the survivors', async (t) => {
  const leader = await cluster.leader();
  const started = performance.now();
  await leader.kill('SIGKILL');
  const survivor = cluster.nodes.find((n) => n.running) as SwarmdProcess;
  await cluster.waitHealthy();
  await ok(survivor, 'service', 'scale', '-d', 'web=6');
  t.log(`a write succeeded ${(performance.now() - started).toFixed(0)} ms after the leader was killed`);
  const web = (await services(survivor)).find((s) => s.spec.annotations.name === 'web');
  t.is(replicas(web), 6);
  cluster.restart(leader);
  await cluster.waitHealthy(cluster.nodes);
  const back = (await services(leader)).find((s) => s.spec.annotations.name === 'web');
  t.is(replicas(back), 6, 'the restarted manager caught up');
});

test.serial(
  'two concurrent updates of one service with the same version: one wins, the other conflicts',
  async (t) => {
    const [a, b] = cluster.nodes.filter((n) => n.running) as [SwarmdProcess, SwarmdProcess];
    // Both read version v, then each sends its change with v (the CLI reads then writes).
    const results = await Promise.all([
      swarmctl(a, 'service', 'update', '-d', 'web', '--env-add', 'WRITER=a'),
      swarmctl(b, 'service', 'update', '-d', 'web', '--env-add', 'WRITER=b'),
    ]);
    const codes = results.map((r) => r.code).sort();
    // Either they serialised (both succeed, each on the other's version) or one lost the race.
    if (codes[0] === 0 && codes[1] === 0) {
      t.log('the two updates did not overlap; both applied in turn');
    } else {
      t.deepEqual(codes, [0, 1]);
      const loser = results.find((r) => r.code === 1) as CliResult;
      t.regex(loser.stderr, /updated by someone else|version/i);
    }
    const inspect = JSON.parse(await ok(a, 'service', 'inspect', 'web', '--format', 'json')) as {
      spec: { task: { container: { env: string[] } } };
    };
    t.true(inspect.spec.task.container.env.some((e) => e.startsWith('WRITER=')));
  },
);

test.serial('stopping and restarting all three managers loses nothing', async (t) => {
  const before = await services(cluster.nodes[0] as SwarmdProcess);
  for (const n of cluster.nodes) await n.kill('SIGTERM');
  for (const n of cluster.nodes) cluster.restart(n);
  await cluster.waitHealthy(cluster.nodes);
  const after = await services(cluster.nodes[2] as SwarmdProcess);
  t.deepEqual(
    after.map((s) => [s.id, s.meta.version.index]),
    before.map((s) => [s.id, s.meta.version.index]),
  );
  type NodeJson = { status: { state: string }; managerStatus: { leader: boolean } | null };
  const nodes = async () =>
    JSON.parse(await ok(cluster.nodes[1] as SwarmdProcess, 'node', 'ls', '--format', 'json')) as NodeJson[];
  t.is((await nodes()).length, 3);
  t.is(
    (await nodes()).filter((n) => n.managerStatus?.leader).length,
    1,
    'exactly one manager is shown as leader',
  );
  // Each manager marks itself ready once it runs (joined ones were written as unknown by the leader).
  await waitUntil(
    'every manager ready',
    async () => (await nodes()).every((n) => n.status.state === 'NODE_STATE_READY'),
    20_000,
  );
  t.pass();
});
