// The pieces of swarmctl's output: tables, times, units, summaries, JSON and the eligible nodes of a
// global service.
import test from 'ava';
import type { controlpb } from '../../proto/index.js';
import { eligibleNodes, matchesConstraints } from './eligible.js';
import { plain, toJson, toJsonLine, withoutData } from './json.js';
import { capitalized, enumWord, labelsText, shortId, truncated } from './names.js';
import { Summary } from './summary.js';
import { renderTable } from './table.js';
import { ago, humanDuration, timeAndAgo } from './time.js';
import { formatBytes, formatCpus, formatDuration } from './units.js';

test('tables align columns three spaces apart and trim trailing spaces', (t) => {
  t.is(
    renderTable(
      ['ID', 'NAME', 'NOTE'],
      [
        ['a', 'web', ''],
        ['bcdef', 'x', 'last'],
      ],
    ),
    'ID      NAME   NOTE\na       web\nbcdef   x      last\n',
  );
  t.is(renderTable(['ID'], []), 'ID\n');
});

test('relative times', (t) => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1000, '1 second'],
    [3000, '3 seconds'],
    [60_000, 'About a minute'],
    [150_000, '2 minutes'],
    [3_600_000, 'About an hour'],
    [3 * 3_600_000, '3 hours'],
    [3 * 86_400_000, '3 days'],
    [21 * 86_400_000, '3 weeks'],
    [90 * 86_400_000, '3 months'],
    [3 * 365 * 86_400_000, '3 years'],
  ];
  for (const [ms, text] of cases) t.is(humanDuration(ms), text, String(ms));
  t.is(ago(10_000, '7000'), '3 seconds ago');
  t.is(ago(10_000, 0), 'never');
  t.is(ago(10_000, 70_000), 'in about a minute');
  t.is(timeAndAgo(1_700_000_003_000, 1_700_000_000_000), '2023-11-14T22:13:20.000Z (3 seconds ago)');
  t.is(timeAndAgo(5, '0'), '-');
});

test('durations, sizes and CPUs back into words', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration('100'), '100ms');
  t.is(formatDuration(5000), '5s');
  t.is(formatDuration(1500), '1.5s');
  t.is(formatDuration(90_000), '1m30s');
  t.is(formatDuration(3_600_000 + 5000), '1h0m5s');
  t.is(formatBytes(64 * 2 ** 20), '64MiB');
  t.is(formatBytes(1.5 * 2 ** 30), '1.5GiB');
  t.is(formatBytes(512), '512B');
  t.is(formatCpus('500000000'), '0.5');
  t.is(formatCpus(2e9), '2');
});

test('names: short ids, enum words, labels, truncation', (t) => {
  t.is(shortId('abcdefghijklmnopqrstuvwxy'), 'abcdefghijkl');
  t.is(shortId('abcdefghijklmnopqrstuvwxy', true), 'abcdefghijklmnopqrstuvwxy');
  t.is(enumWord('RESTART_CONDITION_ON_FAILURE', 'RESTART_CONDITION_'), 'on-failure');
  t.is(capitalized(enumWord('TASK_STATE_RUNNING', 'TASK_STATE_')), 'Running');
  t.is(labelsText({ b: '2', a: '', c: 'x=y' }), 'a, b=2, c=x=y');
  t.is(truncated('abcdef', 4), 'abc…');
  t.is(truncated('abcdef', 4, true), 'abcdef');
});

test('summaries align values, nest sections and leave out empty ones', (t) => {
  const s = new Summary()
    .field('ID', 'x1')
    .field('Empty', '')
    .field('Zero', 0)
    .section('Mode', (x) => x.field('Replicas', 3))
    .section('Nothing', (x) => x.field('Gone', undefined))
    .list('Env', ['A=1', 'B=2'])
    .list('None', [])
    .group('Kind', 'global', (x) => x.field('Nodes', 2));
  t.is(
    s.render(),
    'ID:        x1\nZero:      0\nMode:\n Replicas: 3\nEnv:\n - A=1\n - B=2\nKind:      global\n Nodes:    2\n',
  );
});

test('JSON: decoder markers dropped, bytes in base64, secret data removed', (t) => {
  const decoded = {
    replicas: '3',
    _replicas: 'replicas',
    data: Buffer.from('hi'),
    nested: [{ _x: 'x', x: 1, gone: undefined }],
  };
  t.deepEqual(plain(decoded), { replicas: '3', data: 'aGk=', nested: [{ x: 1 }] });
  t.is(toJsonLine({ a: 1 }), '{"a":1}\n');
  t.is(toJson([]), '[]\n');
  const secret = { id: 's', spec: { annotations: { name: 'pw' }, data: Buffer.from('x') } };
  t.deepEqual(withoutData(secret), { id: 's', spec: { annotations: { name: 'pw' } } });
});

function node(
  id: string,
  init: Partial<{ state: string; availability: string; labels: Record<string, string>; role: string }>,
) {
  return {
    id,
    spec: {
      annotations: { name: '', labels: init.labels ?? {} },
      availability: init.availability ?? 'NODE_AVAILABILITY_ACTIVE',
      desiredRole: init.role ?? 'NODE_ROLE_WORKER',
    },
    description: {
      hostname: `host-${id}`,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: null,
      engine: { version: '', labels: { gpu: 'yes' } },
    },
    status: { state: init.state ?? 'NODE_STATE_READY', message: '', addr: '' },
    role: init.role ?? 'NODE_ROLE_WORKER',
    managerStatus: null,
    meta: null,
  } as unknown as controlpb.Node__Output;
}

test('eligible nodes of a global service: not down, active, matching the constraints', (t) => {
  const nodes = [
    node('a', { labels: { zone: 'A' } }),
    node('b', { labels: { zone: 'b' }, role: 'NODE_ROLE_MANAGER' }),
    node('c', { labels: { zone: 'a' }, state: 'NODE_STATE_DOWN' }),
    node('d', { labels: { zone: 'a' }, availability: 'NODE_AVAILABILITY_DRAIN' }),
    node('e', {}),
  ];
  const ids = (constraints: string[]) => eligibleNodes(constraints, nodes).map((n) => n.id);
  t.deepEqual(ids([]), ['a', 'b', 'e']);
  t.deepEqual(ids(['node.labels.zone==a']), ['a'], 'values compare case-insensitively');
  t.deepEqual(ids(['node.labels.zone!=a']), ['b', 'e'], 'a missing label is not equal');
  t.deepEqual(ids(['node.role==manager']), ['b']);
  t.deepEqual(ids(['node.hostname!=host-a', 'engine.labels.gpu==yes']), ['b', 'e']);
  t.deepEqual(ids(['node.id==e']), ['e']);
  t.deepEqual(ids(['node.platform.os==linux', 'node.platform.arch==x86_64']), ['a', 'b', 'e']);
  t.false(matchesConstraints(['garbage'], nodes[0] as controlpb.Node__Output));
});
