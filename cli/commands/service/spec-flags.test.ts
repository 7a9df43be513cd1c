// service create/update flags → spec: every flag kind, only given flags change, bad values name the flag.
import test, { type ExecutionContext } from 'ava';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import {
  applyServiceUpdate,
  type CreateServiceFlags,
  createServiceSpec,
  type UpdateServiceFlags,
} from './spec-flags.js';

function refuses(t: ExecutionContext, fn: () => unknown, flag: string, message?: string | RegExp): void {
  const err = t.throws(fn, { instanceOf: FlagError }, flag) as FlagError;
  t.is(err.flag, flag);
  if (typeof message === 'string') t.is(err.message, `${flag}: ${message}`);
  else if (message !== undefined) t.regex(err.message, message);
}

const create = (f: Partial<CreateServiceFlags>, args: string[] = []) =>
  createServiceSpec('web', args, { image: 'host', ...f });

test('create: only the name, image and args when no flag is given', (t) => {
  t.deepEqual(create({}, ['sleep', '100']), {
    annotations: { name: 'web', labels: {} },
    task: { container: { image: 'host', args: ['sleep', '100'] } },
  });
});

test('create: every kind of flag lands in its field', (t) => {
  const spec = create({
    replicas: '3',
    env: ['A=1', 'B=two=2'],
    workdir: '/srv',
    user: '1000:1000',
    hostname: 'h',
    entrypoint: 'sh -c',
    label: ['tier=web', 'canary'],
    containerLabel: ['c=1'],
    limitCpu: '0.5',
    limitMemory: '64m',
    limitPids: '100',
    reserveCpu: '0.25',
    reserveMemory: '32m',
    restartCondition: 'on-failure',
    restartDelay: '5s',
    restartMaxAttempts: '3',
    restartWindow: '1m30s',
    updateParallelism: '2',
    updateDelay: '10s',
    updateFailureAction: 'rollback',
    updateMonitor: '100ms',
    updateMaxFailureRatio: '0.2',
    updateOrder: 'start-first',
    rollbackParallelism: '0',
    rollbackDelay: '0s',
    rollbackFailureAction: 'continue',
    rollbackMonitor: '1s',
    rollbackMaxFailureRatio: '0',
    rollbackOrder: 'stop-first',
    constraint: ['node.labels.zone==a', 'node.role!=manager'],
    placementPref: ['spread=node.labels.zone'],
    replicasMaxPerNode: '2',
    publish: ['8080:80', '53/udp'],
    mount: ['type=bind,source=/a,target=/b,readonly'],
    secret: ['pw,target=db-pw'],
    config: ['app,target=/etc/app.conf,mode=0440'],
    network: ['backend'],
    stopGracePeriod: '30s',
    stopSignal: 'SIGINT',
    healthCmd: 'curl -f localhost',
    healthInterval: '10s',
    healthTimeout: '2s',
    healthRetries: '5',
    healthStartPeriod: '1m',
    readOnly: true,
    capAdd: ['NET_ADMIN'],
    capDrop: ['MKNOD'],
  });
  const c = spec.task?.container as controlpb.ContainerSpec;
  t.deepEqual(spec.annotations, { name: 'web', labels: { tier: 'web', canary: '' } });
  t.deepEqual(spec.replicated, { replicas: '3' });
  t.deepEqual(c.env, ['A=1', 'B=two=2']);
  t.is(c.dir, '/srv');
  t.is(c.user, '1000:1000');
  t.is(c.hostname, 'h');
  t.deepEqual(c.command, ['sh', '-c']);
  t.deepEqual(c.labels, { c: '1' });
  t.deepEqual(spec.task?.resources, {
    limits: { nanoCpus: '500000000', memoryBytes: String(64 * 2 ** 20), pids: '100' },
    reservations: { nanoCpus: '250000000', memoryBytes: String(32 * 2 ** 20) },
  });
  t.deepEqual(spec.task?.restartPolicy, {
    condition: 'RESTART_CONDITION_ON_FAILURE',
    delayMs: '5000',
    maxAttempts: '3',
    windowMs: '90000',
  });
  t.deepEqual(spec.update, {
    parallelism: '2',
    delayMs: '10000',
    failureAction: 'FAILURE_ACTION_ROLLBACK',
    monitorMs: '100',
    maxFailureRatio: 0.2,
    order: 'UPDATE_ORDER_START_FIRST',
  });
  t.deepEqual(spec.rollback, {
    parallelism: '0',
    delayMs: '0',
    failureAction: 'FAILURE_ACTION_CONTINUE',
    monitorMs: '1000',
    maxFailureRatio: 0,
    order: 'UPDATE_ORDER_STOP_FIRST',
  });
  t.deepEqual(spec.task?.placement, {
    constraints: ['node.labels.zone==a', 'node.role!=manager'],
    preferences: [{ spread: 'node.labels.zone' }],
    maxReplicasPerNode: '2',
  });
  t.deepEqual(spec.endpoint?.ports, [
    { targetPort: 80, publishedPort: 8080 },
    { targetPort: 53, protocol: 'PORT_PROTOCOL_UDP' },
  ]);
  t.deepEqual(c.mounts, [{ type: 'MOUNT_TYPE_BIND', source: '/a', target: '/b', readOnly: true }]);
  t.deepEqual(c.secrets, [{ secretName: 'pw', target: 'db-pw' }]);
  t.deepEqual(c.configs, [{ configName: 'app', target: '/etc/app.conf', mode: 0o440 }]);
  t.deepEqual(spec.task?.networks, [{ target: 'backend', aliases: [] }]);
  t.is(c.stopGracePeriodMs, '30000');
  t.is(c.stopSignal, 'SIGINT');
  t.deepEqual(c.healthcheck, {
    test: ['CMD-SHELL', 'curl -f localhost'],
    intervalMs: '10000',
    timeoutMs: '2000',
    retries: '5',
    startPeriodMs: '60000',
  });
  t.true(c.readOnly);
  t.deepEqual(c.capabilityAdd, ['NET_ADMIN']);
  t.deepEqual(c.capabilityDrop, ['MKNOD']);
});

