/** `swarmctl config rm CONFIG...`: removes configs (refused while a service uses one). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';

export async function configRm(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    await ctx.client.call('RemoveConfig', { configId: ref });
    ctx.out(`${ref}\n`);
  }
}

export function registerConfigRm(parent: Command, run: Runner): void {
  parent
    .command('rm')
    .alias('remove')
    .summary('remove configs')
    .description('Remove one or more configs. The manager refuses to remove one that a service uses.')
    .argument('<CONFIG...>', 'configs: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => configRm(ctx, refs)));
}
