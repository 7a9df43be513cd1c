/** `swarmctl network create NAME [--driver D] [--subnet CIDR [--gateway IP]]... [--attachable]`. */
import { type Command, Option } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { printWritten } from '../output.js';
import { collect, keyValues } from '../parse.js';
import type { Runner } from '../runner.js';

export interface NetworkCreateOptions {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  attachable?: boolean;
  label?: string[];
}

/** The spec of `network create`: the n-th --gateway belongs to the n-th --subnet. */
export function networkSpec(name: string, o: NetworkCreateOptions): controlpb.NetworkSpec {
  const subnets = o.subnet ?? [];
  const gateways = o.gateway ?? [];
  if (gateways.length > subnets.length)
    throw new FlagError(
      '--gateway',
      `each gateway belongs to a --subnet given before it; got ${gateways.length} gateways for ${subnets.length} subnets`,
    );
  return {
    annotations: { name, labels: keyValues('--label', o.label) },
    ...(o.driver === undefined ? {} : { driver: o.driver }),
    ipam: subnets.map((subnet, i) => ({ subnet, gateway: gateways[i] ?? '' })),
    attachable: o.attachable === true,
  };
}

export async function networkCreate(
  ctx: CommandContext,
  name: string,
  options: NetworkCreateOptions,
): Promise<void> {
  const { network } = await ctx.client.call('CreateNetwork', { spec: networkSpec(name, options) });
  printWritten(ctx, network);
}

export function registerNetworkCreate(parent: Command, run: Runner): void {
  parent
    .command('create')
    .summary('create a network')
    .description('Create a network that services attach to with --network. Prints its id.')
    .argument('<NAME>', 'the network name')
    .addOption(
      new Option(
        '--driver <driver>',
        'bridge (one node) or overlay (across nodes) (default overlay)',
      ).choices(['bridge', 'overlay']),
    )
    .option(
      '--subnet <CIDR>',
      'an IPv4 subnet, such as 10.0.9.0/24 (repeatable; default: chosen by the allocator)',
      collect,
    )
    .option('--gateway <IP>', 'the gateway of the subnet given before it (repeatable)', collect)
    .option('--attachable', 'let standalone containers attach too')
    .option('-l, --label <key=value>', 'a label (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExample:\n  swarmctl network create backend --subnet 10.0.9.0/24 --gateway 10.0.9.1',
    )
    .action((name: string, options: NetworkCreateOptions) => run((ctx) => networkCreate(ctx, name, options)));
}
