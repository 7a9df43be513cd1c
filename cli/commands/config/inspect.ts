/** `swarmctl config inspect CONFIG...`: a readable summary, or the objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { configSummary } from '../../format/objects.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function configInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const found: controlpb.Config__Output[] = [];
  for (const ref of refs) {
    const { config } = await ctx.client.call('GetConfig', { configId: ref });
    if (config !== null) found.push(config);
  }
  printInspected(ctx, found, (o) => configSummary(o, ctx.now()));
}

export function registerConfigInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show configs in detail')
    .description(
      'Show one or more configs: a readable summary, or with --format json the objects (data in base64).',
    )
    .argument('<CONFIG...>', 'configs: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => configInspect(ctx, refs)));
}
