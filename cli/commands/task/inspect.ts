/** `swarmctl task inspect TASK...`: a readable summary, or the full objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { taskSummary } from '../../format/task.js';
import { isServerError, printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function taskInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const tasks: controlpb.Task__Output[] = [];
  for (const ref of refs) {
    const { task } = await ctx.client.call('GetTask', { taskId: ref });
    if (task !== null) tasks.push(task);
  }
  const nodes = new Map<string, controlpb.Node__Output>();
  if (ctx.format !== 'json')
    for (const id of new Set(tasks.map((t) => t.nodeId).filter((id) => id !== ''))) {
      try {
        const { node } = await ctx.client.call('GetNode', { nodeId: id });
        if (node !== null) nodes.set(id, node);
      } catch (err) {
        if (!isServerError(err, 'ERR_CONTROLAPI_NOT_FOUND')) throw err;
      }
    }
  printInspected(ctx, tasks, (t) => taskSummary(t, nodes.get(t.nodeId), ctx.now()));
}

export function registerTaskInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show tasks in detail')
    .description('Show one or more tasks: a readable summary, or with --format json the full objects.')
    .argument('<TASK...>', 'tasks: ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => taskInspect(ctx, refs)));
}