test('create: global mode, zero limits, and --no-healthcheck', (t) => {
  const spec = create({ mode: 'global', limitMemory: '0', limitCpu: '0', healthcheck: false });
  t.deepEqual(spec.global, {});
  t.is(spec.replicated, undefined);
  t.deepEqual(spec.task?.resources?.limits, { memoryBytes: '0', nanoCpus: '0' });
  t.deepEqual(spec.task?.container?.healthcheck, { test: ['NONE'] });
});

test('create: bad values and bad combinations name the flag', (t) => {
  const bad: [Partial<CreateServiceFlags>, string, string | RegExp][] = [
    [{ replicas: 'x' }, '--replicas', 'must be a whole number (0 or more), got "x"'],
    [{ replicas: '-2' }, '--replicas', /got "-2"/],
    [{ mode: 'global', replicas: '2' }, '--replicas', 'cannot be used with --mode global'],
    [
      { mode: 'global', replicasMaxPerNode: '1' },
      '--replicas-max-per-node',
      'cannot be used with --mode global',
    ],
    [{ mode: 'batch' }, '--mode', 'must be replicated or global, got "batch"'],
    [{ limitMemory: '64q' }, '--limit-memory', 'must be a size such as 64m, 512k or 1g, got "64q"'],
    [{ reserveMemory: 'lots' }, '--reserve-memory', /must be a size/],
    [{ limitCpu: 'half' }, '--limit-cpu', 'must be a number of CPUs such as 0.5 or 2, got "half"'],
    [{ reserveCpu: '0.001' }, '--reserve-cpu', 'must be at least 0.01 CPUs, got "0.001"'],
    [{ limitPids: '1e3' }, '--limit-pids', /whole number/],
    [{ restartDelay: '5' }, '--restart-delay', 'must be a duration such as 5s, 100ms or 1m30s, got "5"'],
    [{ restartWindow: '1 minute' }, '--restart-window', /must be a duration/],
    [
      { restartCondition: 'always' },
      '--restart-condition',
      'must be one of none, on-failure, any, got "always"',
    ],
    [{ restartMaxAttempts: 'many' }, '--restart-max-attempts', /whole number/],
    [{ updateDelay: '-1s' }, '--update-delay', /must be a duration/],
    [{ updateMonitor: '5x' }, '--update-monitor', /must be a duration/],
    [{ updateParallelism: 'all' }, '--update-parallelism', /whole number/],
    [
      { updateFailureAction: 'explode' },
      '--update-failure-action',
      'must be one of pause, continue, rollback, got "explode"',
    ],
    [
      { rollbackFailureAction: 'rollback' },
      '--rollback-failure-action',
      'must be one of pause, continue, got "rollback"',
    ],
    [{ updateOrder: 'random' }, '--update-order', /must be one of stop-first, start-first/],
    [{ updateMaxFailureRatio: 'ten percent' }, '--update-max-failure-ratio', /number such as 0.2/],
    [{ rollbackMonitor: 'soon' }, '--rollback-monitor', /must be a duration/],
    [{ stopGracePeriod: '10' }, '--stop-grace-period', /must be a duration/],
    [{ healthInterval: '1h1' }, '--health-interval', /must be a duration/],
    [{ healthRetries: 'x' }, '--health-retries', /whole number/],
    [{ healthcheck: false, healthCmd: 'true' }, '--no-healthcheck', 'cannot be combined with --health-cmd'],
    [{ healthCmd: ' ' }, '--health-cmd', 'must not be empty'],
    [{ env: ['NOVALUE'] }, '--env', 'must be KEY=VALUE, got "NOVALUE"'],
    [{ label: ['=x'] }, '--label', /KEY=VALUE/],
    [{ containerLabel: ['=x'] }, '--container-label', /KEY=VALUE/],
    [{ publish: ['80:80/sctp'] }, '--publish', /protocol must be tcp or udp/],
    [{ mount: ['type=bind,source=/a'] }, '--mount', /target=PATH is required/],
    [{ secret: ['pw,mode=9'] }, '--secret', /mode must be octal/],
    [{ config: ['app,colour=red'] }, '--config', /unknown field/],
    [{ placementPref: ['zone'] }, '--placement-pref', /spread=<label>/],
    [{ network: ['alias=x'] }, '--network', /name=NETWORK/],
    [{ entrypoint: '"unterminated' }, '--entrypoint', /unterminated/],
    [{ image: '' }, '--image', 'must not be empty'],
  ];
  for (const [flags, flag, message] of bad) refuses(t, () => create(flags), flag, message);
});

