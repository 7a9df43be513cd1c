/**
 * Placement constraints (`node.labels.zone==a`, `node.role!=manager`) and spread preferences
 * (`node.labels.zone`): parsing, checking and matching against a node. A pure module: it imports only the
 * model's types, so that the Control API (validation), the scheduler and the orchestrators share it.
 *
 * Semantics (swarmkit's): a list of constraints is AND-ed; `==` and `!=` compare values
 * case-insensitively; a label the node does not have fails `==` and passes `!=`.
 */
import type { Node } from './objects.js';

export type ConstraintOperator = '==' | '!=';

/** A parsed constraint. `key` is lower-case except a label's name, which keeps its case. */
export interface Constraint {
  readonly key: string;
  readonly operator: ConstraintOperator;
  readonly value: string;
}

/** The keys a constraint may use, as listed in error messages. */
export const CONSTRAINT_KEYS: readonly string[] = [
  'node.id',
  'node.hostname',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
  'node.labels.<name>',
  'engine.labels.<name>',
];

const EXACT_KEYS = new Set([
  'node.id',
  'node.hostname',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
]);
const LABEL_FAMILIES = ['node.labels', 'engine.labels'];
/** Prefixes of known keys, for telling a misspelt family (`node.lables.x`) from a misspelt key. */
const KNOWN_FAMILIES = new Set(['node.labels', 'engine.labels', 'node.platform']);

export type ConstraintParse =
  | { readonly ok: true; readonly constraint: Constraint }
  | { readonly ok: false; readonly problem: string };

/** The canonical form of a key (families lower-cased, a label's name as written), or a problem. */
function checkKey(raw: string): { key: string } | { problem: string } {
  const lower = raw.toLowerCase();
  if (EXACT_KEYS.has(lower)) return { key: lower };
  for (const family of LABEL_FAMILIES) {
    if (lower === family) return { problem: `key "${raw}" needs a label name (${family}.<name>)` };
    if (lower.startsWith(`${family}.`)) return { key: `${family}.${raw.slice(family.length + 1)}` };
  }
  const segments = raw.split('.');
  const family = segments.slice(0, 2).join('.');
  const unknown =
    segments.length >= 3 && !KNOWN_FAMILIES.has(family.toLowerCase()) && !EXACT_KEYS.has(family.toLowerCase())
      ? family
      : raw;
  return { problem: `unknown key "${unknown}" (known: ${CONSTRAINT_KEYS.join(', ')})` };
}

/**
 * Parses one constraint, `<key>==<value>` or `<key>!=<value>` (spaces around the parts are ignored). The
 * problem, when there is one, is a phrase for an error message: `unknown key "node.lables" (known: ...)`.
 */
export function parseConstraint(expression: string): ConstraintParse {
  const eq = expression.indexOf('==');
  const ne = expression.indexOf('!=');
  const at = eq < 0 ? ne : ne < 0 ? eq : Math.min(eq, ne);
  if (at < 0) return { ok: false, problem: 'expected <key>==<value> or <key>!=<value>' };
  const operator = expression.slice(at, at + 2) as ConstraintOperator;
  const rawKey = expression.slice(0, at).trim();
  const value = expression.slice(at + 2).trim();
  if (rawKey === '') return { ok: false, problem: 'empty key' };
  if (value === '') return { ok: false, problem: 'empty value' };
  if (value.includes('==') || value.includes('!=')) return { ok: false, problem: 'more than one operator' };
  if (/\s/.test(rawKey)) return { ok: false, problem: `key "${rawKey}" contains whitespace` };
  const checked = checkKey(rawKey);
  if ('problem' in checked) return { ok: false, problem: checked.problem };
  const { key } = checked;
  if (key === 'node.role' && !['manager', 'worker'].includes(value.toLowerCase()))
    return { ok: false, problem: `node.role is manager or worker, got "${value}"` };
  return { ok: true, constraint: { key, operator, value } };
}

/**
 * Parses an AND-ed list of constraints that were validated before (those stored in a service spec).
 * @throws RangeError naming the first one that does not parse
 */
export function parseConstraints(expressions: readonly string[]): Constraint[] {
  return expressions.map((e) => {
    const r = parseConstraint(e);
    if (!r.ok) throw new RangeError(`Cannot parse constraint "${e}": ${r.problem}`);
    return r.constraint;
  });
}

/**
 * What constraints look at on a node, whatever shape the node comes in (the store's objects here, the
 * Control API's messages in swarmctl).
 */
export interface ConstraintFacts {
  id: string;
  hostname: string | undefined;
  role: string;
  os: string | undefined;
  arch: string | undefined;
  nodeLabels: Readonly<Record<string, string>>;
  engineLabels: Readonly<Record<string, string>>;
}

/** The value of a canonical `key` among `facts`, or undefined when the node has no such label. */
export function factValue(facts: ConstraintFacts, key: string): string | undefined {
  switch (key) {
    case 'node.id':
      return facts.id;
    case 'node.hostname':
      return facts.hostname;
    case 'node.role':
      return facts.role;
    case 'node.platform.os':
      return facts.os;
    case 'node.platform.arch':
      return facts.arch;
  }
  const label = (labels: Readonly<Record<string, string>>, prefix: string): string | undefined => {
    const name = key.slice(prefix.length);
    return Object.hasOwn(labels, name) ? labels[name] : undefined;
  };
  if (key.startsWith('node.labels.')) return label(facts.nodeLabels, 'node.labels.');
  if (key.startsWith('engine.labels.')) return label(facts.engineLabels, 'engine.labels.');
  return undefined;
}

/** The value of `key` on `node`, or undefined when the node has no such label (or no description yet). */
export function nodeValue(node: Node, key: string): string | undefined {
  const d = node.description;
  return factValue(
    {
      id: node.id,
      hostname: d?.hostname,
      role: node.role,
      os: d?.platform.os,
      arch: d?.platform.architecture,
      nodeLabels: node.spec.annotations.labels,
      engineLabels: d?.engine.labels ?? {},
    },
    key,
  );
}

/** True when every constraint holds for the values `value` gives (an empty list: always). */
export function satisfiesConstraints(
  constraints: readonly Constraint[],
  value: (key: string) => string | undefined,
): boolean {
  for (const c of constraints) {
    const v = value(c.key);
    const equal = v !== undefined && v.toLowerCase() === c.value.toLowerCase();
    if (equal !== (c.operator === '==')) return false;
  }
  return true;
}

/** True when `node` satisfies every constraint (an empty list: every node). */
export function matchesConstraints(constraints: readonly Constraint[], node: Node): boolean {
  return satisfiesConstraints(constraints, (key) => nodeValue(node, key));
}

/**
 * Checks a spread preference's key: `node.labels.<name>` or `engine.labels.<name>`. Returns the problem,
 * or null when it is fine.
 */
export function checkSpreadKey(key: string): string | null {
  const lower = key.toLowerCase();
  for (const family of LABEL_FAMILIES)
    if (lower.startsWith(`${family}.`) && key.length > family.length + 1 && !/\s/.test(key)) return null;
  return `must be node.labels.<name> or engine.labels.<name>, got "${key}"`;
}
