/**
 * The defaults the Control API fills into specs (swarmkit's `api/defaults`, adapted): what an absent field
 * of a spec sent by a client becomes. Applied only by the `compile*Spec` functions, so that a stored spec
 * is always complete.
 */
import type { ClusterSpec, UpdateConfig } from '../../proto/index.js';

/** The update and rollback config when absent, field by field. */
export const DEFAULT_UPDATE_CONFIG: Readonly<UpdateConfig> = Object.freeze({
  parallelism: 1,
  delayMs: 0,
  failureAction: 'pause',
  monitorMs: 5000,
  maxFailureRatio: 0,
  order: 'stop-first',
});

export const SERVICE_DEFAULTS = Object.freeze({
  /** When the mode is absent, or `replicated` without a count. */
  replicas: 1,
  restartCondition: 'any',
  /** null: the restart supervisor's default backoff (immediate, then 100 ms doubling to 10 s). */
  restartDelayMs: null,
  stopGracePeriodMs: 10_000,
  /** Healthcheck fields left at 0 (docker's defaults). */
  healthIntervalMs: 30_000,
  healthTimeoutMs: 30_000,
  healthRetries: 3,
  /** Secret and config files: owner, group, mode. */
  fileUid: '0',
  fileGid: '0',
  fileMode: 0o444,
  portProtocol: 'tcp',
  /** swarmctl publishes in host mode: there is no routing mesh. */
  publishMode: 'host',
} as const);

/**
 * The spec of a new cluster, and what absent fields of UpdateCluster's spec become: swarmkit's defaults
 * except the heartbeat (1 s, a fifth of swarm's 5 s, so that a lost node is noticed within seconds).
 */
export function defaultClusterSpec(name = 'default'): ClusterSpec {
  return {
    annotations: { name, labels: {} },
    taskHistoryRetentionLimit: 5,
    dispatcher: { heartbeatPeriodMs: 1000 },
    caConfig: { nodeCertExpiryMs: 90 * 24 * 3600 * 1000 },
    raft: { snapshotInterval: 10_000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500 },
    encryption: { autoLockManagers: false },
  };
}
