/**
 * `swarmctl service update SERVICE [flags] [-- ARGS...]`: reads the service, applies only the flags given,
 * and sends the spec back with the version it read. Nothing changed: "no changes detected" (nothing is
 * sent); someone else wrote the service meanwhile: a conflict that says to run the command again.
 */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { NoChangesError } from '../../errors.js';
import { plain } from '../../format/json.js';
import { serviceMode } from '../../format/service.js';
import { canonical, isServerError, printWritten, withConflictMessage } from '../output.js';
import { collect, networkAttachment } from '../parse.js';
import type { Runner } from '../runner.js';
import { waitForConvergence } from './converge.js';
import { addCommonServiceOptions } from './options.js';
import { applyServiceUpdate, type UpdateServiceFlags } from './spec-flags.js';

/** The ids of the networks named by `--network-add`/`--network-rm` (a name the manager does not know stays as is). */
async function networkIds(ctx: CommandContext, flags: UpdateServiceFlags): Promise<Map<string, string>> {
  const refs = [
    ...(flags.networkAdd ?? []).map((n) => networkAttachment('--network-add', n).target ?? ''),
    ...(flags.networkRm ?? []),
  ];
  const ids = new Map<string, string>();
  for (const ref of new Set(refs)) {
    try {
      const { network } = await ctx.client.call('GetNetwork', { networkId: ref });
      if (network) ids.set(ref, network.id);
    } catch (err) {
      if (!isServerError(err, 'ERR_CONTROLAPI_NOT_FOUND')) throw err;
    }
  }
  return ids;
}

export async function serviceUpdate(
  ctx: CommandContext,
  ref: string,
  args: readonly string[],
  flags: UpdateServiceFlags,
): Promise<void> {
  // Bad flag values are usage errors, found before anything is read.
  applyServiceUpdate({}, args, flags, { global: false });
  const { service } = await ctx.client.call('GetService', { serviceId: ref });
  if (service === null) throw new Error(`the manager answered GetService("${ref}") without a service`);
  const name = service.spec?.annotations?.name ?? ref;
  const before = plain(service.spec) as controlpb.ServiceSpec;
  const spec = plain(service.spec) as controlpb.ServiceSpec;
  const hasNetworkFlags = flags.networkAdd !== undefined || flags.networkRm !== undefined;
  applyServiceUpdate(spec, args, flags, {
    global: serviceMode(service.spec) === 'global',
    networkIds: hasNetworkFlags ? await networkIds(ctx, flags) : new Map(),
  });
  if (canonical(spec) === canonical(before)) throw new NoChangesError(`service "${name}"`);
  const { service: updated } = await withConflictMessage(`service "${name}"`, () =>
    ctx.client.call('UpdateService', {
      serviceId: service.id,
      serviceVersion: { index: service.meta?.version?.index ?? '0' },
      spec,
    }),
  );
  printWritten(ctx, updated);
  if (flags.detach !== true && updated !== null) await waitForConvergence(ctx, updated.id);
}

export function registerServiceUpdate(parent: Command, run: Runner): void {
  const cmd = parent
    .command('update')
    .summary('change a service')
    .description(
      'Change the settings of SERVICE (a name, id or unique id prefix) that the flags give and keep all others; ARGS after -- replace the command\'s arguments. Lists (env, labels, constraints, ports, mounts, secrets, configs, networks) change with --X-add and --X-rm; a --X-rm is applied before the --X-add. Prints the service\'s id. Fails with "no changes detected" when the flags change nothing, and asks to run the command again when someone else updated the service meanwhile.',
    )
    .argument('<SERVICE>', 'the service: a name, id or unique id prefix')
    .argument('[ARGS...]', "replace the command's arguments (put them after --)")
    .option('--image <image>', 'the image to run')
    .option('--replicas <n>', 'number of tasks (replicated services)')
    .option('--force', 'redeploy the tasks even if nothing else changes')
    .option('--env-add <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('--env-rm <KEY>', 'remove an environment variable (repeatable)', collect)
    .option('--label-add <key=value>', 'add or change a service label (repeatable)', collect)
    .option('--label-rm <key>', 'remove a service label (repeatable)', collect)
    .option('--container-label-add <key=value>', 'add or change a container label (repeatable)', collect)
    .option('--container-label-rm <key>', 'remove a container label (repeatable)', collect)
    .option(
      '--constraint-add <expr>',
      'add a placement constraint, such as node.labels.zone==a (repeatable)',
      collect,
    )
    .option('--constraint-rm <expr>', 'remove a placement constraint (repeatable)', collect)
    .option(
      '--placement-pref-add <pref>',
      'add a placement preference: spread=node.labels.<name> (repeatable)',
      collect,
    )
    .option('--placement-pref-rm <pref>', 'remove a placement preference (repeatable)', collect)
    .option(
      '--publish-add <PUBLISHED:TARGET[/proto]>',
      'publish a port, or change the one published there (repeatable)',
      collect,
    )
    .option('--publish-rm <[PUBLISHED:]TARGET[/proto]>', 'stop publishing a port (repeatable)', collect)
    .option('--mount-add <spec>', 'add a mount, or replace the one at its target (repeatable)', collect)
    .option('--mount-rm <target>', 'remove the mount at this target path (repeatable)', collect)
    .option('--secret-add <NAME[,target=T]>', 'give a secret to the service (repeatable)', collect)
    .option('--secret-rm <NAME>', 'take a secret away (repeatable)', collect)
    .option('--config-add <NAME[,target=/path]>', 'give a config to the service (repeatable)', collect)
    .option('--config-rm <NAME>', 'take a config away (repeatable)', collect)
    .option('--network-add <NAME[,alias=A]>', 'attach to a network (repeatable)', collect)
    .option('--network-rm <NAME>', 'detach from a network (repeatable)', collect);
  // --read-only (a common option) must be declared before --no-read-only, so that neither sets a default.
  addCommonServiceOptions(cmd)
    .option('--no-read-only', "mount the container's root filesystem read-write again")
    .addHelpText(
      'after',
      `
Examples:
  swarmctl service update web --image /srv/rootfs-v2 --update-parallelism 2 --update-delay 10s
  swarmctl service update web --env-add LOG_LEVEL=debug --env-rm OLD_FLAG --limit-memory 128m
  swarmctl service update web --publish-rm 80 --publish-add 8081:80 --constraint-add node.labels.zone==b
  swarmctl service update web --force`,
    )
    .action((ref: string, args: string[], flags: UpdateServiceFlags) =>
      run((ctx) => serviceUpdate(ctx, ref, args, flags)),
    );
}
