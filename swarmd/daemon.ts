/**
 * `swarmd init | join | run`: the manager in the foreground. Logs are JSON lines on stderr; the lines for
 * people (the join commands) go to stdout. SIGTERM or SIGINT stops it gracefully (exit 0); a failure to
 * start or a fatal error exits 1.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createLogger, errorMessage, type Logger, randomSeededRand, systemClock } from '../common/index.js';
import { serveControlApi } from '../manager/controlapi/index.js';
import type { ManagerService } from '../manager/index.js';
import {
  joinWithToken,
  Manager,
  readNodeState,
  StateDirError,
  serveRunningCluster,
} from '../manager/index.js';
import {
  CertificateRenewer,
  loadNodeCredentials,
  parseNodeCertificate,
  renewableClientCredentials,
} from '../pki/index.js';
import type { Cluster } from '../proto/index.js';
import type { DaemonConfig } from './cluster-flags.js';
import { daemonRegistry } from './daemon-metrics.js';
import { type HealthServer, health, startHealthServer, workerHealth } from './health-server.js';
import { isLocked, waitForUnlock } from './locked.js';
import { type NodeAgent, startNodeAgent } from './node-agent.js';
import { readWorkerState, type WorkerState, writeWorkerState } from './worker-state.js';

export interface DaemonIo {
  out(text: string): void;
  err(text: string): void;
  /** Log lines (JSON), one per call. @default stderr */
  log?: (line: string) => void;
}

/**
 * The services the daemon registers on the manager: the Control API (swarmctl) and the running cluster
 * (dispatcher, log broker; orchestrators and scheduler while leading), on every manager.
 */
const SERVICES: readonly ManagerService[] = [
  (ctx) => {
    serveControlApi(ctx);
  },
  serveRunningCluster(),
];

/** The lines `swarmd init` prints: the cluster id and the join commands. */
export function joinInstructions(
  clusterId: string,
  nodeId: string,
  address: string,
  tokens: { manager: string; worker: string },
  socketPath: string | null,
  created: boolean,
  unlockKey = '',
): string {
  return [
    created
      ? `Cluster ${clusterId} created; this node (${nodeId}) is its first manager.`
      : `Cluster ${clusterId}: this node (${nodeId}) is a manager.`,
    '',
    'To add a manager to this cluster, run on the new host:',
    '',
    `    swarmd join --token ${tokens.manager} ${address}`,
    '',
    'To add a worker to this cluster, run on the new host:',
    '',
    `    swarmd join --token ${tokens.worker} ${address}`,
    '',
    ...(unlockKey === ''
      ? []
      : [
          'Autolock is on: a manager that restarts stays locked until it is given this unlock key',
          `("swarmd unlock"; swarmctl cluster unlock-key shows it again). Keep it safe:`,
          '',
          `    ${unlockKey}`,
          '',
        ]),
    ...(socketPath === null
      ? []
      : [`swarmctl reaches this manager with --socket ${socketPath} (or SWARM_SOCKET=${socketPath}).`, '']),
  ].join('\n');
}

/**
 * `swarmd init --autolock`: turns autolock on in the new cluster and waits for the leader to make the
 * unlock key; the Cluster object then holds it.
 */
async function turnOnAutolock(manager: Manager, clusterId: string): Promise<Cluster> {
  const store = manager.store;
  await store.update((tx) => {
    const c = tx.clusters.get(clusterId);
    if (c === undefined || c.spec.encryption.autoLockManagers) return;
    tx.clusters.update({ ...c, spec: { ...c.spec, encryption: { autoLockManagers: true } } });
  });
  const { result, watcher } = store.viewAndWatch((tx) => tx.clusters.get(clusterId), { kinds: ['cluster'] });
  try {
    if (result !== undefined && result.unlockKey !== '') return result;
    for await (const e of watcher)
      if (e.kind === 'cluster' && e.object.unlockKey !== '') return e.object as Cluster;
  } finally {
    watcher.close();
  }
  throw new Error('the store closed before the unlock key was made');
}

/** Runs the daemon until a signal stops it; returns the exit code. */
export async function runDaemon(config: DaemonConfig, io: DaemonIo): Promise<number> {
  const logger = createLogger({
    level: config.logLevel,
    ...(io.log === undefined ? {} : { sink: io.log }),
  });
  let worker: WorkerState | null;
  try {
    worker = await workerToRun(config);
  } catch (err) {
    io.err(`swarmd: ${errorMessage(err)}\n`);
    return 1;
  }
  return worker === null ? runManager(config, io, logger) : runWorker(config, io, logger, worker);
}

