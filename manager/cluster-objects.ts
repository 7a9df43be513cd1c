/**
 * The objects a new cluster starts with: the Cluster (controlapi's defaults) with its join tokens, and a Node per manager. Built here, written by the leader.
 */
import type { Cluster, Node, NodeDescription } from '../proto/index.js';
import { defaultClusterSpec } from './controlapi/index.js';
import type { NewObject } from './store/index.js';

/** The Cluster object of a new cluster. */
export function newCluster(
  id: string,
  rootCA: { certificate: string; key: string },
  tokens: { worker: string; manager: string },
): NewObject<Cluster> {
  return { id, spec: defaultClusterSpec(), joinTokens: tokens, rootCA, unlockKey: '' };
}

/** The host part of `host:port` (brackets removed). */
function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  const host = i < 0 ? address : address.slice(0, i);
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/**
 * The Node object of a manager: role manager, availability active, its raft id (hex) and address. Its
 * `status.state` is `ready` when the manager writes its own object, `unknown` for a joiner not yet
 * running; the dispatcher (agents issue) owns node status from then on. `managerStatus.leader` and
 * `reachability` are filled at read time from raft (ManagerContext.leader()/members()).
 */
export function newManagerNode(init: {
  id: string;
  raftId: bigint;
  advertiseAddr: string;
  description: NodeDescription;
  self: boolean;
}): NewObject<Node> {
  return {
    id: init.id,
    spec: { annotations: { name: '', labels: {} }, desiredRole: 'manager', availability: 'active' },
    description: init.description,
    status: { state: init.self ? 'ready' : 'unknown', message: '', addr: hostOf(init.advertiseAddr) },
    role: 'manager',
    managerStatus: {
      raftId: init.raftId.toString(16),
      addr: init.advertiseAddr,
      leader: false,
      reachability: 'unknown',
    },
  };
}

/** A description with only the hostname known (the agent fills the rest when it registers). */
export function minimalDescription(hostname: string): NodeDescription {
  return {
    hostname,
    platform: { os: '', architecture: '' },
    resources: { nanoCpus: 0, memoryBytes: 0 },
    engine: { version: '', labels: {} },
  };
}
