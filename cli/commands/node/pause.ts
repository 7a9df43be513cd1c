/** `swarmctl node pause NODE...` (see availability.ts, which the five node verbs share). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';
import { nodeVerb, registerNodeVerb } from './availability.js';

export function nodePause(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  return nodeVerb(ctx, 'pause', refs);
}

export function registerNodePause(parent: Command, run: Runner): void {
  registerNodeVerb(parent, run, 'pause');
}
