/** `swarmctl node inspect NODE...`: a readable summary, or the full objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { nodeSummary } from '../../format/node.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function nodeInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const nodes: controlpb.Node__Output[] = [];
  for (const ref of refs) {
    const { node } = await ctx.client.call('GetNode', { nodeId: ref });
    if (node !== null) nodes.push(node);
  }
  printInspected(ctx, nodes, (n) => nodeSummary(n, ctx.now()));
}

export function registerNodeInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show nodes in detail')
    .description('Show one or more nodes: a readable summary, or with --format json the full objects.')
    .argument('<NODE...>', 'nodes: names, hostnames, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => nodeInspect(ctx, refs)));
}
