/** `swarmctl node ls`: ID HOSTNAME STATUS AVAILABILITY ROLE MANAGER STATUS. */
import type { Command } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { renderNodeTable } from '../../format/node.js';
import { type ListOptions, listFilters } from '../list-filters.js';
import { printList } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';

const ROLES: Record<string, controlpb.NodeRole> = {
  worker: 'NODE_ROLE_WORKER',
  manager: 'NODE_ROLE_MANAGER',
};
const AVAILABILITIES: Record<string, controlpb.NodeAvailability> = {
  active: 'NODE_AVAILABILITY_ACTIVE',
  pause: 'NODE_AVAILABILITY_PAUSE',
  drain: 'NODE_AVAILABILITY_DRAIN',
};

function pick<T>(flag: string, values: readonly string[] | undefined, table: Record<string, T>): T[] {
  return (values ?? []).map((v) => {
    const x = table[v.toLowerCase()];
    if (x === undefined)
      throw new FlagError(flag, `must be one of ${Object.keys(table).join(', ')}, got "${v}"`);
    return x;
  });
}

export async function nodeLs(ctx: CommandContext, options: ListOptions): Promise<void> {
  const { request, filters } = listFilters(options.filter, ['role', 'availability']);
  const { nodes } = await ctx.client.call('ListNodes', {
    filters: request,
    roles: pick('--filter role', filters.get('role'), ROLES),
    availabilities: pick('--filter availability', filters.get('availability'), AVAILABILITIES),
  });
  printList(ctx, nodes, options.quiet, () => renderNodeTable(nodes, options.trunc === false));
}

export function registerNodeLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list nodes')
    .description(
      'List the nodes of the cluster: ID HOSTNAME STATUS AVAILABILITY ROLE MANAGER STATUS (Leader, Reachable…).',
    )
    .option('-q, --quiet', 'print the ids only')
    .option('--no-trunc', 'print full ids')
    .option(
      '-f, --filter <key=value>',
      'role=manager|worker, availability=active|pause|drain, name=PREFIX, id=PREFIX, label=KEY[=VALUE] (repeatable)',
      collect,
    )
    .action((options: ListOptions) => run((ctx) => nodeLs(ctx, options)));
}
