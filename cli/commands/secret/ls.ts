/** `swarmctl secret ls`: ID NAME CREATED UPDATED. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { withoutData } from '../../format/json.js';
import { renderDataObjectTable } from '../../format/objects.js';
import { type ListOptions, listFilters } from '../list-filters.js';
import { printList } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';

export async function secretLs(ctx: CommandContext, options: ListOptions): Promise<void> {
  const { request } = listFilters(options.filter);
  const { secrets } = await ctx.client.call('ListSecrets', { filters: request });
  // Secrets come without their data; withoutData() makes sure none is ever printed.
  printList(ctx, secrets.map(withoutData), options.quiet, () =>
    renderDataObjectTable(secrets, ctx.now(), options.trunc === false),
  );
}

export function registerSecretLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list secrets')
    .description('List secrets: ID NAME CREATED UPDATED.')
    .option('-q, --quiet', 'print the ids only')
    .option('--no-trunc', 'print full ids')
    .option('-f, --filter <key=value>', 'name=PREFIX, id=PREFIX, label=KEY[=VALUE] (repeatable)', collect)
    .action((options: ListOptions) => run((ctx) => secretLs(ctx, options)));
}
