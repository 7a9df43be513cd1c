/** `swarmctl node update NODE [--availability A] [--role R] [--label-add k=v] [--label-rm k]`. */
import { type Command, Option } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { NoChangesError } from '../../errors.js';
import { printWritten } from '../output.js';
import { collect, keyValue } from '../parse.js';
import type { Runner } from '../runner.js';
import { changeNode } from './change-node.js';

export interface NodeUpdateFlags {
  availability?: 'active' | 'pause' | 'drain';
  role?: 'worker' | 'manager';
  labelAdd?: string[];
  labelRm?: string[];
}

export async function nodeUpdate(ctx: CommandContext, ref: string, flags: NodeUpdateFlags): Promise<void> {
  const adds = (flags.labelAdd ?? []).map((t) => keyValue('--label-add', t));
  const r = await changeNode(ctx, ref, (spec) => {
    if (flags.availability !== undefined)
      spec.availability =
        `NODE_AVAILABILITY_${flags.availability.toUpperCase()}` as controlpb.NodeAvailability;
    if (flags.role !== undefined)
      spec.desiredRole = `NODE_ROLE_${flags.role.toUpperCase()}` as controlpb.NodeRole;
    if (adds.length > 0 || flags.labelRm !== undefined) {
      spec.annotations ??= {};
      const labels = { ...(spec.annotations.labels ?? {}) };
      for (const k of flags.labelRm ?? []) delete labels[k];
      for (const [k, v] of adds) labels[k] = v;
      spec.annotations.labels = labels;
    }
  });
  if (!r.changed) throw new NoChangesError(`node "${r.name}"`);
  printWritten(ctx, r.node);
}

export function registerNodeUpdate(parent: Command, run: Runner): void {
  parent
    .command('update')
    .summary("change a node's availability, role or labels")
    .description(
      'Change a node\'s availability, role or labels, keeping the rest. Prints the node\'s id; fails with "no changes detected" when nothing changes.',
    )
    .argument('<NODE>', 'the node: a name, hostname, id or unique id prefix')
    .addOption(
      new Option('--availability <availability>', 'active, pause or drain').choices([
        'active',
        'pause',
        'drain',
      ]),
    )
    .addOption(new Option('--role <role>', 'worker or manager').choices(['worker', 'manager']))
    .option('--label-add <key=value>', 'add or change a node label (repeatable)', collect)
    .option('--label-rm <key>', 'remove a node label (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl node update node-2 --label-add zone=a --label-add ssd\n  swarmctl node update node-2 --availability drain',
    )
    .action((ref: string, flags: NodeUpdateFlags) => run((ctx) => nodeUpdate(ctx, ref, flags)));
}
