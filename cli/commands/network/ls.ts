/** `swarmctl network ls`: ID NAME DRIVER SUBNETS ATTACHABLE. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { renderNetworkTable } from '../../format/objects.js';
import { type ListOptions, listFilters } from '../list-filters.js';
import { printList } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';

export async function networkLs(ctx: CommandContext, options: ListOptions): Promise<void> {
  const { request } = listFilters(options.filter);
  const { networks } = await ctx.client.call('ListNetworks', { filters: request });
  printList(ctx, networks, options.quiet, () => renderNetworkTable(networks, options.trunc === false));
}

export function registerNetworkLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list networks')
    .description('List networks: ID NAME DRIVER SUBNETS ATTACHABLE.')
    .option('-q, --quiet', 'print the ids only')
    .option('--no-trunc', 'print full ids')
    .option('-f, --filter <key=value>', 'name=PREFIX, id=PREFIX, label=KEY[=VALUE] (repeatable)', collect)
    .action((options: ListOptions) => run((ctx) => networkLs(ctx, options)));
}
