// `swarmctl events` in-process: a create and a remove arrive as lines (and as JSON), filters apply,
// Ctrl-C ends the stream cleanly.
import test from 'ava';
import { FlagError } from '../../../common/index.js';
import { startControlHarness } from '../../../testing/index.js';
import { testContext, until } from '../../testing/index.js';
import { serviceCreate } from '../service/create.js';
import { serviceRm } from '../service/rm.js';
import { events, watchRequest } from './events.js';

const open: { close(): unknown }[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
});

async function watching(format: 'table' | 'json', filter?: string[]) {
  const h = await startControlHarness();
  open.push(h);
  const watcher = testContext(h.address, { format, now: () => h.clock.now() });
  const actor = testContext(h.address);
  open.push(watcher, actor);
  const done = events(watcher, filter === undefined ? {} : { filter });
  await until(() => watcher.notices().includes('Watching'), 'the watch to start');
  return { h, watcher, actor, done };
}

test('a create and a remove, one line each, until interrupted', async (t) => {
  const { watcher, actor, done } = await watching('table');
  t.regex(watcher.notices(), /^Watching the cluster's events from version \d+; Ctrl-C to stop\.\n$/);
  await serviceCreate(actor, 'web', [], { detach: true, image: 'host' });
  const id = actor.output().trim();
  await serviceRm(actor, ['web']);
  await until(() => watcher.output().includes(' remove '), 'the remove event');
  watcher.interrupt();
  await done;
  const lines = watcher.output().trimEnd().split('\n');
  t.is(lines.length, 2);
  t.regex(
    lines[0] ?? '',
    new RegExp(
      `^2023-11-14T22:13:20.000Z service create ${id} \\(name=web, mode=replicated, version=\\d+\\)$`,
    ),
  );
  t.regex(
    lines[1] ?? '',
    new RegExp(`^\\S+ service remove ${id} \\(name=web, mode=replicated, version=\\d+\\)$`),
  );
});

test('JSON lines with --format json; kind and action filters', async (t) => {
  const { watcher, actor, done } = await watching('json', ['kind=service', 'action=remove']);
  await serviceCreate(actor, 'web', [], { detach: true, image: 'host' });
  await serviceCreate(actor, 'api', [], { detach: true, image: 'host' });
  await serviceRm(actor, ['web']);
  await until(() => watcher.output().includes('\n'), 'the remove event');
  watcher.interrupt();
  await done;
  const lines = watcher.output().trimEnd().split('\n');
  t.is(lines.length, 1);
  const event = JSON.parse(lines[0] ?? '');
  t.is(event.action, 'WATCH_ACTION_REMOVE');
  t.is(event.kind, 'OBJECT_KIND_SERVICE');
  t.is(event.object.service.spec.annotations.name, 'web');
});

test('filters are checked before watching', (t) => {
  t.deepEqual(watchRequest(['kind=Task', 'kind=node', 'action=update']), {
    kinds: ['OBJECT_KIND_TASK', 'OBJECT_KIND_NODE'],
    actions: ['WATCH_ACTION_UPDATE'],
  });
  t.throws(() => watchRequest(['kind=pod']), {
    instanceOf: FlagError,
    message: '--filter kind: must be one of cluster, node, service, task, secret, config, network, got "pod"',
  });
  t.throws(() => watchRequest(['type=service']), {
    message: /^--filter: must be KEY=VALUE with KEY one of kind, action/,
  });
});
