/** `swarmctl node activate NODE...` (see availability.ts, which the five node verbs share). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import type { Runner } from '../runner.js';
import { nodeVerb, registerNodeVerb } from './availability.js';

export function nodeActivate(ctx: CommandContext, refs: readonly string[]): Promise<void> {
  return nodeVerb(ctx, 'activate', refs);
}

export function registerNodeActivate(parent: Command, run: Runner): void {
  registerNodeVerb(parent, run, 'activate');
}
