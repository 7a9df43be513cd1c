// Managers in this process, each with a real state dir, a real gRPC server on a loopback port and a Unix
// socket: init, restart, joins (and a refused one), writes through a follower, failover, and the typed
// error when no quorum is left. Waits are polls with a bound; nothing asserts on time.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { createLogger, isTemporary, type Logger, randomIdSource } from '../common/index.js';
import { CLIENT_CHANNEL_OPTIONS, clientCredentials, generateJoinToken, joinCluster } from '../pki/index.js';
import type { managerpb, Secret } from '../proto/index.js';
import { loadGrpcObject } from '../proto/index.js';
import { NoLeaderError } from './errors.js';
import { Manager } from './manager.js';
import { NODE_FILE } from './node-state.js';
import type { ManagerOptions } from './options.js';
import { freeLoopbackPorts, waitUntil } from './replication/testing/index.js';
import { VersionConflictError } from './store/index.js';
import { testSecret } from './store/testing/index.js';

const dirs = new Set<string>();
const managers = new Set<Manager>();

test.after.always(async () => {
  await Promise.all([...managers].map((m) => m.stop()));
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
});

/** Logs to stderr at SWARMD_TEST_LOG (e.g. debug) when set; nothing otherwise. */
function testLogger(name: string): Logger | undefined {
  const level = process.env.SWARMD_TEST_LOG;
  if (level === undefined) return undefined;
  return createLogger({ level: level as 'debug' }).child({ manager: name });
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'swarmd-mgr-'));
  dirs.add(d);
  return d;
}

const FAST = { tickMs: 50, electionTicks: 10, requestTimeoutMs: 5000 };

interface Running {
  readonly m: Manager;
  readonly done: Promise<void>;
}

async function start(name: string, options: ManagerOptions): Promise<Running> {
  const logger = testLogger(name);
  const m = new Manager({
    hostname: name,
    leaderWaitMs: 1500,
    raft: FAST,
    ...(logger === undefined ? {} : { logger }),
    ...options,
  });
  managers.add(m);
  const done = m.run();
  done.catch(() => {});
  await m.whenStarted();
  return { m, done };
}

/** Waits until every manager given agrees on one leader among them; returns it. */
async function leaderOf(ms: readonly Manager[]): Promise<Manager> {
  let leader: Manager | null = null;
  await waitUntil('one leader', () => {
    const l = ms.find((m) => m.status().isLeader);
    if (l === undefined) return false;
    const id = l.status().raftId;
    if (!ms.every((m) => m.status().leaderId === id)) return false;
    leader = l;
    return true;
  });
  return leader as unknown as Manager;
}

async function secretEverywhere(ms: readonly Manager[], id: string): Promise<Secret[]> {
  const out: Secret[] = [];
  for (const m of ms) {
    await m.linearizableRead();
    const s = m.store.view((tx) => tx.secrets.get(id));
    if (s === undefined) throw new Error(`secret ${id} missing on ${m.identity.nodeId}`);
    out.push(s);
  }
  return out;
}

/** A 3-manager cluster: init on the first, then two joins with the manager token. */
async function threeManagers(): Promise<{ runs: Running[]; dirs: string[]; addrs: string[]; token: string }> {
  const ds = [await tempDir(), await tempDir(), await tempDir()];
  const ports = await freeLoopbackPorts(3);
  const addrs = ports.map((p) => `127.0.0.1:${p}`);
  const first = await start('m1', {
    stateDir: ds[0] as string,
    mode: 'init',
    listenAddr: addrs[0] as string,
  });
  const cluster = await first.m.waitForCluster(10_000);
  const token = cluster.joinTokens.manager;
  const runs = [first];
  for (const i of [1, 2])
    runs.push(
      await start(`m${i + 1}`, {
        stateDir: ds[i] as string,
        mode: 'join',
        listenAddr: addrs[i] as string,
        joinAddr: addrs[0] as string,
        joinToken: token,
      }),
    );
  await waitUntil('3 voters', () => first.m.status().members.filter((m) => m.role === 'voter').length === 3);
  return { runs, dirs: ds, addrs, token };
}

