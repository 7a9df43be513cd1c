/**
 * `swarmctl node drain|activate|pause NODE...` and `node promote|demote NODE...`: one change of a node's
 * spec each. A node already in that state is left alone (and said so).
 */
import type { Command } from 'commander';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { toJson } from '../../format/json.js';
import type { Runner } from '../runner.js';
import { changeNode } from './change-node.js';

/** A verb that sets one field of the node spec. */
export interface NodeVerb {
  readonly field: 'availability' | 'desiredRole';
  readonly value: controlpb.NodeAvailability | controlpb.NodeRole;
  /** `Node web-1 drained.` */
  readonly done: (name: string) => string;
  /** `Node web-1 is already drained.` */
  readonly already: (name: string) => string;
}

export const NODE_VERBS = {
  activate: {
    field: 'availability',
    value: 'NODE_AVAILABILITY_ACTIVE',
    done: (n) => `Node ${n} is active: it takes new tasks.`,
    already: (n) => `Node ${n} is already active.`,
  },
  pause: {
    field: 'availability',
    value: 'NODE_AVAILABILITY_PAUSE',
    done: (n) => `Node ${n} paused: it keeps its tasks and takes no new ones.`,
    already: (n) => `Node ${n} is already paused.`,
  },
  drain: {
    field: 'availability',
    value: 'NODE_AVAILABILITY_DRAIN',
    done: (n) => `Node ${n} drained: its tasks move to other nodes.`,
    already: (n) => `Node ${n} is already drained.`,
  },
  promote: {
    field: 'desiredRole',
    value: 'NODE_ROLE_MANAGER',
    done: (n) => `Node ${n} promoted to a manager in the cluster.`,
    already: (n) => `Node ${n} is already a manager.`,
  },
  demote: {
    field: 'desiredRole',
    value: 'NODE_ROLE_WORKER',
    done: (n) => `Manager ${n} demoted in the cluster.`,
    already: (n) => `Node ${n} is already a worker.`,
  },
} as const satisfies Record<string, NodeVerb>;

export type NodeVerbName = keyof typeof NODE_VERBS;

export async function nodeVerb(
  ctx: CommandContext,
  verb: NodeVerbName,
  refs: readonly string[],
): Promise<void> {
  const v: NodeVerb = NODE_VERBS[verb];
  for (const ref of refs) {
    const r = await changeNode(ctx, ref, (spec) => {
      if (v.field === 'availability') spec.availability = v.value as controlpb.NodeAvailability;
      else spec.desiredRole = v.value as controlpb.NodeRole;
    });
    ctx.out(ctx.format === 'json' ? toJson(r.node) : `${r.changed ? v.done(r.name) : v.already(r.name)}\n`);
  }
}

const DESCRIPTIONS: Record<NodeVerbName, string> = {
  activate: 'Make nodes active: they take new tasks again.',
  pause: 'Pause nodes: they keep their tasks but take no new ones.',
  drain: 'Drain nodes: their tasks are moved to other nodes and they take no new ones (for maintenance).',
  promote: 'Promote nodes to managers.',
  demote: 'Demote managers to workers. The manager refuses to demote the last manager of the cluster.',
};

export function registerNodeVerb(parent: Command, run: Runner, verb: NodeVerbName): void {
  parent
    .command(verb)
    .summary(DESCRIPTIONS[verb].split(':')[0]?.replace(/\.$/, '').toLowerCase() ?? verb)
    .description(DESCRIPTIONS[verb])
    .argument('<NODE...>', 'nodes: names, hostnames, ids or unique id prefixes')
    .addHelpText('after', `\nExample:\n  swarmctl node ${verb} node-2`)
    .action((refs: string[]) => run((ctx) => nodeVerb(ctx, verb, refs)));
}