/** A complete spec as the manager returns it (defaults filled in), reduced to what these tests touch. */
function readSpec(): controlpb.ServiceSpec {
  return {
    annotations: { name: 'web', labels: { tier: 'web', old: 'x' } },
    task: {
      container: {
        image: 'host',
        args: ['sleep', '100'],
        env: ['A=1', 'B=2'],
        labels: { c: '1' },
        mounts: [{ type: 'MOUNT_TYPE_BIND', source: '/a', target: '/a', readOnly: false }],
        secrets: [{ secretId: 's1', secretName: 'pw', target: 'pw', uid: '0', gid: '0', mode: 0o444 }],
        configs: [{ configId: 'c1', configName: 'app', target: '/app', uid: '0', gid: '0', mode: 0o444 }],
        capabilityAdd: ['NET_ADMIN'],
        capabilityDrop: [],
        healthcheck: null,
        readOnly: false,
      },
      placement: { constraints: ['node.labels.zone==a'], preferences: [], maxReplicasPerNode: '0' },
      networks: [{ target: 'net-id-1', aliases: [] }],
      forceUpdate: '0',
    },
    replicated: { replicas: '2' },
    endpoint: { ports: [{ targetPort: 80, publishedPort: 8080, protocol: 'PORT_PROTOCOL_TCP' }] },
  };
}

const update = (f: UpdateServiceFlags, args: string[] = [], global = false): controlpb.ServiceSpec => {
  const spec = readSpec();
  applyServiceUpdate(spec, args, f, { global, networkIds: new Map([['backend', 'net-id-1']]) });
  return spec;
};

test('update: no flags change nothing', (t) => {
  t.deepEqual(update({}), readSpec());
});

test('update: scalar flags change only their field', (t) => {
  const spec = update({ image: '/srv/v2', replicas: '5', limitMemory: '128m', updateDelay: '1m30s' });
  const expected = readSpec();
  (expected.task as controlpb.TaskSpec).container = { ...expected.task?.container, image: '/srv/v2' };
  expected.replicated = { replicas: '5' };
  (expected.task as controlpb.TaskSpec).resources = { limits: { memoryBytes: String(128 * 2 ** 20) } };
  expected.update = { delayMs: '90000' };
  t.deepEqual(spec, expected);
});

test('update: env, labels and container labels are added and removed by key (rm first)', (t) => {
  const spec = update({
    envAdd: ['B=3', 'C=4'],
    envRm: ['A', 'B'],
    labelAdd: ['new=1', 'tier=api'],
    labelRm: ['old'],
    containerLabelAdd: ['d=2'],
    containerLabelRm: ['c'],
  });
  t.deepEqual(spec.task?.container?.env, ['B=3', 'C=4']);
  t.deepEqual(spec.annotations?.labels, { tier: 'api', new: '1' });
  t.deepEqual(spec.task?.container?.labels, { d: '2' });
  t.deepEqual(update({ envAdd: ['A=9'] }).task?.container?.env, ['A=9', 'B=2']);
});

