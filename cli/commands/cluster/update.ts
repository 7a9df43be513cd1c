/** `swarmctl cluster update [CLUSTER] [flags]`: changes the cluster settings given, keeps the others. */
import type { Command } from 'commander';
import { parseDuration } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { NoChangesError } from '../../errors.js';
import { plain } from '../../format/json.js';
import { canonical, printWritten, withConflictMessage } from '../output.js';
import { wholeNumber } from '../parse.js';
import type { Runner } from '../runner.js';
import { getCluster } from './the-cluster.js';

export interface ClusterUpdateFlags {
  taskHistoryLimit?: string;
  dispatcherHeartbeat?: string;
  certExpiry?: string;
  snapshotInterval?: string;
  maxSnapshots?: string;
  logEntriesForSlowFollowers?: string;
  autolock?: boolean;
}

/** Applies the flags to a copy of the spec read. @throws FlagError naming the first bad flag */
export function applyClusterFlags(spec: controlpb.ClusterSpec, f: ClusterUpdateFlags): void {
  if (f.taskHistoryLimit !== undefined)
    spec.taskHistoryRetentionLimit = String(wholeNumber('--task-history-limit', f.taskHistoryLimit));
  if (f.dispatcherHeartbeat !== undefined)
    spec.dispatcher = {
      ...spec.dispatcher,
      heartbeatPeriodMs: String(parseDuration('--dispatcher-heartbeat', f.dispatcherHeartbeat)),
    };
  if (f.certExpiry !== undefined)
    spec.caConfig = {
      ...spec.caConfig,
      nodeCertExpiryMs: String(parseDuration('--cert-expiry', f.certExpiry)),
    };
  if (f.snapshotInterval !== undefined)
    spec.raft = {
      ...spec.raft,
      snapshotInterval: String(wholeNumber('--snapshot-interval', f.snapshotInterval)),
    };
  if (f.maxSnapshots !== undefined)
    spec.raft = { ...spec.raft, keepOldSnapshots: String(wholeNumber('--max-snapshots', f.maxSnapshots)) };
  if (f.logEntriesForSlowFollowers !== undefined)
    spec.raft = {
      ...spec.raft,
      logEntriesForSlowFollowers: String(
        wholeNumber('--log-entries-for-slow-followers', f.logEntriesForSlowFollowers),
      ),
    };
  if (f.autolock !== undefined) spec.encryption = { ...spec.encryption, autoLockManagers: f.autolock };
}

export async function clusterUpdate(
  ctx: CommandContext,
  ref: string | undefined,
  flags: ClusterUpdateFlags,
): Promise<void> {
  applyClusterFlags({}, flags); // bad values are usage errors, found before anything is read
  const cluster = await getCluster(ctx, ref);
  const name = cluster.spec?.annotations?.name ?? cluster.id;
  const spec = plain(cluster.spec) as controlpb.ClusterSpec;
  applyClusterFlags(spec, flags);
  if (canonical(spec) === canonical(plain(cluster.spec))) throw new NoChangesError(`cluster "${name}"`);
  const { cluster: updated } = await withConflictMessage(`cluster "${name}"`, () =>
    ctx.client.call('UpdateCluster', {
      clusterId: cluster.id,
      clusterVersion: { index: cluster.meta?.version?.index ?? '0' },
      spec,
    }),
  );
  printWritten(ctx, updated);
}

export function registerClusterUpdate(parent: Command, run: Runner): void {
  parent
    .command('update')
    .summary("change the cluster's settings")
    .description(
      'Change the cluster settings the flags give, keeping the others. Prints the cluster\'s id; fails with "no changes detected" when nothing changes.',
    )
    .argument('[CLUSTER]', 'the cluster (default: the only one, "default")')
    .option('--task-history-limit <n>', 'dead tasks kept per slot (default 5)')
    .option('--dispatcher-heartbeat <duration>', 'how often agents heartbeat, such as 5s')
    .option('--cert-expiry <duration>', 'validity of node certificates, such as 2160h (at least 1h)')
    .option('--snapshot-interval <n>', 'Raft entries applied between snapshots (default 10000)')
    .option('--max-snapshots <n>', 'old Raft snapshots kept besides the newest (default 0)')
    .option('--log-entries-for-slow-followers <n>', 'Raft entries kept after a snapshot (default 500)')
    .option('--autolock', 'require an unlock key to restart a manager')
    .option('--no-autolock', 'do not require an unlock key')
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl cluster update --task-history-limit 10 --dispatcher-heartbeat 10s\n  swarmctl cluster update --cert-expiry 720h',
    )
    .action((ref: string | undefined, flags: ClusterUpdateFlags) =>
      run((ctx) => clusterUpdate(ctx, ref, flags)),
    );
}