test.serial(
  'init creates the Cluster and Node objects; a restart resumes with the same ids and data',
  async (t) => {
    const dir = await tempDir();
    const [port] = await freeLoopbackPorts(1);
    const a = await start('solo', { stateDir: dir, mode: 'init', listenAddr: `127.0.0.1:${port}` });
    const cluster = await a.m.waitForCluster(10_000);
    const id = a.m.identity;
    t.is(cluster.id, id.clusterId);
    t.is(cluster.spec.annotations.name, 'default');
    t.is(cluster.spec.taskHistoryRetentionLimit, 5);
    t.is(cluster.spec.dispatcher.heartbeatPeriodMs, 1000);
    t.is(cluster.spec.caConfig.nodeCertExpiryMs, 90 * 24 * 3600 * 1000);
    t.is(cluster.spec.raft.snapshotInterval, 10_000);
    t.regex(cluster.joinTokens.manager, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    t.regex(cluster.joinTokens.worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    t.not(cluster.joinTokens.manager, cluster.joinTokens.worker);
    // The digest part is the cluster's; the secret differs.
    t.is(cluster.joinTokens.manager.slice(0, 59), cluster.joinTokens.worker.slice(0, 59));
    await waitUntil('own Node object', () => a.m.store.view((tx) => tx.nodes.get(id.nodeId)) !== undefined);
    const self = a.m.store.view((tx) => tx.nodes.get(id.nodeId));
    t.is(self?.role, 'manager');
    t.is(self?.spec.desiredRole, 'manager');
    t.is(self?.spec.availability, 'active');
    t.is(self?.description?.hostname, 'solo');
    t.is(self?.managerStatus?.raftId, id.raftId.toString(16));
    t.is(self?.managerStatus?.addr, `127.0.0.1:${port}`);
    t.is(id.advertiseAddr, `127.0.0.1:${port}`);
    const sock = a.m.socketPath as string;
    t.is((await stat(sock)).mode & 0o777, 0o600);
    t.is((await stat(join(dir, NODE_FILE))).mode & 0o777, 0o600);
    await a.m.store.update((tx) => tx.secrets.create(testSecret(randomIdSource.newId(), 'kept', 'v1')));
    const before = a.m.store.view((tx) => tx.secrets.find()).map((s) => s.id);

    await a.m.stop();
    await a.done;
    await t.throwsAsync(stat(sock), { code: 'ENOENT' }, 'the socket is removed');

    // `run` resumes from the recorded listen address, `init` on a node's dir resumes too.
    for (const mode of ['run', 'init'] as const) {
      const b = await start('solo', { stateDir: dir, mode });
      t.deepEqual(b.m.identity, id);
      await b.m.linearizableRead();
      t.deepEqual(
        b.m.store.view((tx) => tx.secrets.find()).map((s) => s.id),
        before,
      );
      t.is(b.m.cluster()?.joinTokens.manager, cluster.joinTokens.manager);
      await b.m.stop();
      await b.done;
    }
  },
);

test.serial('state dir rules: join on a member dir, run on an empty dir', async (t) => {
  const dir = await tempDir();
  const [port] = await freeLoopbackPorts(1);
  const a = await start('solo', { stateDir: dir, mode: 'init', listenAddr: `127.0.0.1:${port}` });
  // Another manager on the same dir is refused while the first serves it.
  const twin = new Manager({ stateDir: dir, mode: 'run', listenAddr: '127.0.0.1:0' });
  await t.throwsAsync(twin.run(), { code: 'ERR_MANAGER_STATE_DIR', message: /another swarmd serves it/ });
  await a.m.stop();
  const joining = new Manager({
    stateDir: dir,
    mode: 'join',
    joinAddr: '127.0.0.1:1',
    joinToken: `SWMTKN-1-${'0'.repeat(50)}-${'1'.repeat(25)}`,
  });
  await t.throwsAsync(joining.run(), {
    code: 'ERR_MANAGER_STATE_DIR',
    message: /already belongs to cluster .* resume it with "swarmd run --state-dir/,
  });
  const empty = await tempDir();
  await t.throwsAsync(new Manager({ stateDir: empty, mode: 'run' }).run(), {
    code: 'ERR_MANAGER_STATE_DIR',
    message: /holds no swarmd node/,
  });
});

test.serial(
  'three managers: joins, a refused token, writes through a follower, failover, no quorum',
  async (t) => {
    const { runs, dirs: ds, addrs } = await threeManagers();
    const ms = runs.map((r) => r.m);
    const ids = ms.map((m) => m.identity);
    t.is(new Set(ids.map((i) => i.clusterId)).size, 1);
    t.is(new Set(ids.map((i) => i.raftId)).size, 3);
    // Every manager has its Node object, with its raft id.
    await ms[0]?.linearizableRead();
    for (const id of ids) {
      const n = ms[0]?.store.view((tx) => tx.nodes.get(id.nodeId));
      t.is(n?.role, 'manager', id.nodeId);
      t.is(n?.managerStatus?.raftId, id.raftId.toString(16));
    }

    // A wrong token is refused, through a follower too, and nothing changes.
    const leader = await leaderOf(ms);
    const follower = ms.find((m) => m !== leader) as Manager;
    const nodesBefore = leader.store.view((tx) => tx.nodes.count());
    const membersBefore = leader.status().members.length;
    const badDir = await tempDir();
    const [badPort] = await freeLoopbackPorts(1);
    const bad = new Manager({
      stateDir: badDir,
      mode: 'join',
      listenAddr: `127.0.0.1:${badPort}`,
      joinAddr: follower.status().advertiseAddr as string,
      joinToken: generateJoinToken(leader.credentials.rootCAPem, () => new Uint8Array(16).fill(7)),
    });
    managers.add(bad);
    const err = await t.throwsAsync(bad.run());
    t.is((err as { code?: string }).code, 'ERR_CA_TOKEN_REFUSED');
    t.regex(err?.message ?? '', /the token is not a current join token of this cluster/);
    await t.throwsAsync(stat(join(badDir, NODE_FILE)), { code: 'ENOENT' });
    await leader.linearizableRead();
    t.is(
      leader.store.view((tx) => tx.nodes.count()),
      nodesBefore,
    );
    t.is(leader.status().members.length, membersBefore);

    // A write through a follower reaches the leader and every manager; the follower reads its own write.
    const sid = randomIdSource.newId();
    await follower.store.update((tx) => tx.secrets.create(testSecret(sid, 'via-follower', 'v1')));
    t.truthy(
      follower.store.view((tx) => tx.secrets.get(sid)),
      'read-your-write on the follower',
    );
    const copies = await secretEverywhere(ms, sid);
    t.is(new Set(copies.map((s) => s.meta.version)).size, 1);
    // A stale update through the follower gets the store's own conflict error.
    const stale = copies[0] as Secret;
    await follower.store.update((tx) =>
      tx.secrets.update({ ...stale, spec: { ...stale.spec, data: new Uint8Array([2]) } }),
    );
    await t.throwsAsync(
      follower.store.update((tx) =>
        tx.secrets.update({ ...stale, spec: { ...stale.spec, data: new Uint8Array([3]) } }),
      ),
      { instanceOf: VersionConflictError },
    );

    // Stop the leader: the other two elect one, and writes go on (through whichever is a follower).
    await leader.stop();
    const rest = ms.filter((m) => m !== leader);
    const newLeader = await leaderOf(rest);
    const other = rest.find((m) => m !== newLeader) as Manager;
    const sid2 = randomIdSource.newId();
    await other.store.update((tx) => tx.secrets.create(testSecret(sid2, 'after-failover')));
    await secretEverywhere(rest, sid2);

    // Stop one more: the survivor has no quorum; a write waits for a leader, then fails, typed and retryable.
    await newLeader.stop();
    await waitUntil('the survivor sees no leader', () => other.status().leaderId === null);
    const noLeader = await t.throwsAsync(
      other.store.update((tx) => tx.secrets.create(testSecret(randomIdSource.newId(), 'lost'))),
      { instanceOf: NoLeaderError },
    );
    t.is(noLeader?.code, 'ERR_MANAGER_NO_LEADER');
    t.true(isTemporary(noLeader));
    t.regex(noLeader?.message ?? '', /no leader/);
    await other.stop();

    // All three come back from their state dirs, with everything written.
    const back = [];
    for (const [i, d] of ds.entries())
      back.push((await start(`m${i + 1}`, { stateDir: d, mode: 'run', listenAddr: addrs[i] as string })).m);
    await leaderOf(back);
    await secretEverywhere(back, sid);
    await secretEverywhere(back, sid2);
    t.deepEqual(
      back.map((m) => m.identity),
      ids.map((i) => ({ ...i })),
    );
    for (const m of back) await m.stop();
  },
);

/** A Membership client that presents `creds` (a manager's certificate). */
function membershipClient(
  address: string,
  creds: { keyPem: string; certPem: string; rootCAPem: string },
): managerpb.MembershipClient {
  const { Membership } = loadGrpcObject('manager').swarmd.manager;
  return new Membership(address, clientCredentials(creds), CLIENT_CHANNEL_OPTIONS);
}

test.serial('a learner whose joiner never came up is replaced; a manager leaves', async (t) => {
  const [p1, p2] = await freeLoopbackPorts(2);
  const a1 = `127.0.0.1:${p1}`;
  const a2 = `127.0.0.1:${p2}`;
  const first = await start('m1', { stateDir: await tempDir(), mode: 'init', listenAddr: a1 });
  const token = (await first.m.waitForCluster(10_000)).joinTokens.manager;
  // A joiner that got its certificate and its answer, and died before recording it: a learner at a2 that
  // never comes up.
  const ghostCreds = await joinCluster({ address: a1, token, hostname: 'ghost', role: 'manager' });
  const client = membershipClient(a1, ghostCreds);
  const ghost = await new Promise<managerpb.JoinResponse__Output>((resolve, reject) =>
    client.Join({ token, advertiseAddr: a2, nodeId: ghostCreds.nodeId, hostname: 'ghost' }, (err, res) =>
      err ? reject(err) : resolve(res as managerpb.JoinResponse__Output),
    ),
  );
  t.true(
    first.m
      .status()
      .members.some((m) => m.raftId === BigInt(ghost.raftId).toString(16) && m.role === 'learner'),
  );
  // Its retry (a new node id, the same address) replaces it.
  const second = await start('m2', {
    stateDir: await tempDir(),
    mode: 'join',
    listenAddr: a2,
    joinAddr: a1,
    joinToken: token,
  });
  const rid = second.m.identity.raftId.toString(16);
  await waitUntil('m2 a voter', () =>
    first.m.status().members.some((m) => m.raftId === rid && m.role === 'voter'),
  );
  t.false(first.m.status().members.some((m) => m.raftId === BigInt(ghost.raftId).toString(16)));
  await first.m.linearizableRead();
  t.is(
    first.m.store.view((tx) => tx.nodes.get(ghost.nodeId)),
    undefined,
  );
  t.is(
    first.m.store.view((tx) => tx.nodes.count()),
    2,
  );

  // Leave: m2 is removed (through the leader), stops, and its Node object goes.
  await second.m.leave();
  await second.done;
  t.is(second.m.state, 'stopped');
  t.deepEqual(
    first.m.status().members.map((m) => m.raftId),
    [first.m.identity.raftId.toString(16)],
  );
  t.is(
    first.m.store.view((tx) => tx.nodes.get(second.m.identity.nodeId)),
    undefined,
  );
  // The ghost was removed: its certificate, still unexpired, is refused from now on.
  const refused = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.Leave({ nodeId: randomIdSource.newId() }, (e) => resolve(e)),
  );
  t.is(refused?.code, grpc.status.PERMISSION_DENIED);
  t.regex(refused?.details ?? '', /was removed from the cluster/);
  client.close();
  // Leaving an unknown node: NOT_FOUND.
  const admin = membershipClient(first.m.status().advertiseAddr as string, first.m.credentials);
  const err = await new Promise<grpc.ServiceError | null>((resolve) =>
    admin.Leave({ nodeId: randomIdSource.newId() }, (e) => resolve(e)),
  );
  t.is(err?.code, grpc.status.NOT_FOUND);
  admin.close();
  await first.m.stop();
});

/** Every byte of every file under `dir`. */
async function allBytes(dir: string): Promise<Buffer> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(await readFile(join(e.parentPath, e.name)));
  return Buffer.concat(out);
}

