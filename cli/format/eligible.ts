/**
 * Which nodes a global service should run on, for the REPLICAS column of `service ls`: nodes that are not
 * down, are active, and satisfy the service's placement constraints. The constraints reach here already
 * validated by the manager; one that does not parse matches no node.
 *
 * The semantics are manager/controlapi's `matchesConstraints()` (values compare case-insensitively, a
 * missing label is "not equal"); cli/ may not import manager/, so until that matcher moves to a shared
 * place this is the client's own reading of it.
 */
import type { controlpb } from '../../proto/index.js';

type Node = controlpb.Node__Output;

/** The value of a constraint key on a node; undefined when the node has none. */
function nodeValue(node: Node, key: string): string | undefined {
  const lower = key.toLowerCase();
  switch (lower) {
    case 'node.id':
      return node.id;
    case 'node.hostname':
      return node.description?.hostname;
    case 'node.role':
      return node.role === 'NODE_ROLE_MANAGER' ? 'manager' : 'worker';
    case 'node.platform.os':
      return node.description?.platform?.os;
    case 'node.platform.arch':
      return node.description?.platform?.architecture;
  }
  const label = (labels: Record<string, string> | undefined, prefix: string): string | undefined => {
    const name = key.slice(prefix.length);
    return labels !== undefined && Object.hasOwn(labels, name) ? labels[name] : undefined;
  };
  if (lower.startsWith('node.labels.')) return label(node.spec?.annotations?.labels, 'node.labels.');
  if (lower.startsWith('engine.labels.')) return label(node.description?.engine?.labels, 'engine.labels.');
  return undefined;
}

/** True when `node` satisfies every constraint (`key==value`, `key!=value`). */
export function matchesConstraints(constraints: readonly string[], node: Node): boolean {
  for (const expression of constraints) {
    const m = /^(.*?)(==|!=)(.*)$/.exec(expression);
    if (m === null) return false;
    const actual = nodeValue(node, (m[1] ?? '').trim());
    const equal = actual !== undefined && actual.toLowerCase() === (m[3] ?? '').trim().toLowerCase();
    if (equal !== (m[2] === '==')) return false;
  }
  return true;
}

/** True for a node that is down (or gone from the list). */
export function isDown(node: Node | undefined): boolean {
  return node === undefined || node.status?.state === 'NODE_STATE_DOWN';
}

/** The nodes a global service with these constraints should run on. */
export function eligibleNodes(constraints: readonly string[], nodes: readonly Node[]): Node[] {
  return nodes.filter(
    (n) =>
      !isDown(n) &&
      (n.spec?.availability ?? 'NODE_AVAILABILITY_ACTIVE') === 'NODE_AVAILABILITY_ACTIVE' &&
      matchesConstraints(constraints, n),
  );
}
