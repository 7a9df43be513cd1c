import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { nullLogger, SeededRand } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import type { dispatcherpb, NodeDescription, TaskStatus } from '../../proto/index.js';
import { Session, type SessionInfo } from './session.js';
import { StatusReporter } from './status-reporter.js';
import { eventually, FakeDispatcher } from './testing/index.js';

const description: NodeDescription = {
  hostname: 'agent-7',
  platform: { os: 'linux', architecture: 'x86_64' },
  resources: { nanoCpus: 2e9, memoryBytes: 1024 },
  engine: { version: 'test', labels: { zone: 'a' } },
};

interface Rig {
  clock: FakeClock;
  dir: string;
  server(name: string, options?: Partial<ConstructorParameters<typeof Object>[0]>): Promise<FakeDispatcher>;
  session(
    managers: string[],
    onAssignments?: (m: dispatcherpb.AssignmentsMessage__Output) => Promise<'applied' | 'resync'>,
  ): Session;
  opened: SessionInfo[];
}

async function rig(t: { teardown(fn: () => Promise<void> | void): void }): Promise<Rig> {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'swd-'));
  const servers: FakeDispatcher[] = [];
  const sessions: Session[] = [];
  const opened: SessionInfo[] = [];
  t.teardown(async () => {
    for (const s of sessions) await s.stop();
    for (const s of servers) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    clock,
    dir,
    opened,
    async server(name, options = {}) {
      const s = await FakeDispatcher.start({ socketPath: join(dir, `${name}.sock`), clock, ...options });
      servers.push(s);
      return s;
    },
    session(managers, onAssignments = async () => 'applied') {
      const s = new Session({
        managers,
        credentials: grpc.credentials.createInsecure(),
        metadata: () => {
          const md = new grpc.Metadata();
          md.set('x-swarmd-test-node-id', 'node-7');
          return md;
        },
        describe: async () => description,
        onAssignments,
        onSession: (info) => opened.push(info),
        clock,
        logger: nullLogger,
        rand: new SeededRand(7),
      });
      sessions.push(s);
      void s.run();
      return s;
    },
  };
}

test('a follower refuses with ERR_DISPATCHER_NOT_LEADER and names the leader: the agent fails over to it', async (t) => {
  const r = await rig(t);
  const leader = await r.server('b');
  const follower = await r.server('a', { leader: false, managers: [leader.address] });
  const s = r.session([follower.address]);
  await eventually('a session with the leader', () => s.current()?.manager === leader.address, {
    clock: r.clock,
    advanceMs: 50,
  });
  t.is(leader.sessions.length, 1);
  t.is(leader.sessions[0]?.nodeId, 'node-7');
  t.is(leader.sessions[0]?.description.hostname, 'agent-7');
  t.deepEqual(leader.sessions[0]?.description.engineLabels, { zone: 'a' });
  t.is(s.current()?.sessionId, 'session-1');
  t.is(s.current()?.heartbeatPeriodMs, 1000);
  t.deepEqual(s.managers(), [follower.address, leader.address]);
  t.is(r.opened.length, 1);
});

test('with no hint, the agent tries the next configured manager', async (t) => {
  const r = await rig(t);
  const follower = await r.server('a', { leader: false });
  const leader = await r.server('b');
  const s = r.session([follower.address, leader.address]);
  await eventually('a session with the leader', () => s.current()?.manager === leader.address, {
    clock: r.clock,
    advanceMs: 50,
  });
  t.is(leader.sessions.length, 1);
});

test('heartbeats keep the period the dispatcher gives', async (t) => {
  const r = await rig(t);
  const d = await r.server('a', { heartbeatPeriodMs: 1000, nextPeriodMs: 1500 });
  const s = r.session([d.address]);
  await eventually('a session', () => s.current() !== null);
  const t0 = s.current()?.establishedAt ?? 0;
  r.clock.advance(999);
  // A round trip on the same channel: a heartbeat sent before it would have arrived first.
  await s.updateTaskStatus([]);
  t.is(d.heartbeats.length, 0);
  r.clock.advance(1);
  await eventually('the first heartbeat', () => d.heartbeats.length === 1);
  t.is(d.heartbeats[0]?.at, t0 + 1000);
  // The answer asked for 1500 ms from now.
  await eventually('the answer', () => s.current()?.lastHeartbeatAt === t0 + 1000);
  t.is(s.current()?.heartbeatPeriodMs, 1500);
  r.clock.advance(1499);
  await s.updateTaskStatus([]);
  t.is(d.heartbeats.length, 1);
  r.clock.advance(1);
  await eventually('the second heartbeat', () => d.heartbeats.length === 2);
  t.is(d.heartbeats[1]?.at, t0 + 2500);
});

