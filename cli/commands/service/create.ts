/** `swarmctl service create NAME --image IMAGE [flags] [-- ARGS...]`: creates a service, prints its id. */
import { type Command, Option } from 'commander';
import type { CommandContext } from '../../context.js';
import { printWritten } from '../output.js';
import { collect } from '../parse.js';
import type { Runner } from '../runner.js';
import { waitForConvergence } from './converge.js';
import { addCommonServiceOptions } from './options.js';
import { type CreateServiceFlags, createServiceSpec } from './spec-flags.js';

export async function serviceCreate(
  ctx: CommandContext,
  name: string,
  args: readonly string[],
  flags: CreateServiceFlags,
): Promise<void> {
  const spec = createServiceSpec(name, args, flags);
  const { service } = await ctx.client.call('CreateService', { spec });
  printWritten(ctx, service);
  if (flags.detach !== true && service !== null) await waitForConvergence(ctx, service.id);
}

export function registerServiceCreate(parent: Command, run: Runner): void {
  const cmd = parent
    .command('create')
    .summary('create a service')
    .description(
      "Create a service named NAME running IMAGE; ARGS after -- replace the image's default command. Prints the new service's id. Every setting not given takes the manager's default (1 replica, restart on any exit, update one task at a time...).",
    )
    .argument('<NAME>', 'the service name (letters, digits, _ . -)')
    .argument('[ARGS...]', 'the command and its arguments (put them after --)')
    .requiredOption(
      '--image <image>',
      '"host", the absolute path of a root filesystem, or an image reference',
    )
    .option('--replicas <n>', 'number of tasks (default 1)')
    .addOption(
      new Option('--mode <mode>', 'replicated (N tasks) or global (one per node)').choices([
        'replicated',
        'global',
      ]),
    )
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-l, --label <key=value>', 'a service label (repeatable)', collect)
    .option('--container-label <key=value>', 'a container label (repeatable)', collect)
    .option(
      '--constraint <expr>',
      'a placement constraint, such as node.labels.zone==a or node.role!=manager (repeatable)',
      collect,
    )
    .option(
      '--placement-pref <pref>',
      'a placement preference: spread=node.labels.<name> (repeatable)',
      collect,
    )
    .option(
      '-p, --publish <PUBLISHED:TARGET[/proto]>',
      'publish a port, such as 8080:80 or 53:53/udp (repeatable)',
      collect,
    )
    .option(
      '--mount <spec>',
      'a mount: type=bind|volume|tmpfs,source=...,target=...[,readonly] (repeatable)',
      collect,
    )
    .option(
      '--secret <NAME[,target=T]>',
      'give a secret as /run/secrets/<target>; also uid=, gid=, mode= (repeatable)',
      collect,
    )
    .option(
      '--config <NAME[,target=/path]>',
      'give a config as a file (default /<name>); also uid=, gid=, mode= (repeatable)',
      collect,
    );
  addCommonServiceOptions(cmd)
    .option('--network <NAME[,alias=A]>', 'attach to a network (repeatable)', collect)
    .addHelpText(
      'after',
      `
Examples:
  swarmctl service create web --image host --replicas 3 -p 8080:80 -- python3 -m http.server 80
  swarmctl service create agent --image /srv/rootfs --mode global --limit-memory 64m --constraint node.labels.zone==a
  swarmctl service create db --image host --secret db-password,target=pw --mount type=bind,source=/data,target=/data -- ./db`,
    )
    .action((name: string, args: string[], flags: CreateServiceFlags) =>
      run((ctx) => serviceCreate(ctx, name, args, flags)),
    );
}
