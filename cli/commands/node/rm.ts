/** `swarmctl node rm [-f] NODE...`: removes nodes from the cluster. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';

export async function nodeRm(
  ctx: CommandContext,
  refs: readonly string[],
  options: { force?: boolean },
): Promise<void> {
  for (const ref of refs) {
    await ctx.client.call('RemoveNode', { nodeId: ref, force: options.force === true });
    ctx.out(`${ref}\n`);
  }
}

export function registerNodeRm(parent: Command, run: Runner): void {
  parent
    .command('rm')
    .alias('remove')
    .summary('remove nodes from the cluster')
    .description(
      'Remove one or more nodes from the cluster. A manager must be demoted first; a node that is not down is refused unless --force.',
    )
    .argument('<NODE...>', 'nodes: names, hostnames, ids or unique id prefixes')
    .option('-f, --force', 'remove a node even if it is not down')
    .action((refs: string[], options: { force?: boolean }) => run((ctx) => nodeRm(ctx, refs, options)));
}
