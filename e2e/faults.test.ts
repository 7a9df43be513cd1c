// Real faults on a cluster of hosts (deploy/testnet: 3 managers and 3 workers, each host its own network
// namespace on a private bridge, each running its own swarmd), with a replicated service of 12 and a
// global service: a killed leader, a manager and a worker partitioned away, every manager restarted in
// turn, an agent restarted, every process of every host killed, 10 % frame loss. Each test checks
// correctness (counts, no loss, no duplicates, what the hosts really run) and prints what it measured;
// no assertion is about time.
import test, { type ExecutionContext } from 'ava';
import { runCli } from '../cli/testing/index.js';
import { waitUntil } from '../testing/index.js';
import { ok, running, swarmctl, type TaskJson, tasks } from './swarmctl.js';
import { FaultCluster, HOSTS, REPLICAS } from './testnet-cluster.js';

const MANAGERS = ['m1', 'm2', 'm3'];

function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** Prints one measurement line (TAP comment) the closing note quotes. */
function measured(t: ExecutionContext, what: string, figures: Record<string, number>): void {
  t.log(`measured: ${what}: ${JSON.stringify(figures)}`);
}

/** Writes a secret through `socket`'s manager; resolves with swarmctl's result. */
function writeSecret(socket: string, name: string) {
  return runCli(['--socket', socket, 'secret', 'create', name], { stdin: `value of ${name}` });
}

async function secretNames(c: FaultCluster, host: string): Promise<string[]> {
  const out = await ok(c.at(host), 'secret', 'ls');
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter((n) => n !== '')
    .sort();
}

async function nodeIdOf(c: FaultCluster, host: string): Promise<string> {
  const h = await c.net.host(host);
  const health = await c.net.health(host, h.addr);
  const id = health?.nodeId ?? health?.session?.nodeId ?? '';
  if (id === '') throw new Error(`no node id from ${host}'s /healthz`);
  return id;
}

/** Waits until `replicas` web tasks run on distinct slots, none on `nodeId`; returns the ms it took. */
async function replacedAway(c: FaultCluster, nodeId: string, t0: number): Promise<number> {
  await waitUntil(
    `${REPLICAS} web replicas running away from node ${nodeId}`,
    async () => {
      const counts = await c.runningCounts(await c.anyManager());
      if (counts === null) return false;
      const web = counts.web.filter((x) => x.nodeId !== nodeId);
      return web.length === REPLICAS && new Set(web.map((x) => x.slot)).size === REPLICAS;
    },
    90_000,
    250,
  );
  return since(t0);
}

/** Raft's view of each manager: applied index and store version, from /healthz inside its namespace. */
async function raftViews(c: FaultCluster): Promise<{ host: string; applied: number; version: number }[]> {
  const hs = await c.hosts();
  return Promise.all(
    hs
      .filter((h) => h.role === 'manager')
      .map(async (h) => {
        const health = await c.net.health(h.name, h.addr);
        return { host: h.name, applied: health?.applied ?? -1, version: health?.store?.version ?? -1 };
      }),
  );
}

test.serial(
  '1. kill -9 of the leader: a new leader, swarmctl keeps working, nothing lost or duplicated',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'fkill');
    const leader = await c.newLeader(MANAGERS, null);
    const leaderNode = await nodeIdOf(c, leader);
    const others = MANAGERS.filter((m) => m !== leader);

    const t0 = performance.now();
    await c.net.kill([leader]);
    const next = await c.newLeader(others, leader);
    const newLeaderMs = since(t0);
    t.not(next, leader);
    // swarmctl works through either survivor: a write each, then both read them.
    for (const h of others) {
      const r = await writeSecret(c.net.socket(h), `after-kill-${h}`);
      t.is(r.code, 0, r.stderr);
    }
    for (const h of others) t.deepEqual(await secretNames(c, h), others.map((o) => `after-kill-${o}`).sort());
    // Its host's agent died with it: its tasks move to the other nodes.
    const replacedMs = await replacedAway(c, leaderNode, t0);

    const t1 = performance.now();
    await c.net.start(leader);
    await c.settled('the old leader back');
    const reconvergedMs = since(t1);
    measured(t, 'kill -9 leader', { newLeaderMs, replacedMs, reconvergedAfterRestartMs: reconvergedMs });
  },
);

