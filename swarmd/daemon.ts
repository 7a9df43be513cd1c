/**
 * `swarmd init | join | run`: the manager in the foreground. Logs are JSON lines on stderr; the lines for
 * people (the join commands) go to stdout. SIGTERM or SIGINT stops it gracefully (exit 0); a failure to
 * start or a fatal error exits 1.
 */
import { createLogger, errorMessage } from '../common/index.js';
import { serveControlApi } from '../manager/controlapi/index.js';
import type { ManagerService } from '../manager/index.js';
import { Manager, serveRunningCluster } from '../manager/index.js';
import type { DaemonConfig } from './cluster-flags.js';
import { type HealthServer, startHealthServer } from './health-server.js';
import { type NodeAgent, startNodeAgent } from './node-agent.js';

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
    'The worker token (joining a host as a worker is not wired yet; every manager runs tasks itself):',
    '',
    `    swarmd join --token ${tokens.worker} ${address}`,
    '',
    ...(socketPath === null
      ? []
      : [`swarmctl reaches this manager with --socket ${socketPath} (or SWARM_SOCKET=${socketPath}).`, '']),
  ].join('\n');
}

/** Runs the daemon until a signal stops it; returns the exit code. */
export async function runDaemon(config: DaemonConfig, io: DaemonIo): Promise<number> {
  const logger = createLogger({
    level: config.logLevel,
    ...(io.log === undefined ? {} : { sink: io.log }),
  });
  const log = logger.child({ module: 'swarmd' });
  const manager = new Manager({
    stateDir: config.stateDir,
    mode: config.mode,
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
      healthServer = await startHealthServer(config.httpHost, config.httpPort, () => manager.status());
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
          nodeId: id.nodeId,
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
    if (config.mode === 'init') {
      try {
        const cluster = await manager.waitForCluster(60_000);
        io.out(
          joinInstructions(
            id.clusterId,
            id.nodeId,
            id.advertiseAddr,
            cluster.joinTokens,
            manager.socketPath,
            manager.created,
          ),
        );
      } catch (err) {
        if (!signalled) log.warn('cannot print the join commands yet', { err });
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
    await healthServer?.close();
    // Containers outlive the agent: a restarted swarmd re-adopts them.
    await nodeAgent?.stop();
    await manager.stop();
  }
}