/**
 * The worker this run is, or null for a manager: `run` on a worker's dir, or `join` with a token the CA
 * says is a worker's (the certificate is obtained here; a manager's is left for the Manager to use).
 */
async function workerToRun(config: DaemonConfig): Promise<WorkerState | null> {
  const dir = config.stateDir;
  if (config.mode === 'init') return null;
  const state = await readWorkerState(dir);
  if (config.mode === 'run') return state;
  if (state !== null)
    throw new StateDirError(
      dir,
      `it already belongs to cluster ${state.clusterId} as a worker (node ${state.nodeId}); resume it with "swarmd run --state-dir ${dir}", or join with an empty state dir`,
    );
  if ((await readNodeState(dir)) !== null) return null; // the Manager refuses it, with its message
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A join retried after the CA answered reuses the certificate it got.
  const saved = await loadNodeCredentials(dir);
  const joined =
    saved === null
      ? await joinWithToken(dir, {
          address: config.joinAddr as string,
          token: config.joinToken as string,
          hostname: hostname(),
        })
      : parseNodeCertificate(saved.certPem);
  if (joined.role === 'manager') return null;
  const st = {
    nodeId: joined.nodeId,
    clusterId: joined.clusterId,
    managers: [config.joinAddr as string],
    createdAt: Date.now(),
  };
  await writeWorkerState(dir, st);
  return st;
}

