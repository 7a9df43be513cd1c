// `service create|update|scale` wait until every task runs (unless --detach), against a real Control API
// and store; the test plays the scheduler and the agents by writing the tasks' states.
import test from 'ava';
import type { TaskState } from '../../../proto/index.js';
import { type ControlHarness, startControlHarness, testTask } from '../../../testing/index.js';
import { type TestContext, testContext } from '../../testing/index.js';
import { waitForConvergence } from './converge.js';
import { serviceCreate } from './create.js';

const open: { close(): unknown }[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
});

async function setup(): Promise<{ h: ControlHarness; ctx: TestContext }> {
  const h = await startControlHarness();
  open.push(h);
  const ctx = testContext(h.address, { now: () => h.clock.now() });
  open.push(ctx);
  return { h, ctx };
}

function taskId(n: number): string {
  return `t${n}`.padEnd(25, '0');
}

async function writeTask(
  h: ControlHarness,
  serviceId: string,
  n: number,
  state: TaskState,
  extra: { err?: string; schedulingMessage?: string } = {},
): Promise<void> {
  await h.store.update((tx) => {
    const service = tx.services.get(serviceId);
    if (service === undefined) throw new Error('no service');
    const base = testTask({ id: taskId(n), service, slot: n, state });
    const task = {
      ...base,
      status: { ...base.status, err: extra.err ?? '' },
      schedulingMessage: extra.schedulingMessage ?? '',
    };
    if (tx.tasks.get(task.id) === undefined) tx.tasks.create(task);
    else tx.tasks.update({ ...task, meta: tx.tasks.get(task.id)?.meta ?? task.meta });
  });
}

/** Resolves once the notices contain `text`. */
async function noticed(ctx: TestContext, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ctx.notices().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no notice "${text}" in:\n${ctx.notices()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('create waits until every replica runs, printing progress and why a task does not run', async (t) => {
  const { h, ctx } = await setup();
  const create = serviceCreate(ctx, 'web', ['sleep', '100'], { image: 'host', replicas: '3' });
  await noticed(ctx, 'web: 0/3 running\n');
  const id = ctx.output().trim();
  t.regex(id, /^[0-9a-z]{25}$/, 'the id is printed before waiting');
  await writeTask(h, id, 1, 'RUNNING');
  await writeTask(h, id, 2, 'PENDING', {
    schedulingMessage: 'no suitable node (1 node has insufficient memory)',
  });
  await writeTask(h, id, 3, 'FAILED', { err: 'exit code 1' });
  await noticed(ctx, 'web: 1/3 running\n');
  await noticed(ctx, 'web.2: pending: no suitable node (1 node has insufficient memory)\n');
  await noticed(ctx, 'web.3: failed: exit code 1\n');
  await writeTask(h, id, 2, 'RUNNING');
  await writeTask(h, id, 4, 'RUNNING');
  await create;
  t.true(ctx.notices().endsWith('web: 3/3 running\nweb: converged\n'), ctx.notices());
});

test('--detach returns at once; Ctrl-C ends the waiting but keeps the service', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { image: 'host', replicas: '2', detach: true });
  t.is(ctx.notices(), '');
  const id = ctx.output().trim();
  const waiting = waitForConvergence(ctx, id);
  await noticed(ctx, 'web: 0/2 running\n');
  ctx.interrupt();
  await waiting;
  t.false(ctx.notices().includes('converged'));
  t.not(
    h.store.view((tx) => tx.services.get(id)),
    undefined,
  );
});

test('a global service with no eligible node stops waiting with a message', async (t) => {
  const { ctx } = await setup();
  await serviceCreate(ctx, 'agent', [], { image: 'host', mode: 'global', detach: true });
  await waitForConvergence(ctx, ctx.output().trim(), { globalEmptyMs: 0 });
  t.is(ctx.notices(), 'agent: 0/0 running\nagent: no node is eligible for this global service\n');
});
