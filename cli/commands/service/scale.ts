/** `swarmctl service scale SERVICE=REPLICAS...`: sets the replicas of replicated services. */
import type { Command } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { CommandError } from '../../errors.js';
import { plain } from '../../format/json.js';
import { serviceMode } from '../../format/service.js';
import { withConflictMessage } from '../output.js';
import { wholeNumber } from '../parse.js';
import type { Runner } from '../runner.js';
import { waitForConvergence } from './converge.js';

/** `web=3` → ['web', 3]. */
export function parseScaleArgument(text: string): [string, number] {
  const at = text.lastIndexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw new FlagError(
      'SERVICE=REPLICAS',
      `must be a service and a number of replicas, such as web=3, got "${text}"`,
    );
  return [text.slice(0, at), wholeNumber(`SERVICE=REPLICAS "${text}"`, text.slice(at + 1))];
}

/** Scales each service in turn; stops at the first that fails. All arguments are checked first. */
export async function serviceScale(
  ctx: CommandContext,
  targets: readonly string[],
  flags: { detach?: boolean } = {},
): Promise<void> {
  const parsed = targets.map(parseScaleArgument);
  for (const [ref, replicas] of parsed) {
    const { service } = await ctx.client.call('GetService', { serviceId: ref });
    if (service === null) continue;
    const name = service.spec?.annotations?.name ?? ref;
    if (serviceMode(service.spec) === 'global')
      throw new CommandError(
        `Cannot scale service "${name}": it is global (one task per node); only replicated services scale`,
      );
    if (Number(service.spec?.replicated?.replicas ?? 1) !== replicas) {
      const spec = plain(service.spec) as controlpb.ServiceSpec;
      spec.replicated = { replicas: String(replicas) };
      await withConflictMessage(`service "${name}"`, () =>
        ctx.client.call('UpdateService', {
          serviceId: service.id,
          serviceVersion: { index: service.meta?.version?.index ?? '0' },
          spec,
        }),
      );
    }
    ctx.out(`${name} scaled to ${replicas}\n`);
    if (flags.detach !== true) await waitForConvergence(ctx, service.id);
  }
}

export function registerServiceScale(parent: Command, run: Runner): void {
  parent
    .command('scale')
    .summary('set the number of tasks of replicated services')
    .description('Set the replicas of one or more replicated services.')
    .argument('<SERVICE=REPLICAS...>', 'a service (name, id or unique id prefix) and its number of tasks')
    .option('-d, --detach', 'return at once instead of waiting until every task runs')
    .addHelpText('after', '\nExample:\n  swarmctl service scale web=3 api=2')
    .action((targets: string[], flags: { detach?: boolean }) =>
      run((ctx) => serviceScale(ctx, targets, flags)),
    );
}