test('update: constraints, preferences, ports, mounts, secrets, configs, networks and caps', (t) => {
  const spec = update({
    constraintAdd: ['node.role!=manager'],
    constraintRm: ['node.labels.zone == a'],
    placementPrefAdd: ['spread=node.labels.rack'],
    publishAdd: ['9090:90/udp'],
    publishRm: ['80'],
    mountAdd: ['type=tmpfs,target=/tmp'],
    mountRm: ['/a'],
    secretAdd: ['token'],
    secretRm: ['pw'],
    configAdd: ['app,target=/etc/app.conf'],
    configRm: ['app'],
    networkAdd: ['name=frontend,alias=web'],
    networkRm: ['backend'],
    capAdd: ['SYS_TIME'],
    capDrop: ['NET_ADMIN'],
  });
  t.deepEqual(spec.task?.placement?.constraints, ['node.role!=manager']);
  t.deepEqual(spec.task?.placement?.preferences, [{ spread: 'node.labels.rack' }]);
  t.deepEqual(spec.endpoint?.ports, [{ targetPort: 90, publishedPort: 9090, protocol: 'PORT_PROTOCOL_UDP' }]);
  t.deepEqual(spec.task?.container?.mounts, [{ type: 'MOUNT_TYPE_TMPFS', target: '/tmp' }]);
  t.deepEqual(spec.task?.container?.secrets, [{ secretName: 'token' }]);
  t.deepEqual(spec.task?.container?.configs, [{ configName: 'app', target: '/etc/app.conf' }]);
  t.deepEqual(spec.task?.networks, [{ target: 'frontend', aliases: ['web'] }]);
  t.deepEqual(spec.task?.container?.capabilityAdd, ['SYS_TIME']);
  t.deepEqual(spec.task?.container?.capabilityDrop, ['NET_ADMIN']);
});

test('update: an added item replaces the one with the same key', (t) => {
  const spec = update({
    publishAdd: ['8080:81'],
    mountAdd: ['type=bind,source=/b,target=/a,readonly'],
    networkAdd: ['backend'],
    secretAdd: ['pw2,target=pw'],
  });
  t.deepEqual(spec.endpoint?.ports, [{ targetPort: 81, publishedPort: 8080 }]);
  t.deepEqual(spec.task?.container?.mounts, [
    { type: 'MOUNT_TYPE_BIND', source: '/b', target: '/a', readOnly: true },
  ]);
  t.deepEqual(spec.task?.networks, [{ target: 'backend', aliases: [] }]);
  t.deepEqual(spec.task?.container?.secrets, [{ secretName: 'pw2', target: 'pw' }]);
});

test('update: args, health, read-only, --force', (t) => {
  const spec = update({ healthCmd: 'true', healthRetries: '2', readOnly: true, force: true }, ['sleep', '5']);
  t.deepEqual(spec.task?.container?.args, ['sleep', '5']);
  t.deepEqual(spec.task?.container?.healthcheck, { test: ['CMD-SHELL', 'true'], retries: '2' });
  t.true(spec.task?.container?.readOnly);
  t.is(spec.task?.forceUpdate, '1');
  t.is(update({ force: true, readOnly: false }).task?.forceUpdate, '1');
  t.false(update({ readOnly: false }).task?.container?.readOnly);
  t.deepEqual(update({ healthcheck: false }).task?.container?.healthcheck, { test: ['NONE'] });
});

test('update: bad values name the flag; --replicas on a global service is refused', (t) => {
  refuses(t, () => update({ replicas: '2' }, [], true), '--replicas', 'cannot be set on a global service');
  refuses(t, () => update({ replicasMaxPerNode: '2' }, [], true), '--replicas-max-per-node', /global/);
  refuses(t, () => update({ envAdd: ['X'] }), '--env-add', /KEY=VALUE/);
  refuses(t, () => update({ labelAdd: ['=1'] }), '--label-add', /KEY=VALUE/);
  refuses(t, () => update({ publishAdd: ['x:80'] }), '--publish-add', /PUBLISHED:TARGET/);
  refuses(t, () => update({ publishRm: ['eighty'] }), '--publish-rm', /PUBLISHED:TARGET/);
  refuses(t, () => update({ mountAdd: ['type=disk,target=/x'] }), '--mount-add', /type must be/);
  refuses(t, () => update({ secretAdd: ['x,mode=abc'] }), '--secret-add', /octal/);
  refuses(t, () => update({ configAdd: ['x,owner=me'] }), '--config-add', /unknown field/);
  refuses(t, () => update({ placementPrefRm: ['zone'] }), '--placement-pref-rm', /spread=/);
  refuses(t, () => update({ networkAdd: ['alias=a'] }), '--network-add', /name=NETWORK/);
  refuses(t, () => update({ limitCpu: '-1' }), '--limit-cpu', /number of CPUs/);
  refuses(t, () => update({ stopGracePeriod: 'forever' }), '--stop-grace-period', /duration/);
});
