/**
 * Validation of a node spec (UpdateNode): {@link compileNodeSpec}. A node's name may be empty (the node is
 * then named by its hostname); an absent role or availability keeps the current one.
 */
import type { NodeAvailability, NodeRole, NodeSpec } from '../../proto/index.js';
import { InvalidSpecError } from './errors.js';
import {
  type AnnotationsInput,
  compileAnnotations,
  type Loose,
  type Opt,
  Problems,
} from './validate-common.js';

export interface NodeSpecInput {
  annotations?: Opt<AnnotationsInput>;
  /** Absent: keep the current role. */
  desiredRole?: Opt<Loose<NodeRole>>;
  /** Absent: keep the current availability. */
  availability?: Opt<Loose<NodeAvailability>>;
}

export interface CompileNodeSpecOptions {
  /** The stored spec, whose values absent fields keep. */
  current: NodeSpec;
  /** The node's display name, for the message. */
  name: string;
}

/**
 * Validates a node spec sent with UpdateNode and completes it from the current one.
 * @throws InvalidSpecError listing every problem
 */
export function compileNodeSpec(input: NodeSpecInput, options: CompileNodeSpecOptions): NodeSpec {
  const p = new Problems();
  const annotations = compileAnnotations(p, 'spec.annotations', input.annotations, true);
  const desiredRole = p.oneOf(
    'spec.desiredRole',
    input.desiredRole,
    ['worker', 'manager'],
    options.current.desiredRole,
  );
  const availability = p.oneOf(
    'spec.availability',
    input.availability,
    ['active', 'pause', 'drain'],
    options.current.availability,
  );
  if (!p.empty) throw new InvalidSpecError(`update node "${options.name}"`, 'node', p.list);
  return { annotations, desiredRole, availability };
}