test.serial(
  'autolock: a restarted manager stays locked without the unlock key; the right key opens it; data at rest is sealed',
  async (t) => {
    const dir = await tempDir();
    const [port] = await freeLoopbackPorts(1);
    const listenAddr = `127.0.0.1:${port}`;
    const a = await start('locked', { stateDir: dir, mode: 'init', listenAddr });
    const cluster = await a.m.waitForCluster(10_000);
    const marker = 'plaintext-secret-that-must-not-reach-the-disk';
    await a.m.store.update((tx) => {
      tx.secrets.create(testSecret('s1'.padEnd(25, '0'), 'db', marker));
      const c = tx.clusters.get(cluster.id);
      if (c !== undefined)
        tx.clusters.update({ ...c, spec: { ...c.spec, encryption: { autoLockManagers: true } } });
    });
    let key = '';
    await waitUntil('the leader made the unlock key', () => {
      key = a.m.cluster()?.unlockKey ?? '';
      return key !== '';
    });
    t.regex(key, /^SWMKEY-1-/);
    const { readDataKeyState } = await import('./replication/index.js');
    await waitUntil(
      'the data key sealed',
      async () => (await readDataKeyState(join(dir, 'raft'))) === 'locked',
    );
    t.false((await allBytes(join(dir, 'raft'))).includes(Buffer.from(marker)), 'no secret in clear on disk');
    await a.m.stop();

    await t.throwsAsync(new Manager({ stateDir: dir, mode: 'run', raft: FAST }).run(), {
      code: 'ERR_ENCRYPTION_LOCKED',
    });
    const wrong = `SWMKEY-1-${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    await t.throwsAsync(new Manager({ stateDir: dir, mode: 'run', raft: FAST, unlockKey: wrong }).run(), {
      code: 'ERR_ENCRYPTION_WRONG_UNLOCK_KEY',
    });
    const b = await start('unlocked', { stateDir: dir, mode: 'run', unlockKey: key });
    await b.m.linearizableRead();
    t.is(
      b.m.store.view((tx) => tx.secrets.find().length),
      1,
      'the data is back',
    );
    // Autolock off: the key goes, and the data key is stored unsealed again (a restart needs nothing).
    await b.m.store.update((tx) => {
      const c = tx.clusters.get(cluster.id);
      if (c !== undefined)
        tx.clusters.update({ ...c, spec: { ...c.spec, encryption: { autoLockManagers: false } } });
    });
    await waitUntil(
      'the data key unsealed',
      async () => (await readDataKeyState(join(dir, 'raft'))) === 'unlocked',
    );
    t.is(b.m.cluster()?.unlockKey, '');
    await b.m.stop();
  },
);
