/** Read a node, change its spec, write it back with the version read: what the node verbs share. */
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { plain } from '../../format/json.js';
import { nodeName } from '../../format/node.js';
import { canonical, withConflictMessage } from '../output.js';

export interface NodeChange {
  /** The node as it is after the call. */
  node: controlpb.Node__Output;
  /** How it was read, for messages. */
  name: string;
  /** False when `change` left the spec as it was (nothing was sent). */
  changed: boolean;
}

export async function changeNode(
  ctx: CommandContext,
  ref: string,
  change: (spec: controlpb.NodeSpec, node: controlpb.Node__Output) => void,
): Promise<NodeChange> {
  const { node } = await ctx.client.call('GetNode', { nodeId: ref });
  if (node === null) throw new Error(`the manager answered GetNode("${ref}") without a node`);
  const name = nodeName(node);
  const spec = plain(node.spec) as controlpb.NodeSpec;
  change(spec, node);
  if (canonical(spec) === canonical(plain(node.spec))) return { node, name, changed: false };
  const { node: updated } = await withConflictMessage(`node "${name}"`, () =>
    ctx.client.call('UpdateNode', {
      nodeId: node.id,
      nodeVersion: { index: node.meta?.version?.index ?? '0' },
      spec,
    }),
  );
  return { node: updated ?? node, name, changed: true };
}
