/** `swarmctl secret inspect SECRET...`: a readable summary, or the objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { withoutData } from '../../format/json.js';
import { secretSummary } from '../../format/objects.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function secretInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const found: controlpb.Secret__Output[] = [];
  for (const ref of refs) {
    const { secret } = await ctx.client.call('GetSecret', { secretId: ref });
    if (secret !== null) found.push(withoutData(secret));
  }
  printInspected(ctx, found, (o) => secretSummary(o, ctx.now()));
}

export function registerSecretInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show secrets in detail')
    .description(
      'Show one or more secrets: a readable summary, or with --format json the objects. Secret data is never shown.',
    )
    .argument('<SECRET...>', 'secrets: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => secretInspect(ctx, refs)));
}
