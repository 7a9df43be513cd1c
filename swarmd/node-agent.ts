/**
 * The agent every node runs (design.md §1): tasks become containers through runtime-native, under
 * `<state-dir>/containers` (bundles, logs), `--runtime-root` (the runtime's state) and `--cgroup-parent`;
 * the task DB is `<state-dir>/agent`. It reaches the managers at the given addresses (and those the
 * dispatcher announces), and publishes its containers' logs to the leader's log broker.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { Agent } from '../agent/index.js';
import { LogPublisher } from '../agent/logs/index.js';
import { RuntimeExecutor } from '../agent/runtime/index.js';
import { type Logger, randomSeededRand, systemClock } from '../common/index.js';
import { CLIENT_CHANNEL_OPTIONS, type RenewableClientCredentials } from '../pki/index.js';
import { loadGrpcObject, type logspb } from '../proto/index.js';
import { LocalContainers, OciRuntime } from '../runtime-native/ts/index.js';

export interface NodeAgentOptions {
  stateDir: string;
  /** The node's client TLS (its certificate): it calls the managers as that node; a renewal updates it. */
  tls: RenewableClientCredentials;
  /** Managers' cluster addresses to start from. */
  managers: string[];
  runtimeRoot: string;
  cgroupParent: string;
  /** Where the agent's metrics are registered. */
  registry: Registry;
  hostname?: string;
  logger: Logger;
}

export interface NodeAgent {
  readonly agent: Agent;
  stop(): Promise<void>;
}

/** Starts the node's agent and log publisher; resolves once the agent loaded its task DB. */
export async function startNodeAgent(o: NodeAgentOptions): Promise<NodeAgent> {
  const runtime = new OciRuntime({ root: o.runtimeRoot });
  const containers = new LocalContainers({
    runtime,
    stateDir: join(o.stateDir, 'containers'),
    cgroupParent: o.cgroupParent,
  });
  const credentials = o.tls.credentials;
  const agent = new Agent({
    stateDir: join(o.stateDir, 'agent'),
    managers: o.managers,
    credentials,
    channelOptions: CLIENT_CHANNEL_OPTIONS,
    registry: o.registry,
    executor: new RuntimeExecutor({
      containers,
      ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
    }),
    clock: systemClock,
    logger: o.logger,
    rand: randomSeededRand(),
  });
  const running = agent.run();
  running.catch((err: unknown) => o.logger.error('the agent stopped', { err }));
  await agent.whenStarted();

  const { LogBroker } = loadGrpcObject('logs').swarmd.logs;
  let current: { addr: string; client: logspb.LogBrokerClient } | null = null;
  const publisher = new LogPublisher({
    client: () => {
      const addr = agent.status().session?.manager ?? null;
      if (addr === null) return null;
      if (current?.addr !== addr) {
        current?.client.close();
        current = { addr, client: new LogBroker(addr, credentials, CLIENT_CHANNEL_OPTIONS) };
      }
      return current.client;
    },
    tasks: () =>
      agent
        .status()
        .tasks.map((t) => ({ taskId: t.id, serviceId: t.serviceId, logPath: containers.logPath(t.id) })),
    clock: systemClock,
    logger: o.logger,
  });
  const publishing = publisher.run();
  return {
    agent,
    async stop() {
      await publisher.stop();
      await publishing;
      current?.client.close();
      await agent.stop();
      await running.catch(() => {});
    },
  };
}