test.serial(
  '2. a manager partitioned away: the majority writes, the isolated one refuses, then catches up',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'fpart');
    const isolated = await c.newLeader(MANAGERS, null);
    const majority = MANAGERS.filter((m) => m !== isolated);

    const t0 = performance.now();
    await c.net.partition(isolated);
    const next = await c.newLeader(majority, isolated);
    const newLeaderMs = since(t0);
    const w = await writeSecret(c.net.socket(next), 'during-partition');
    t.is(w.code, 0, w.stderr);
    const refused = await writeSecret(c.net.socket(isolated), 'on-the-isolated-side');
    t.not(refused.code, 0);
    t.regex(
      refused.stderr,
      /knows no leader \(an election is under way, or it cannot reach a majority of the managers\)/,
    );
    t.log(`the isolated manager said: ${refused.stderr.trim()}`);

    const t1 = performance.now();
    await c.net.heal();
    // It catches up: every manager applied the same log to the same store version.
    await waitUntil(
      'the three managers at the same applied index and store version',
      async () => {
        const v = await raftViews(c);
        return (
          v.length === 3 &&
          v.every((x) => x.applied > 0 && x.applied === v[0]?.applied && x.version === v[0]?.version)
        );
      },
      60_000,
      250,
    );
    const caughtUpMs = since(t1);
    for (const h of MANAGERS) t.deepEqual(await secretNames(c, h), ['during-partition'], h);
    await c.settled('after healing');
    const reconvergedMs = since(t1);
    measured(t, 'partitioned manager (the leader)', { newLeaderMs, caughtUpMs, reconvergedMs });
  },
);

test.serial(
  '3. a worker partitioned away: its tasks are replaced; after healing the surplus is shut down',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'fwork');
    const nodeId = await nodeIdOf(c, 'w1');
    const t0 = performance.now();
    await c.net.partition('w1');
    const replacedMs = await replacedAway(c, nodeId, t0);
    const via = await c.anyManager();
    const agent = running(await tasks(via, 'agent'));
    t.is(agent.length, HOSTS.length - 1, 'the global service runs on the nodes it can reach');
    // The isolated worker's containers keep running meanwhile (it cannot know).
    t.true((await c.net.containers('w1')).length > 0);

    const t1 = performance.now();
    await c.net.heal();
    await c.settled('after healing');
    measured(t, 'partitioned worker', { replacedMs, reconvergedAfterHealMs: since(t1) });
  },
);

