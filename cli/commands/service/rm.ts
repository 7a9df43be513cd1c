/** `swarmctl service rm SERVICE...`: removes services (their tasks are shut down). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';

export async function serviceRm(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    await ctx.client.call('RemoveService', { serviceId: ref });
    ctx.out(`${ref}\n`);
  }
}

export function registerServiceRm(parent: Command, run: Runner): void {
  parent
    .command('rm')
    .alias('remove')
    .summary('remove services')
    .description('Remove one or more services; their tasks are shut down. Prints each service as given.')
    .argument('<SERVICE...>', 'services: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => serviceRm(ctx, refs)));
}
