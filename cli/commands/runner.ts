/**
 * How command modules hand their work to the composition root: each registers its commander command and,
 * in the action, calls `run(ctx => …)`. The root builds the {@link CommandContext} (client, output, format,
 * clock, inputs) and turns what the body throws into a message and an exit status.
 */
import type { CommandContext } from '../context.js';

export type Runner = (body: (ctx: CommandContext) => Promise<void>) => Promise<void>;
