/** `swarmctl config ls`: ID NAME CREATED UPDATED. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { renderDataObjectTable } from '../../format/objects.js';
import { type ListOptions, listFilters } from '../list-filters.js';
import { printList } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';

export async function configLs(ctx: CommandContext, options: ListOptions): Promise<void> {
  const { request } = listFilters(options.filter);
  const { configs } = await ctx.client.call('ListConfigs', { filters: request });
  printList(ctx, configs, options.quiet, () =>
    renderDataObjectTable(configs, ctx.now(), options.trunc === false),
  );
}

export function registerConfigLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list configs')
    .description('List configs: ID NAME CREATED UPDATED.')
    .option('-q, --quiet', 'print the ids only')
    .option('--no-trunc', 'print full ids')
    .option('-f, --filter <key=value>', 'name=PREFIX, id=PREFIX, label=KEY[=VALUE] (repeatable)', collect)
    .action((options: ListOptions) => run((ctx) => configLs(ctx, options)));
}
