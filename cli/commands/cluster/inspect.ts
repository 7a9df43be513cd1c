/** `swarmctl cluster inspect [CLUSTER]`: the cluster's settings. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { clusterSummary } from '../../format/objects.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';
import { getCluster } from './the-cluster.js';

export async function clusterInspect(ctx: CommandContext, ref: string | undefined): Promise<void> {
  const cluster = await getCluster(ctx, ref);
  printInspected(ctx, [cluster], (c) => clusterSummary(c, ctx.now()));
}

export function registerClusterInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary("show the cluster's settings")
    .description(
      "Show the cluster's settings (task history, heartbeat period, certificate expiry, Raft snapshots); with --format json the full object. The join tokens are shown by swarmctl join-token.",
    )
    .argument('[CLUSTER]', 'the cluster (default: the only one, "default")')
    .action((ref: string | undefined) => run((ctx) => clusterInspect(ctx, ref)));
}
