import test from 'ava';
import { checkSpreadKey, matchesConstraints, parseConstraint, parseConstraints } from './constraint.js';
import type { Node } from './objects.js';

test('`parseConstraint()` reads key, operator and value, trimming spaces and keeping label case', (t) => {
  t.deepEqual(parseConstraint(' node.labels.Zone == a '), {
    ok: true,
    constraint: { key: 'node.labels.Zone', operator: '==', value: 'a' },
  });
  t.deepEqual(parseConstraint('NODE.ROLE!=Manager'), {
    ok: true,
    constraint: { key: 'node.role', operator: '!=', value: 'Manager' },
  });
  t.deepEqual(parseConstraint('engine.labels.os.version==22.04'), {
    ok: true,
    constraint: { key: 'engine.labels.os.version', operator: '==', value: '22.04' },
  });
});

test('`parseConstraint()` names the problem', (t) => {
  const problem = (e: string) => {
    const r = parseConstraint(e);
    return r.ok ? null : r.problem;
  };
  t.is(problem('node.labels.zone=a'), 'expected <key>==<value> or <key>!=<value>');
  t.regex(problem('node.lables.zone==a') ?? '', /^unknown key "node.lables" \(known: node.id, /);
  t.regex(problem('node.platform.oss==linux') ?? '', /^unknown key "node.platform.oss"/);
  t.regex(problem('node.id.x==a') ?? '', /^unknown key "node.id.x"/);
  t.regex(problem('foo==bar') ?? '', /^unknown key "foo"/);
  t.is(problem('engine.labels==x'), 'key "engine.labels" needs a label name (engine.labels.<name>)');
  t.is(problem('node labels==x'), 'key "node labels" contains whitespace');
  t.throws(() => parseConstraints(['node.id==a', 'x']), {
    instanceOf: RangeError,
    message: 'Cannot parse constraint "x": expected <key>==<value> or <key>!=<value>',
  });
});

test('`matchesConstraints()` ANDs the list, compares case-insensitively, and treats a missing label as unequal', (t) => {
  const node: Node = {
    id: 'n1'.padEnd(25, '0'),
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    spec: {
      annotations: { name: '', labels: { zone: 'A' } },
      desiredRole: 'manager',
      availability: 'active',
    },
    description: {
      hostname: 'Alpha',
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 4e9, memoryBytes: 2 ** 30 },
      engine: { version: 'test', labels: {} },
    },
    status: { state: 'ready', message: '', addr: '127.0.0.1' },
    role: 'manager',
    managerStatus: null,
  };
  const m = (...e: string[]) => matchesConstraints(parseConstraints(e), node);
  t.true(m());
  t.true(m('node.labels.zone==a'));
  t.false(m('node.labels.zone!=a'));
  t.true(m('node.labels.rack!=r1'));
  t.false(m('node.labels.rack==r1'));
  t.true(
    m('node.hostname==alpha', 'node.role==manager', 'node.platform.os==linux', 'node.platform.arch==x86_64'),
  );
  t.false(m('node.hostname==alpha', 'node.role==worker'));
  t.true(m(`node.id==${node.id}`));
  t.false(m('engine.labels.ssd==true'));
  t.false(matchesConstraints(parseConstraints(['node.hostname==alpha']), { ...node, description: null }));
});

test('`checkSpreadKey()` accepts label keys only', (t) => {
  t.is(checkSpreadKey('node.labels.zone'), null);
  t.is(checkSpreadKey('engine.labels.rack'), null);
  t.is(
    checkSpreadKey('node.labels.'),
    'must be node.labels.<name> or engine.labels.<name>, got "node.labels."',
  );
  t.is(checkSpreadKey('node.id'), 'must be node.labels.<name> or engine.labels.<name>, got "node.id"');
});
