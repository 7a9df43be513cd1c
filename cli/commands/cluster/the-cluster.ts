/** Which cluster the cluster commands mean: the one named, else the only one there is. */
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { CommandError } from '../../errors.js';

export async function getCluster(
  ctx: CommandContext,
  ref: string | undefined,
): Promise<controlpb.Cluster__Output> {
  if (ref !== undefined) {
    const { cluster } = await ctx.client.call('GetCluster', { clusterId: ref });
    if (cluster === null) throw new CommandError(`Cannot get cluster "${ref}": the manager returned none`);
    return cluster;
  }
  const { clusters } = await ctx.client.call('ListClusters', {});
  if (clusters.length === 1) return clusters[0] as controlpb.Cluster__Output;
  if (clusters.length === 0)
    throw new CommandError('Cannot find the cluster: the manager has none yet (is it still starting?)');
  const names = clusters.map((c) => c.spec?.annotations?.name ?? c.id).join(', ');
  throw new CommandError(
    `Cannot tell which cluster to use: there are ${clusters.length} (${names}); name one`,
  );
}
