/** `swarmctl service inspect SERVICE...`: a readable summary, or the full objects with `--format json`. */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { serviceSummary } from '../../format/service.js';
import { printInspected } from '../output.js';
import type { Runner } from '../runner.js';

export async function serviceInspect(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  const services: controlpb.Service__Output[] = [];
  for (const ref of refs) {
    const { service } = await ctx.client.call('GetService', { serviceId: ref });
    if (service !== null) services.push(service);
  }
  printInspected(ctx, services, (s) => serviceSummary(s, ctx.now()));
}

export function registerServiceInspect(parent: Command, run: Runner): void {
  parent
    .command('inspect')
    .summary('show services in detail')
    .description('Show one or more services: a readable summary, or with --format json the full objects.')
    .argument('<SERVICE...>', 'services: names, ids or unique id prefixes')
    .action((refs: string[]) => run((ctx) => serviceInspect(ctx, refs)));
}
