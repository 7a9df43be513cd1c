/** `swarmctl service ls`: ID NAME MODE REPLICAS IMAGE, REPLICAS being running/desired. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { renderServiceTable, serviceMode } from '../../format/service.js';
import { type ListOptions, listFilters } from '../list-filters.js';
import { printList } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';

export async function serviceLs(ctx: CommandContext, options: ListOptions): Promise<void> {
  const { request, filters } = listFilters(options.filter, ['mode']);
  const modes = filters.get('mode');
  let { services } = await ctx.client.call('ListServices', { filters: request });
  if (modes !== undefined) services = services.filter((s) => modes.includes(serviceMode(s.spec)));
  if (options.quiet === true || ctx.format === 'json') {
    printList(ctx, services, options.quiet, () => '');
    return;
  }
  const [{ tasks }, { nodes }] = await Promise.all([
    ctx.client.call('ListTasks', {}),
    ctx.client.call('ListNodes', {}),
  ]);
  ctx.out(renderServiceTable(services, tasks, new Map(nodes.map((n) => [n.id, n])), options.trunc === false));
}

export function registerServiceLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list services')
    .description(
      'List services: ID NAME MODE REPLICAS IMAGE. REPLICAS counts the tasks running on nodes that are not down, over the replicas wanted (for a global service: the active nodes that satisfy its constraints).',
    )
    .option('-q, --quiet', 'print the ids only')
    .option('--no-trunc', 'print full ids')
    .option(
      '-f, --filter <key=value>',
      'name=PREFIX, id=PREFIX, label=KEY[=VALUE], mode=replicated|global (repeatable)',
      collect,
    )
    .action((options: ListOptions) => run((ctx) => serviceLs(ctx, options)));
}
