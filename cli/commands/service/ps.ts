/** `swarmctl service ps SERVICE...`: the tasks of services, by slot then newest. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';
import { printTasks, type TaskListOptions, taskFilters } from '../task/ls.js';

export async function servicePs(
  ctx: CommandContext,
  refs: readonly string[],
  options: TaskListOptions,
): Promise<void> {
  const request = taskFilters(options.filter, ['node', 'desired-state', 'name', 'id']);
  const serviceIds: string[] = [];
  for (const ref of refs) {
    const { service } = await ctx.client.call('GetService', { serviceId: ref });
    if (service !== null) serviceIds.push(service.id);
  }
  const { tasks } = await ctx.client.call('ListTasks', { ...request, serviceIds });
  await printTasks(ctx, tasks, options);
}

export function registerServicePs(parent: Command, run: Runner): void {
  parent
    .command('ps')
    .summary('list the tasks of services')
    .description(
      'List the tasks of one or more services: ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR, by slot then newest; older tasks of a slot are shown under the newest as \\_ NAME.',
    )
    .argument('<SERVICE...>', 'services: names, ids or unique id prefixes')
    .option('-q, --quiet', 'print the task ids only')
    .option('--no-trunc', 'print full ids and errors')
    .option(
      '-f, --filter <key=value>',
      'desired-state=running|shutdown|..., node=NODE, name=PREFIX, id=PREFIX (repeatable)',
      collect,
    )
    .action((refs: string[], options: TaskListOptions) => run((ctx) => servicePs(ctx, refs, options)));
}
