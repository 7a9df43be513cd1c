/**
 * Which nodes a global service should run on, for the REPLICAS column of `service ls`: nodes that are not
 * down, are active, and satisfy the service's placement constraints, read with the managers' own parser
 * and matcher (proto/model's constraint module). The constraints reach here already validated by the
 * manager; one that does not parse matches no node.
 */
import { type controlpb, factValue, parseConstraint, satisfiesConstraints } from '../../proto/index.js';

type Node = controlpb.Node__Output;

/** True when `node` satisfies every constraint (`key==value`, `key!=value`). */
export function matchesConstraints(expressions: readonly string[], node: Node): boolean {
  const parsed = expressions.map(parseConstraint);
  const constraints = parsed.flatMap((p) => (p.ok ? [p.constraint] : []));
  if (constraints.length !== parsed.length) return false;
  const d = node.description;
  const facts = {
    id: node.id,
    hostname: d?.hostname,
    role: node.role === 'NODE_ROLE_MANAGER' ? 'manager' : 'worker',
    os: d?.platform?.os,
    arch: d?.platform?.architecture,
    nodeLabels: node.spec?.annotations?.labels ?? {},
    engineLabels: d?.engine?.labels ?? {},
  };
  return satisfiesConstraints(constraints, (key) => factValue(facts, key));
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
