/**
 * Validation of a cluster spec (UpdateCluster): {@link compileClusterSpec}. Absent fields take the
 * defaults of {@link defaultClusterSpec}; the cluster's name cannot change.
 */
import type { ClusterSpec } from '../../proto/index.js';
import { defaultClusterSpec } from './defaults.js';
import { InvalidSpecError } from './errors.js';
import { type AnnotationsInput, compileAnnotations, type Opt, Problems, shown } from './validate-common.js';

export interface ClusterSpecInput {
  annotations?: Opt<AnnotationsInput>;
  /** Absent: 5. */
  taskHistoryRetentionLimit?: Opt<number>;
  dispatcher?: Opt<{ heartbeatPeriodMs?: Opt<number> }>;
  caConfig?: Opt<{ nodeCertExpiryMs?: Opt<number> }>;
  raft?: Opt<{
    snapshotInterval?: Opt<number>;
    keepOldSnapshots?: Opt<number>;
    logEntriesForSlowFollowers?: Opt<number>;
  }>;
  encryption?: Opt<{ autoLockManagers?: Opt<boolean> }>;
}

/** The shortest heartbeat period a cluster accepts. */
export const MIN_HEARTBEAT_PERIOD_MS = 100;
/** The shortest node certificate validity (swarmkit's). */
export const MIN_NODE_CERT_EXPIRY_MS = 3600 * 1000;

/**
 * Validates a cluster spec and fills in the defaults. With `current` (an update), the name must stay the
 * same.
 * @throws InvalidSpecError listing every problem
 */
export function compileClusterSpec(input: ClusterSpecInput, current?: ClusterSpec): ClusterSpec {
  const p = new Problems();
  const d = defaultClusterSpec();
  const annotations = compileAnnotations(p, 'spec.annotations', input.annotations);
  if (current !== undefined && annotations.name !== current.annotations.name)
    p.got(
      'spec.annotations.name',
      `cannot be changed (the cluster is named "${current.annotations.name}")`,
      annotations.name,
    );
  const spec: ClusterSpec = {
    annotations,
    taskHistoryRetentionLimit: p.int('spec.taskHistoryRetentionLimit', input.taskHistoryRetentionLimit, {
      min: 0,
      fallback: d.taskHistoryRetentionLimit,
    }),
    dispatcher: {
      heartbeatPeriodMs: p.int('spec.dispatcher.heartbeatPeriodMs', input.dispatcher?.heartbeatPeriodMs, {
        min: MIN_HEARTBEAT_PERIOD_MS,
        fallback: d.dispatcher.heartbeatPeriodMs,
      }),
    },
    caConfig: {
      nodeCertExpiryMs: p.int('spec.caConfig.nodeCertExpiryMs', input.caConfig?.nodeCertExpiryMs, {
        min: MIN_NODE_CERT_EXPIRY_MS,
        fallback: d.caConfig.nodeCertExpiryMs,
        note: '1 hour',
      }),
    },
    raft: {
      snapshotInterval: p.int('spec.raft.snapshotInterval', input.raft?.snapshotInterval, {
        min: 1,
        fallback: d.raft.snapshotInterval,
      }),
      keepOldSnapshots: p.int('spec.raft.keepOldSnapshots', input.raft?.keepOldSnapshots, {
        min: 0,
        fallback: d.raft.keepOldSnapshots,
      }),
      logEntriesForSlowFollowers: p.int(
        'spec.raft.logEntriesForSlowFollowers',
        input.raft?.logEntriesForSlowFollowers,
        { min: 0, fallback: d.raft.logEntriesForSlowFollowers },
      ),
    },
    encryption: { autoLockManagers: input.encryption?.autoLockManagers ?? false },
  };
  if (!p.empty)
    throw new InvalidSpecError(
      `update cluster ${shown(current?.annotations.name ?? annotations.name)}`,
      'cluster',
      p.list,
    );
  return spec;
}
