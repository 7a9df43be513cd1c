/** `swarmctl join-token [-q] [--rotate] worker|manager`: the token that joins a node in that role. */
import { Argument, type Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { toJson } from '../../format/json.js';
import type { Runner } from '../runner.js';

export interface JoinTokenOptions {
  quiet?: boolean;
  rotate?: boolean;
}

/** The leader's address (else any manager's), for the command line to print. */
async function managerAddress(ctx: CommandContext): Promise<string> {
  const { nodes } = await ctx.client.call('ListNodes', { roles: ['NODE_ROLE_MANAGER'] });
  const managers = nodes.filter((n) => n.managerStatus && n.managerStatus.addr !== '');
  const leader = managers.find((n) => n.managerStatus?.leader);
  return (leader ?? managers[0])?.managerStatus?.addr ?? 'MANAGER_ADDR';
}

export async function joinToken(
  ctx: CommandContext,
  role: 'worker' | 'manager',
  options: JoinTokenOptions,
): Promise<void> {
  const { joinTokens } = options.rotate
    ? await ctx.client.call('RotateJoinToken', {
        role: role === 'manager' ? 'NODE_ROLE_MANAGER' : 'NODE_ROLE_WORKER',
      })
    : await ctx.client.call('GetJoinTokens', {});
  const token = joinTokens?.[role] ?? '';
  if (options.quiet === true) {
    ctx.out(`${token}\n`);
    return;
  }
  if (ctx.format === 'json') {
    ctx.out(toJson({ role, token }));
    return;
  }
  const address = await managerAddress(ctx);
  const rotated = options.rotate ? `Successfully rotated the ${role} join token.\n\n` : '';
  ctx.out(
    `${rotated}To add a ${role} to this cluster, run the following command on the new node:\n\n    swarmd join --token ${token} ${address}\n\n`,
  );
}

export function registerJoinToken(program: Command, run: Runner): void {
  program
    .command('join-token')
    .summary('print or rotate the token that joins a node to the cluster')
    .description(
      'Print the join token for a worker or a manager, with the command that joins a new node. --rotate replaces it first: nodes that already joined are not affected, new ones need the new token.',
    )
    .addArgument(new Argument('<ROLE>', 'worker or manager').choices(['worker', 'manager']))
    .option('-q, --quiet', 'print the token alone')
    .option('--rotate', 'replace the token with a new one first')
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl join-token manager\n  swarmctl join-token -q --rotate worker',
    )
    .action((role: 'worker' | 'manager', options: JoinTokenOptions) =>
      run((ctx) => joinToken(ctx, role, options)),
    );
}
