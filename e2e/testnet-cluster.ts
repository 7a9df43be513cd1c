/**
 * The fault tests' cluster: `deploy/testnet` with 3 managers and 3 workers (each host its own network
 * namespace), a replicated service of 12 and a global service, and the checks every fault ends with:
 * what swarmctl says (12 running replicas on distinct slots, one global task per node) and what the
 * hosts really run (exactly one container per running task, none left over).
 */
import type { ExecutionContext } from 'ava';
import { Testnet, type TestnetHost, waitUntil } from '../testing/index.js';
import { type ManagerSocket, ok, running, swarmctl, type TaskJson, tasks } from './swarmctl.js';

export const REPLICAS = 12;
export const HOSTS = ['m1', 'm2', 'm3', 'w1', 'w2', 'w3'] as const;

export class FaultCluster {
  readonly net: Testnet;

  constructor(net: Testnet) {
    this.net = net;
  }

  /**
   * Brings up the cluster `name` ([a-z0-9]{1,8}) and its two services, removed again (down) when the
   * test ends, even when it fails.
   */
  static async start(t: ExecutionContext, name: string): Promise<FaultCluster> {
    // A fixed name per test: what a run killed before its teardown (a timeout) is removed by the next.
    await Testnet.existing(name).down();
    const net = await Testnet.up(name, 3, 3);
    t.teardown(() => net.down().then(() => undefined));
    const c = new FaultCluster(net);
    const m = c.at('m1');
    const common = ['--image', 'host', '--stop-grace-period', '1s'];
    await ok(m, 'service', 'create', 'web', ...common, '--replicas', String(REPLICAS), '--', 'sleep', '3600');
    await ok(m, 'service', 'create', 'agent', ...common, '--mode', 'global', '--', 'sleep', '3600');
    await c.settled('the services running');
    return c;
  }

  /** A manager host as swarmctl reaches it. */
  at(host: string): ManagerSocket {
    return { socket: this.net.socket(host) };
  }

  hosts(): Promise<TestnetHost[]> {
    return this.net.hosts();
  }

  /** The manager the hosts' /healthz call leader (null during an election). */
  async leader(among: readonly string[] = ['m1', 'm2', 'm3']): Promise<string | null> {
    const hs = await this.hosts();
    const l = hs.find((h) => among.includes(h.name) && h.leader && h.health === 'ok');
    return l?.name ?? null;
  }

  /** Waits for a leader among `among` other than `not`; returns it. */
  async newLeader(among: readonly string[], not: string | null, timeoutMs = 60_000): Promise<string> {
    let found = '';
    await waitUntil(
      `a leader among ${among.join(', ')}${not === null ? '' : ` other than ${not}`}`,
      async () => {
        const l = await this.leader(among);
        if (l === null || l === not) return false;
        found = l;
        return true;
      },
      timeoutMs,
      200,
    );
    return found;
  }

  /** A manager that answers swarmctl now, among `among`. */
  async anyManager(among: readonly string[] = ['m1', 'm2', 'm3']): Promise<ManagerSocket> {
    let found: ManagerSocket | null = null;
    await waitUntil(
      'a manager that answers',
      async () => {
        for (const h of among) {
          const r = await swarmctl(this.at(h), 'node', 'ls', '-q');
          if (r.code === 0) {
            found = this.at(h);
            return true;
          }
        }
        return false;
      },
      60_000,
      200,
    );
    return found as unknown as ManagerSocket;
  }

  /** Running tasks per service as `via` answers (null when it does not). */
  async runningCounts(via: ManagerSocket): Promise<{ web: TaskJson[]; agent: TaskJson[] } | null> {
    try {
      return { web: running(await tasks(via, 'web')), agent: running(await tasks(via, 'agent')) };
    } catch {
      return null;
    }
  }

  /** The running containers of every host (by the hosts' runtimes). */
  async containers(hosts: readonly string[] = HOSTS): Promise<string[]> {
    return (await Promise.all(hosts.map((h) => this.net.containers(h)))).flat();
  }

  /**
   * Waits until the cluster is settled: `replicas` web replicas running on distinct slots, one agent
   * task running on each of `globalNodes` distinct nodes, and the hosts running exactly these tasks'
   * containers (nothing lost, nothing duplicated, no surplus). Returns the ms it took.
   */
  async settled(what: string, options: { replicas?: number; globalNodes?: number; timeoutMs?: number } = {}) {
    const replicas = options.replicas ?? REPLICAS;
    const globalNodes = options.globalNodes ?? HOSTS.length;
    const started = performance.now();
    let last = '';
    await waitUntil(
      `${what} (settled: ${replicas} web, ${globalNodes} agent, as many containers)`,
      async () => {
        const via = await this.anyManager();
        const c = await this.runningCounts(via);
        if (c === null) return false;
        const slots = new Set(c.web.map((t) => t.slot));
        const nodes = new Set(c.agent.map((t) => t.nodeId));
        const ids = new Set([...c.web, ...c.agent].map((t) => t.id));
        const containers = await this.containers();
        last = `web ${c.web.length} (slots ${slots.size}), agent ${c.agent.length} (nodes ${nodes.size}), containers ${containers.length}`;
        if (c.web.length !== replicas || slots.size !== replicas) return false;
        if (c.agent.length !== globalNodes || nodes.size !== globalNodes) return false;
        return containers.length === ids.size && containers.every((id) => ids.has(id));
      },
      options.timeoutMs ?? 120_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; last seen: ${last}`);
    });
    return Math.round(performance.now() - started);
  }
}