/** A worker: only the agent, with the node's certificate, until a signal stops it. */
async function runWorker(
  config: DaemonConfig,
  io: DaemonIo,
  logger: Logger,
  st: WorkerState,
): Promise<number> {
  const log = logger.child({ module: 'swarmd' });
  if (config.agent === null || config.agent === undefined) {
    io.err('swarmd: a worker runs an agent: give --runtime-root and --cgroup-parent\n');
    return 2;
  }
  const credentials = await loadNodeCredentials(config.stateDir);
  if (credentials === null) {
    io.err(
      `swarmd: ${config.stateDir} has no certificates: join the cluster again with an empty state dir\n`,
    );
    return 1;
  }
  const tls = renewableClientCredentials({
    ...credentials,
    clusterId: parseNodeCertificate(credentials.certPem).clusterId,
  });
  const registry = daemonRegistry(() => ({ nodeId: st.nodeId, clusterId: st.clusterId, role: 'worker' }));
  let nodeAgent: NodeAgent;
  try {
    nodeAgent = await startNodeAgent({
      stateDir: config.stateDir,
      tls,
      registry,
      managers: st.managers,
      runtimeRoot: config.agent.runtimeRoot,
      cgroupParent: config.agent.cgroupParent,
      logger,
    });
  } catch (err) {
    io.err(`swarmd: cannot start the agent: ${errorMessage(err)}\n`);
    return 1;
  }
  const renewer = new CertificateRenewer({
    stateDir: config.stateDir,
    current: credentials,
    managers: () => {
      const now = nodeAgent.agent.status().session?.manager;
      return now === undefined ? st.managers : [now, ...st.managers.filter((m) => m !== now)];
    },
    onRenewed: (creds) => tls.update(creds),
    clock: systemClock,
    rand: randomSeededRand(),
    logger,
  });
  renewer.start();
  // A promotion or demotion reaches the node with its heartbeats: its certificate follows.
  const roleWatch = setInterval(() => renewer.wantRole(nodeAgent.agent.status().session?.desiredRole), 1000);
  let healthServer: HealthServer | null = null;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('stopping on signal', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    healthServer = await startHealthServer(
      config.httpHost,
      config.httpPort,
      () => workerHealth(nodeAgent.agent.status()),
      registry,
    );
    io.out(
      `This node (${st.nodeId}) ${config.mode === 'join' ? 'joined' : 'is back in'} cluster ${st.clusterId} as a worker; it reaches the managers at ${st.managers.join(', ')}.\n`,
    );
    await stopped;
    return 0;
  } catch (err) {
    io.err(`swarmd: --http-addr: cannot listen: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    clearInterval(roleWatch);
    await renewer.stop();
    await healthServer?.close();
    // Containers outlive the agent: a restarted swarmd re-adopts them.
    await nodeAgent.stop();
  }
}

/** A manager (and its agent) until a signal stops it. */
async function runManager(config: DaemonConfig, io: DaemonIo, logger: Logger): Promise<number> {
  const log = logger.child({ module: 'swarmd' });
  // A manager sealed by autolock waits for its unlock key first (swarmd unlock).
  let unlockKey: string | null = null;
  if (config.mode !== 'join' && (await isLocked(config.stateDir).catch(() => false))) {
    io.out(
      `This manager is locked (autolock): give it the cluster's unlock key with "swarmd unlock --state-dir ${config.stateDir}" (swarmctl cluster unlock-key shows it on another manager).\n`,
    );
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
    try {
      unlockKey = await waitForUnlock(config.stateDir, log, abort.signal);
    } finally {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
    }
    if (unlockKey === null) return 0;
  }
  let manager: Manager | null = null;
  const registry = daemonRegistry(() => {
    const st = manager?.status();
    return st?.nodeId == null || st.clusterId === null
      ? null
      : { nodeId: st.nodeId, clusterId: st.clusterId, role: 'manager' };
  });
  manager = new Manager({
    registry,
    stateDir: config.stateDir,
    mode: config.mode,
    ...(unlockKey === null ? {} : { unlockKey }),
    ...(config.listenAddr === null ? {} : { listenAddr: config.listenAddr }),
    ...(config.advertiseAddr === null ? {} : { advertiseAddr: config.advertiseAddr }),
    ...(config.joinAddr === null ? {} : { joinAddr: config.joinAddr }),
    ...(config.joinToken === null ? {} : { joinToken: config.joinToken }),
    services: SERVICES,
    logger,
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('stopping on signal', { signal });
    signalled = true;
    void manager.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let healthServer: HealthServer | null = null;
  let nodeAgent: NodeAgent | null = null;
  let renewer: CertificateRenewer | null = null;
  let roleWatch: NodeJS.Timeout | null = null;
  const done = manager.run();
  done.catch(() => {});
  try {
    try {
      await manager.whenStarted();
    } catch (err) {
      if (signalled) return 0;
      io.err(`swarmd: ${errorMessage(err)}\n`);
      return 1;
    }
    try {
      healthServer = await startHealthServer(
        config.httpHost,
        config.httpPort,
        () => health(manager.status()),
        registry,
      );
      log.info('serving http', { port: healthServer.port, host: config.httpHost });
    } catch (err) {
      io.err(`swarmd: --http-addr: cannot listen: ${errorMessage(err)}\n`);
      await manager.stop();
      return 1;
    }
    const id = manager.identity;
    if (config.agent !== null && config.agent !== undefined) {
      try {
        nodeAgent = await startNodeAgent({
          stateDir: config.stateDir,
          tls: manager.clientTls,
          registry,
          managers: [id.advertiseAddr],
          runtimeRoot: config.agent.runtimeRoot,
          cgroupParent: config.agent.cgroupParent,
          logger,
        });
      } catch (err) {
        io.err(`swarmd: cannot start the agent: ${errorMessage(err)}\n`);
        await manager.stop();
        return 1;
      }
    }
    renewer = new CertificateRenewer({
      stateDir: config.stateDir,
      current: manager.credentials,
      // Its own CA: every manager signs with the cluster's root CA key.
      managers: () => [id.advertiseAddr],
      onRenewed: (creds) => manager.useCredentials(creds),
      clock: systemClock,
      rand: randomSeededRand(),
      logger,
    });
    renewer.start();
    const managerRenewer = renewer;
    roleWatch = setInterval(
      () => managerRenewer.wantRole(nodeAgent?.agent.status().session?.desiredRole),
      1000,
    );
    if (config.mode === 'init') {
      try {
        let cluster = await manager.waitForCluster(60_000);
        if (config.autolock === true) cluster = await turnOnAutolock(manager, cluster.id);
        io.out(
          joinInstructions(
            id.clusterId,
            id.nodeId,
            id.advertiseAddr,
            cluster.joinTokens,
            manager.socketPath,
            manager.created,
            cluster.unlockKey,
          ),
        );
      } catch (err) {
        if (!signalled) log.warn('cannot print the join commands (or the unlock key) yet', { err });
      }
    } else if (config.mode === 'join') {
      io.out(
        `This node (${id.nodeId}) joined cluster ${id.clusterId} as a manager; it listens on ${id.listenAddr} and advertises ${id.advertiseAddr}.\n`,
      );
    } else {
      io.out(`Node ${id.nodeId} of cluster ${id.clusterId} is running (manager at ${id.advertiseAddr}).\n`);
    }
    try {
      await done;
      return 0;
    } catch (err) {
      io.err(`swarmd: ${errorMessage(err)}\n`);
      return 1;
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (roleWatch !== null) clearInterval(roleWatch);
    await renewer?.stop();
    await healthServer?.close();
    // Containers outlive the agent: a restarted swarmd re-adopts them.
    await nodeAgent?.stop();
    await manager.stop();
  }
}
