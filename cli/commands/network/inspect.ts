/** `swarmctl network inspect NETWORK...`: a readable summary, or the full objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { networkSummary } from '../../format/objects.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function networkInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const networks: controlpb.Network__Output[] = [];
  for (const ref of refs) {
    const { network } = await ctx.client.call('GetNetwork', { networkId: ref });
    if (network !== null) networks.push(network);
  }
  printInspected(ctx, networks, (n) => networkSummary(n, ctx.now()));
}

export function registerNetworkInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show networks in detail')
    .description('Show one or more networks: a readable summary, or with --format json the full objects.')
    .argument('<NETWORK...>', 'networks: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => networkInspect(ctx, refs)));
}
