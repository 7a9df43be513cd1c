// The cluster object and its join tokens through the Control API, over a real socket.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { rootCADigest } from '../../pki/index.js';
import { TEST_ROOT_CA, testCluster } from '../store/testing/index.js';
import { defaultClusterSpec } from './defaults.js';
import { rootCAJoinTokens } from './join-tokens.js';
import { assertStatus, type ControlHarness, startControlHarness } from './testing/index.js';
import { compileClusterSpec } from './validate-cluster.js';

const harnesses: ControlHarness[] = [];

test.after.always(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

const CLUSTER_ID = 'c1'.padEnd(25, '0');

async function withCluster(): Promise<ControlHarness> {
  const h = await startControlHarness();
  harnesses.push(h);
  await h.store.update((tx) => {
    tx.clusters.create({
      ...testCluster(CLUSTER_ID),
      joinTokens: { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' },
    });
  });
  return h;
}

test('GetCluster by name and id; ListClusters', async (t) => {
  const h = await withCluster();
  const { cluster } = await h.call('GetCluster', { clusterId: 'default' });
  t.is(cluster?.id, CLUSTER_ID);
  t.is(cluster?.spec?.taskHistoryRetentionLimit, '5');
  t.deepEqual(cluster?.spec?.dispatcher, {
    heartbeatPeriodMs: '5000',
    _heartbeatPeriodMs: 'heartbeatPeriodMs',
  });
  t.deepEqual(cluster?.joinTokens, { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' });
  t.is((await h.call('GetCluster', { clusterId: 'c1' })).cluster?.id, CLUSTER_ID);
  t.deepEqual(
    (await h.call('ListClusters', {})).clusters.map((c) => c.spec?.annotations?.name),
    ['default'],
  );
  await assertStatus(
    t,
    h.call('GetCluster', { clusterId: 'other' }),
    grpc.status.NOT_FOUND,
    'Cannot get cluster "other": no cluster has this id, name or id prefix',
  );
});

test('UpdateCluster changes task history, heartbeat, certificate expiry and snapshot interval', async (t) => {
  const h = await withCluster();
  const read = (await h.call('GetCluster', { clusterId: 'default' })).cluster;
  const { cluster } = await h.call('UpdateCluster', {
    clusterId: 'default',
    clusterVersion: read?.meta?.version ?? null,
    spec: {
      annotations: { name: 'default', labels: { env: 'test' } },
      taskHistoryRetentionLimit: 2,
      dispatcher: { heartbeatPeriodMs: 2000 },
      caConfig: { nodeCertExpiryMs: 7200_000 },
      raft: { snapshotInterval: 500 },
    },
  });
  const stored = await h.control.getCluster(CLUSTER_ID);
  t.deepEqual(stored.spec, {
    annotations: { name: 'default', labels: { env: 'test' } },
    taskHistoryRetentionLimit: 2,
    dispatcher: { heartbeatPeriodMs: 2000 },
    caConfig: { nodeCertExpiryMs: 7200_000 },
    raft: { snapshotInterval: 500, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500 },
    encryption: { autoLockManagers: false },
  });
  t.is(cluster?.spec?.raft?.snapshotInterval, '500');
  t.deepEqual(stored.joinTokens, { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' }, 'tokens are kept');
  await assertStatus(
    t,
    h.call('UpdateCluster', { clusterId: 'default', clusterVersion: read?.meta?.version ?? null, spec: {} }),
    grpc.status.ABORTED,
  );
});

test('UpdateCluster refuses a rename and out-of-range values, naming each field', async (t) => {
  const h = await withCluster();
  const read = (await h.call('GetCluster', { clusterId: 'default' })).cluster;
  await assertStatus(
    t,
    h.call('UpdateCluster', {
      clusterId: CLUSTER_ID,
      clusterVersion: read?.meta?.version ?? null,
      spec: {
        annotations: { name: 'prod' },
        taskHistoryRetentionLimit: -1,
        dispatcher: { heartbeatPeriodMs: 50 },
        caConfig: { nodeCertExpiryMs: 60_000 },
        raft: { snapshotInterval: 0, keepOldSnapshots: -1 },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot update cluster "default": spec.annotations.name: cannot be changed (the cluster is named "default"), got "prod"; ' +
      'spec.taskHistoryRetentionLimit: must be ≥ 0, got -1; spec.dispatcher.heartbeatPeriodMs: must be ≥ 100, got 50; ' +
      'spec.caConfig.nodeCertExpiryMs: must be ≥ 3600000 (1 hour), got 60000; spec.raft.snapshotInterval: must be ≥ 1, got 0; ' +
      'spec.raft.keepOldSnapshots: must be ≥ 0, got -1',
  );
});

test('`compileClusterSpec()` of an empty spec with a name is the default spec', (t) => {
  t.deepEqual(compileClusterSpec({ annotations: { name: 'default' } }), defaultClusterSpec());
});

test('GetJoinTokens returns the tokens; RotateJoinToken replaces one role’s token', async (t) => {
  const h = await withCluster();
  t.deepEqual((await h.call('GetJoinTokens', {})).joinTokens, {
    worker: 'SWMTKN-1-w',
    manager: 'SWMTKN-1-m',
  });
  const { joinTokens } = await h.call('RotateJoinToken', { role: 'NODE_ROLE_WORKER' });
  t.is(joinTokens?.manager, 'SWMTKN-1-m');
  t.regex(joinTokens?.worker ?? '', /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  t.true(joinTokens?.worker.startsWith(`SWMTKN-1-${rootCADigest(TEST_ROOT_CA.certificate)}-`));
  const second = (await h.call('RotateJoinToken', { role: 'NODE_ROLE_MANAGER' })).joinTokens;
  t.is(second?.worker, joinTokens?.worker);
  t.not(second?.manager, 'SWMTKN-1-m');
  t.not(second?.manager, joinTokens?.worker);
  t.deepEqual((await h.control.getCluster('default')).joinTokens, {
    worker: second?.worker,
    manager: second?.manager,
  });
  await assertStatus(
    t,
    h.call('RotateJoinToken', {}),
    grpc.status.INVALID_ARGUMENT,
    'Cannot rotate join token: role must be worker or manager, got "NODE_ROLE_UNSPECIFIED"',
  );
});

test('join tokens without a cluster are NOT_FOUND', async (t) => {
  const h = await startControlHarness();
  harnesses.push(h);
  await assertStatus(
    t,
    h.call('GetJoinTokens', {}),
    grpc.status.NOT_FOUND,
    'Cannot get join tokens of cluster: the cluster does not exist',
  );
  await assertStatus(t, h.call('RotateJoinToken', { role: 'NODE_ROLE_WORKER' }), grpc.status.NOT_FOUND);
});

test('`rootCAJoinTokens()` carries the root CA digest and a new secret on every draw', (t) => {
  const cluster = testCluster(CLUSTER_ID);
  let n = 0;
  const tokens = rootCAJoinTokens((k) => new Uint8Array(k).fill(++n));
  const first = tokens('worker', cluster);
  const second = tokens('manager', cluster);
  t.is(first.slice(0, 59), `SWMTKN-1-${rootCADigest(TEST_ROOT_CA.certificate)}`);
  t.is(first.slice(0, 59), second.slice(0, 59));
  t.not(first, second);
});