test('when the dispatcher ends the session, the agent opens a new one after a backoff', async (t) => {
  const r = await rig(t);
  const d = await r.server('a');
  const s = r.session([d.address]);
  await eventually('a session', () => s.current() !== null);
  d.endSessions();
  await eventually('the session is gone', () => s.current() === null);
  // The backoff runs on the fake clock: nothing happens until it moves.
  t.is(d.sessions.length, 1);
  await eventually('a new session', () => s.current()?.sessionId === 'session-2', {
    clock: r.clock,
    advanceMs: 25,
  });
  t.is(r.opened.length, 2);
  t.is(s.sessionsOpened, 2);
});

test('assignments reach the worker in order; a resync reopens the stream', async (t) => {
  const r = await rig(t);
  const d = await r.server('a');
  const got: string[] = [];
  let answer: 'applied' | 'resync' = 'applied';
  const s = r.session([d.address], async (m) => {
    got.push(`${m.type}:${m.appliesTo}->${m.resultsIn}`);
    return answer;
  });
  await eventually('the first set', () => got.length === 1);
  t.is(s.current()?.sessionId, 'session-1');
  d.sendAssignments({ type: 'INCREMENTAL', appliesTo: 1, resultsIn: 2, changes: [] });
  await eventually('the change', () => got.length === 2);
  answer = 'resync';
  d.sendAssignments({ type: 'INCREMENTAL', appliesTo: 5, resultsIn: 6, changes: [] });
  await eventually('a second stream', () => d.assignmentRequests.length === 2);
  answer = 'applied';
  await eventually('its COMPLETE set', () => got.length === 4);
  t.deepEqual(got, ['COMPLETE:0->1', 'INCREMENTAL:1->2', 'INCREMENTAL:5->6', 'COMPLETE:0->1']);
  // The session itself stayed.
  t.is(d.sessions.length, 1);
});

function running(restarts: number): TaskStatus {
  return {
    state: 'RUNNING',
    timestamp: 1_700_000_000_123,
    message: 'started',
    err: '',
    container: { containerId: 'c1', pid: 42, exitCode: 0, oomKilled: false },
    portStatus: [],
    restarts,
  };
}

test('a status that fails to send is retried with backoff and arrives', async (t) => {
  const r = await rig(t);
  const d = await r.server('a');
  const s = r.session([d.address]);
  await eventually('a session', () => s.current() !== null);
  const reporter = new StatusReporter({
    send: (reports) => s.updateTaskStatus(reports),
    clock: r.clock,
    rand: new SeededRand(1),
    logger: nullLogger,
  });
  t.teardown(() => reporter.stop());
  d.failStatusUpdates = 1;
  reporter.report('task1', running(0));
  await eventually('the retry timer', () => reporter.pending === 1 && r.clock.pendingTimers >= 2);
  t.is(d.statusUpdates.length, 0);
  // A newer status replaces the failed one.
  reporter.report('task1', running(1));
  await eventually('the retried batch', () => d.statusUpdates.length === 1, {
    clock: r.clock,
    advanceMs: 20,
  });
  await reporter.idle();
  t.deepEqual(d.statusUpdates[0], [
    {
      taskId: 'task1',
      state: 'RUNNING',
      timestamp: '1700000000123',
      message: 'started',
      err: '',
      container: { containerId: 'c1', pid: '42', exitCode: '0', oomKilled: false },
      restarts: '1',
    },
  ]);
});

test('statuses sent with no session are kept and go out on the next one', async (t) => {
  const r = await rig(t);
  const d = await r.server('a');
  const s = r.session([d.address]);
  const reporter = new StatusReporter({
    send: (reports) => s.updateTaskStatus(reports),
    clock: r.clock,
    rand: new SeededRand(1),
    logger: nullLogger,
  });
  t.teardown(() => reporter.stop());
  reporter.report('task1', running(0));
  await eventually('the session', () => s.current() !== null);
  reporter.kick();
  await eventually('the status', () => d.statusUpdates.length === 1, { clock: r.clock, advanceMs: 20 });
  t.is(d.statusUpdates[0]?.[0]?.taskId, 'task1');
});
