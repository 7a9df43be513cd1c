/** `swarmctl task ls`: every task (or those the filters select), by service, slot, then newest. */
import type { Command } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { renderTaskTable } from '../../format/task.js';
import type { ListOptions } from '../list-filters.js';
import { printList } from '../output.js';
import { collect, filters } from '../parse.js';
import type { Runner } from '../runner.js';

export type TaskListOptions = ListOptions;

const STATES = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
];

/** The ListTasks request of `-f service=…`, `node=…`, `desired-state=…`, `name=PREFIX`, `id=PREFIX`. */
export function taskFilters(
  texts: readonly string[] | undefined,
  known: readonly string[],
): controlpb.ListTasksRequest {
  const f = filters('--filter', texts, known);
  const desiredStates = (f.get('desired-state') ?? []).map((s): controlpb.TaskState => {
    const word = s.toLowerCase();
    if (!STATES.includes(word))
      throw new FlagError('--filter desired-state', `must be one of ${STATES.join(', ')}, got "${s}"`);
    return `TASK_STATE_${word.toUpperCase()}` as controlpb.TaskState;
  });
  return {
    filters: { namePrefixes: f.get('name') ?? [], idPrefixes: f.get('id') ?? [] },
    serviceIds: f.get('service') ?? [],
    nodeIds: f.get('node') ?? [],
    desiredStates,
  };
}

export async function taskLs(ctx: CommandContext, options: TaskListOptions): Promise<void> {
  const request = taskFilters(options.filter, ['service', 'node', 'desired-state', 'name', 'id']);
  const { tasks } = await ctx.client.call('ListTasks', request);
  await printTasks(ctx, tasks, options);
}

/** Prints tasks as ids (-q), JSON, or the table with their nodes' names (`task ls`, `service ps`). */
export async function printTasks(
  ctx: CommandContext,
  tasks: controlpb.Task__Output[],
  options: TaskListOptions,
): Promise<void> {
  if (options.quiet === true || ctx.format === 'json') {
    printList(ctx, tasks, options.quiet, () => '');
    return;
  }
  const { nodes } = await ctx.client.call('ListNodes', {});
  ctx.out(
    renderTaskTable(tasks, {
      nodes: new Map(nodes.map((n) => [n.id, n])),
      now: ctx.now(),
      noTrunc: options.trunc === false,
    }),
  );
}

export function registerTaskLs(parent: Command, run: Runner): void {
  parent
    .command('ls')
    .alias('list')
    .summary('list tasks')
    .description(
      'List tasks: ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR, by service, slot, then newest.',
    )
    .option('-q, --quiet', 'print the task ids only')
    .option('--no-trunc', 'print full ids and errors')
    .option(
      '-f, --filter <key=value>',
      'service=SERVICE, node=NODE, desired-state=running|shutdown|..., name=PREFIX, id=PREFIX (repeatable)',
      collect,
    )
    .action((options: TaskListOptions) => run((ctx) => taskLs(ctx, options)));
}