test.serial(
  '4. every manager restarted in turn: no acknowledged write lost, services never drop by more than a host',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'froll');
    const runningIds = async (): Promise<string[]> => {
      const counts = await c.runningCounts(await c.anyManager());
      return [...(counts?.web ?? []), ...(counts?.agent ?? [])].map((x) => x.id).sort();
    };
    const before = await runningIds();
    const acknowledged: string[] = [];
    const refusedWrites: string[] = [];
    let minWeb = Number.POSITIVE_INFINITY;
    let minAgent = Number.POSITIVE_INFINITY;
    let samples = 0;
    let stop = false;
    // Two writers, each through the managers in turn (one may be restarting: its writes are refused).
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const via = MANAGERS[(i + w) % MANAGERS.length] as string;
        const name = `rolling-${w}-${i}`;
        const r = await writeSecret(c.net.socket(via), name);
        if (r.code === 0) acknowledged.push(name);
        else refusedWrites.push(`${name} via ${via}: ${r.stderr.trim().split('\n')[0]}`);
      }
    };
    const writers = [writer(0), writer(1)];
    const sampler = (async () => {
      while (!stop) {
        for (const h of MANAGERS) {
          const counts = await c.runningCounts(c.at(h));
          if (counts === null) continue;
          samples++;
          minWeb = Math.min(minWeb, counts.web.length);
          minAgent = Math.min(minAgent, counts.agent.length);
          break;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    const restartMs: number[] = [];
    try {
      for (const m of MANAGERS) {
        const t0 = performance.now();
        await c.net.restart(m);
        await c.newLeader(MANAGERS, null);
        restartMs.push(since(t0));
      }
    } finally {
      stop = true;
      await Promise.all([...writers, sampler]);
    }
    t.true(acknowledged.length > 0);
    for (const m of MANAGERS) {
      const names = new Set(await secretNames(c, m));
      const lost = acknowledged.filter((n) => !names.has(n));
      t.deepEqual(lost, [], `acknowledged writes missing on ${m}`);
    }
    // No task was replaced or stopped: the very tasks that ran before run after (the samples, every
    // ~0.5 s, only bound the dips they happened to see).
    t.deepEqual(await runningIds(), before);
    const perHostWeb = REPLICAS / HOSTS.length;
    t.true(samples > 0);
    t.true(minWeb >= REPLICAS - perHostWeb, `web dropped to ${minWeb}`);
    t.true(minAgent >= HOSTS.length - 1, `agent dropped to ${minAgent}`);
    const reconvergedMs = await c.settled('after the rolling restart');
    measured(t, 'rolling manager restarts', {
      restartMs1: restartMs[0] ?? -1,
      restartMs2: restartMs[1] ?? -1,
      restartMs3: restartMs[2] ?? -1,
      acknowledgedWrites: acknowledged.length,
      refusedWrites: refusedWrites.length,
      minRunningWeb: minWeb,
      minRunningAgent: minAgent,
      reconvergedMs,
    });
  },
);

test.serial('5. an agent restarted: its containers keep running throughout and are re-adopted', async (t) => {
  t.timeout(10 * 60_000);
  const c = await FaultCluster.start(t, 'fagent');
  const via = c.at('m1');
  const nodeId = await nodeIdOf(c, 'w2');
  const onW2 = (ts: TaskJson[]) =>
    running(ts)
      .filter((x) => x.nodeId === nodeId)
      .map((x) => ({ id: x.id, pid: Number(x.status.container?.pid), restarts: x.status.restarts }))
      .sort((a, b) => a.id.localeCompare(b.id));
  const before = onW2([...(await tasks(via, 'web')), ...(await tasks(via, 'agent'))]);
  t.true(before.length >= 2);
  const containersBefore = (await c.net.containers('w2')).sort();
  t.deepEqual(containersBefore, before.map((x) => x.id).sort());

  // Every container's process is checked while the agent is down and comes back.
  let dead: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const x of before)
        try {
          process.kill(x.pid, 0);
        } catch {
          dead.push(x.id);
        }
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  const t0 = performance.now();
  try {
    await c.net.restart('w2');
  } finally {
    watching = false;
    await watcher;
  }
  const restartedMs = since(t0);
  dead = [...new Set(dead)];
  t.deepEqual(dead, [], 'a container died while its agent restarted');
  await waitUntil(
    'w2’s tasks reported again, unchanged',
    async () => {
      const after = onW2([...(await tasks(via, 'web')), ...(await tasks(via, 'agent'))]);
      return JSON.stringify(after) === JSON.stringify(before);
    },
    60_000,
    250,
  );
  t.deepEqual((await c.net.containers('w2')).sort(), containersBefore);
  measured(t, 'agent restart', { restartedUntilHealthyMs: restartedMs });
  await c.settled('after the agent restart');
});

test.serial(
  '6. every process of every host killed, then started: the cluster comes back with its state',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'fpower');
    t.is((await writeSecret(c.net.socket('m1'), 'before-power-loss')).code, 0);
    await c.net.kill([...HOSTS], { all: true });
    t.deepEqual(await c.containers(), [], 'nothing runs after the power loss');

    const t0 = performance.now();
    await c.net.run('start', '--no-wait', ...HOSTS);
    await c.newLeader(MANAGERS, null, 90_000);
    const leaderMs = since(t0);
    await c.settled('after the restart of every host', { timeoutMs: 180_000 });
    const reconvergedMs = since(t0);
    for (const m of MANAGERS) t.deepEqual(await secretNames(c, m), ['before-power-loss'], m);
    const services = await ok(c.at('m1'), 'service', 'ls');
    t.regex(services, /\bweb\b/);
    t.regex(services, /\bagent\b/);
    measured(t, 'power loss of every host', { leaderMs, reconvergedMs });
  },
);

test.serial('7. 10 % frame loss on every link: the cluster still converges', async (t) => {
  t.timeout(10 * 60_000);
  const c = await FaultCluster.start(t, 'floss');
  await c.net.loss(10);
  try {
    const t0 = performance.now();
    // Scale up and crash a container: both need the managers and the agents to talk.
    const via = await c.anyManager();
    const scaled = await swarmctl(via, 'service', 'scale', 'web=18', '--detach');
    t.is(scaled.code, 0, scaled.stderr);
    const scaledMs = await c.settled('18 replicas under loss', { replicas: 18 });
    const victim = running(await tasks(via, 'web'))[0] as TaskJson;
    process.kill(Number(victim.status.container?.pid), 'SIGKILL');
    await waitUntil(
      'the killed container replaced or restarted',
      async () => {
        const now = running(await tasks(via, 'web'));
        const same = now.find((x) => x.slot === victim.slot);
        return (
          same !== undefined && Number(same.status.container?.pid) !== Number(victim.status.container?.pid)
        );
      },
      60_000,
      250,
    );
    const repairedMs = await c.settled('repaired under loss', { replicas: 18 });
    measured(t, '10 % frame loss', {
      scaledTo18Ms: scaledMs,
      crashRepairedMs: repairedMs,
      totalMs: since(t0),
    });
  } finally {
    await c.net.loss(0);
  }
});

