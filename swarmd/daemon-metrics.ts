/**
 * The daemon's Prometheus registry: Node.js process metrics (prom-client's defaults: CPU, memory, event
 * loop lag, handles...) and `swarmd_node_info`, which names this node; the manager and the agent register
 * theirs in the same registry.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface NodeInfo {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
}

export function daemonRegistry(info: () => NodeInfo | null): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'swarmd_node_info',
    help: 'Always 1: this daemon’s node id, cluster id and role (manager or worker) as labels.',
    labelNames: ['node_id', 'cluster_id', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      const i = info();
      if (i !== null) this.set({ node_id: i.nodeId, cluster_id: i.clusterId, role: i.role }, 1);
    },
  });
  return registry;
}
