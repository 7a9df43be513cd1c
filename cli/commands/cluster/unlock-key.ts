/** `swarmctl cluster unlock-key [-q]`: the key a restarted autolocked manager needs (`swarmd unlock`). */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { CommandError } from '../../errors.js';
import type { Runner } from '../runner.js';

export async function clusterUnlockKey(ctx: CommandContext, options: { quiet?: boolean }): Promise<void> {
  const { unlockKey } = await ctx.client.call('GetUnlockKey', {});
  if (unlockKey === '')
    throw new CommandError(
      'Cannot show the unlock key: autolock is off (turn it on with swarmctl cluster update --autolock)',
    );
  if (ctx.format === 'json') ctx.out(`${JSON.stringify({ unlockKey })}\n`);
  else if (options.quiet === true) ctx.out(`${unlockKey}\n`);
  else
    ctx.out(
      `To unlock a manager after it restarted, run on its host and give this key:\n\n    swarmd unlock --state-dir <state-dir>\n\n    ${unlockKey}\n\nKeep it safe: without it a restarted manager cannot read its data.\n`,
    );
}

export function registerClusterUnlockKey(parent: Command, run: Runner): void {
  parent
    .command('unlock-key')
    .summary("show the managers' unlock key (autolock)")
    .description(
      'Show the key (SWMKEY-1-…) that a manager needs after a restart while autolock is on: swarmd unlock asks for it.',
    )
    .option('-q, --quiet', 'print the key alone')
    .action((options: { quiet?: boolean }) => run((ctx) => clusterUnlockKey(ctx, options)));
}
