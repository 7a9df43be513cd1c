/**
 * Micro-benchmark of the store, run by hand (not in CI):
 *
 *   npx tsc -p . --outDir dist-store && node dist-store/manager/store/store-bench.js [tasks]
 *
 * Creates `tasks` tasks (default 50 000) of 50 services with `batch` (the scheduler's path), without a
 * proposer and through a MockProposer that encodes each entry and applies it to a leader and a follower
 * (what replication costs in CPU, without Raft); then status updates in a batch (the dispatcher's path),
 * reads by id and through the indexes, and a snapshot and restore of the whole store.
 */
import { FakeClock } from '../../common/testing/index.js';
import type { Service, Task } from '../../proto/index.js';
import { byNodeId, byServiceId, byTaskState } from './by.js';
import { MemoryStore } from './memory-store.js';
import { MockProposer, SeededIdSource, testNode, testService, testTask } from './testing/index.js';

const N = Number(process.argv[2] ?? 50_000);
const SERVICES = 50;
const NODES = 100;

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
}

async function populate(
  store: MemoryStore,
  ids: SeededIdSource,
): Promise<{ services: Service[]; tasks: string[] }> {
  const services = Array.from({ length: SERVICES }, (_, i) =>
    testService({ id: ids.newId(), name: `svc-${i}`, replicas: N / SERVICES }),
  );
  await store.update((tx) => {
    for (const s of services) tx.services.create(s);
    for (let i = 0; i < NODES; i++) tx.nodes.create(testNode({ id: `node-${i}`, hostname: `host-${i}` }));
  });
  const fresh = Array.from({ length: N }, (_, i) =>
    testTask({
      id: ids.newId(),
      service: services[i % SERVICES] as Service,
      slot: Math.floor(i / SERVICES) + 1,
      state: 'PENDING',
    }),
  );
  const tasks = fresh.map((t) => t.id);
  const t0 = performance.now();
  await store.batch(async (b) => {
    for (const task of fresh) await b.update((tx) => tx.tasks.create(task));
  });
  const ms = performance.now() - t0;
  console.log(`  batch create ${N} tasks: ${ms.toFixed(0)} ms, ${rate(N, ms)}`);
  return { services, tasks };
}

async function main(): Promise<void> {
  console.log(`store bench: ${N} tasks, ${SERVICES} services, ${NODES} nodes`);

  console.log('without a proposer:');
  const local = new MemoryStore({ clock: new FakeClock() });
  const { services, tasks } = await populate(local, new SeededIdSource(1));

  let t0 = performance.now();
  await local.batch(async (b) => {
    for (let i = 0; i < tasks.length; i++)
      await b.update((tx) => {
        const t = tx.tasks.get(tasks[i] as string) as Task;
        tx.tasks.update({ ...t, nodeId: `node-${i % NODES}`, status: { ...t.status, state: 'ASSIGNED' } });
      });
  });
  let ms = performance.now() - t0;
  console.log(`  batch assign ${N} tasks (read + update): ${ms.toFixed(0)} ms, ${rate(N, ms)}`);

  const reads = 1_000_000;
  t0 = performance.now();
  let found = 0;
  for (let i = 0; i < reads; i++)
    if (local.view((tx) => tx.tasks.get(tasks[i % tasks.length] as string)) !== undefined) found++;
  ms = performance.now() - t0;
  console.log(`  view + get by id: ${rate(found, ms)}`);

  t0 = performance.now();
  let seen = 0;
  local.view((tx) => {
    for (let i = 0; i < 200; i++)
      seen += tx.tasks.find(byServiceId((services[i % SERVICES] as Service).id)).length;
  });
  ms = performance.now() - t0;
  console.log(`  find by service (${N / SERVICES} tasks each): ${rate(seen, ms)} tasks read`);

  t0 = performance.now();
  seen = 0;
  local.view((tx) => {
    for (let i = 0; i < 500; i++) seen += tx.tasks.find(byNodeId(`node-${i % NODES}`)).length;
  });
  ms = performance.now() - t0;
  console.log(`  find by node (${N / NODES} tasks each): ${rate(seen, ms)} tasks read`);
  t0 = performance.now();
  const counted = local.view((tx) => tx.tasks.count(byTaskState('ASSIGNED')));
  console.log(`  count by state: ${counted} in ${(performance.now() - t0).toFixed(2)} ms`);

  t0 = performance.now();
  const snap = local.snapshot();
  ms = performance.now() - t0;
  console.log(`  snapshot: ${(snap.length / 2 ** 20).toFixed(1)} MiB in ${ms.toFixed(0)} ms`);
  const copy = new MemoryStore();
  t0 = performance.now();
  copy.restore(snap);
  ms = performance.now() - t0;
  console.log(`  restore: ${ms.toFixed(0)} ms`);

  console.log('through a MockProposer (encode, decode, apply on a leader and a follower):');
  const proposer = new MockProposer();
  const leader = new MemoryStore({ clock: new FakeClock(), proposer });
  proposer.attach(leader, new MemoryStore());
  await populate(leader, new SeededIdSource(2));
  const bytes = proposer.log.reduce((n, e) => n + (e.data?.length ?? 0), 0);
  console.log(
    `  ${proposer.log.length} entries, ${(bytes / proposer.log.length / 1024).toFixed(0)} KiB each on average`,
  );
}

await main();
