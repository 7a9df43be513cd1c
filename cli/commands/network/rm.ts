/** `swarmctl network rm NETWORK...`: removes networks (refused while a service is attached). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';

export async function networkRm(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    await ctx.client.call('RemoveNetwork', { networkId: ref });
    ctx.out(`${ref}\n`);
  }
}

export function registerNetworkRm(parent: Command, run: Runner): void {
  parent
    .command('rm')
    .alias('remove')
    .summary('remove networks')
    .description(
      'Remove one or more networks. The manager refuses to remove one that a service is attached to.',
    )
    .argument('<NETWORK...>', 'networks: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => networkRm(ctx, refs)));
}