test.serial(
  '8. Prometheus scrapes every node; its series agree with swarmctl, before and after a fault',
  async (t) => {
    t.timeout(10 * 60_000);
    const c = await FaultCluster.start(t, 'fprom');
    const t0 = performance.now();
    await c.net.prometheus();
    const startedMs = since(t0);
    /** The value of a query that yields one series (NaN for none, or for several). */
    const one = async (expr: string): Promise<number> => {
      const r = await c.net.query(expr);
      return r.length === 1 ? (r[0]?.value ?? Number.NaN) : Number.NaN;
    };
    let last = '';
    /** Waits until the query's value equals what `expected` reads now (scrapes come every second). */
    const agrees = async (expr: string, expected: () => Promise<number> | number): Promise<void> => {
      await waitUntil(
        `Prometheus: ${expr}`,
        async () => {
          const [got, want] = [await one(expr), await expected()];
          last = `${expr} = ${got}, expected ${want}`;
          return got === want;
        },
        45_000,
        500,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last: ${last}`);
      });
      t.pass(last);
    };
    const byLeader = (expr: string): string => `sum(${expr} and on(instance) (swarmd_raft_leader == 1))`;
    const swarmctlRunning = async (service: string): Promise<number> =>
      running(await tasks(await c.anyManager(), service)).length;
    const swarmctlNodes = async (status: string): Promise<number> => {
      const nodes = JSON.parse(await ok(await c.anyManager(), 'node', 'ls', '--format', 'json')) as {
        status: { state: string };
      }[];
      return nodes.filter((n) => n.status.state === status).length;
    };

    await agrees('count(up == 1)', () => HOSTS.length);
    await agrees('count(swarmd_node_info)', () => HOSTS.length);
    await agrees('count(swarmd_node_info{role="manager"})', () => MANAGERS.length);
    await agrees('sum(swarmd_raft_leader)', () => 1);
    // The leader Prometheus names is the one the managers' /healthz name (a scrape may be a second old).
    await waitUntil(
      'Prometheus and /healthz agreeing on the leader',
      async () => {
        const leader = await c.leader();
        const promLeader = await c.net.query('swarmd_raft_leader == 1');
        return leader !== null && promLeader.length === 1 && promLeader[0]?.metric.host === leader;
      },
      30_000,
      500,
    );
    await agrees(byLeader('swarmd_nodes{state="ready"}'), () => swarmctlNodes('NODE_STATE_READY'));
    await agrees(byLeader('swarmd_tasks{service="web",state="running",desired_state="running"}'), () =>
      swarmctlRunning('web'),
    );
    await agrees(byLeader('swarmd_tasks{service="agent",state="running",desired_state="running"}'), () =>
      swarmctlRunning('agent'),
    );
    await agrees('sum(swarmd_agent_tasks{state="running"})', () => REPLICAS + HOSTS.length);
    await agrees('count(swarmd_agent_container_memory_bytes)', () => REPLICAS + HOSTS.length);

    // A worker loses power: Prometheus sees it down, and the cluster's series follow the repair.
    const t1 = performance.now();
    await c.net.kill(['w3'], { all: true });
    await agrees('up{host="w3"}', () => 0);
    await agrees(byLeader('swarmd_nodes{state="down"}'), () => 1);
    const downSeenMs = since(t1);
    await c.settled('w3 lost', { globalNodes: HOSTS.length - 1 });
    await agrees(byLeader('swarmd_nodes{state="down"}'), () => swarmctlNodes('NODE_STATE_DOWN'));
    await agrees(byLeader('swarmd_tasks{service="web",state="running",desired_state="running"}'), () =>
      swarmctlRunning('web'),
    );
    await agrees(byLeader('swarmd_tasks{service="agent",state="running",desired_state="running"}'), () =>
      swarmctlRunning('agent'),
    );
    await agrees('sum(swarmd_agent_tasks{state="running"})', () => REPLICAS + HOSTS.length - 1);
    await agrees('sum(swarmd_raft_leader)', () => 1);
    t.true((await one('sum(swarmd_dispatcher_missed_heartbeats_total)')) >= 1);
    measured(t, 'prometheus', { readyAndScrapingMs: startedMs, workerDownSeenMs: downSeenMs });
  },
);
