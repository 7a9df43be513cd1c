/** `swarmctl secret rm SECRET...`: removes secrets (refused while a service uses one). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';

export async function secretRm(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    await ctx.client.call('RemoveSecret', { secretId: ref });
    ctx.out(`${ref}\n`);
  }
}

export function registerSecretRm(parent: Command, run: Runner): void {
  parent
    .command('rm')
    .alias('remove')
    .summary('remove secrets')
    .description('Remove one or more secrets. The manager refuses to remove one that a service uses.')
    .argument('<SECRET...>', 'secrets: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => secretRm(ctx, refs)));
}
