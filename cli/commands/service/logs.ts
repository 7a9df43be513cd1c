/**
 * `swarmctl service logs [-f] [--tail N] [-t] SERVICE...`: the containers' output of services, from the
 * agents that run them through the managers, each line prefixed with its task and node as docker does
 * (`web.1.abc123@alpha | …`). Without --follow it ends once every node sent what it has.
 */
import type { Command } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb, logspb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { shortId } from '../../format/names.js';
import { nodeName } from '../../format/node.js';
import { taskName } from '../../format/task.js';
import type { Runner } from '../runner.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
}

/** `--tail all|N` → -1 or N. */
export function parseTail(text: string | undefined): number {
  if (text === undefined || text === 'all') return -1;
  if (!/^\d+$/.test(text) || Number(text) > 100_000)
    throw new FlagError('--tail', `must be "all" or a number of lines from 0 to 100000, got "${text}"`);
  return Number(text);
}

export async function serviceLogs(
  ctx: CommandContext,
  refs: readonly string[],
  options: LogsOptions,
): Promise<void> {
  const tail = parseTail(options.tail);
  const services: controlpb.Service__Output[] = [];
  for (const ref of refs) {
    const { service } = await ctx.client.call('GetService', { serviceId: ref });
    if (service !== null) services.push(service);
  }
  const serviceIds = services.map((s) => s.id);
  const names = new Map<string, string>();
  const refresh = async (): Promise<void> => {
    const [{ tasks }, { nodes }] = await Promise.all([
      ctx.client.call('ListTasks', { serviceIds }),
      ctx.client.call('ListNodes', {}),
    ]);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const t of tasks) {
      const node = byId.get(t.nodeId);
      names.set(
        t.id,
        `${taskName(t)}.${shortId(t.id)}@${node === undefined ? shortId(t.nodeId) : nodeName(node)}`,
      );
    }
  };
  await refresh();
  const print = async (m: logspb.SubscribeLogsMessage__Output): Promise<void> => {
    for (const node of m.unreachableNodes)
      ctx.notice(`swarmctl: node ${shortId(node)} is not connected: the output of its tasks is missing\n`);
    if (m.messages.some((msg) => !names.has(msg.taskId))) await refresh();
    for (const msg of m.messages) {
      const prefix = names.get(msg.taskId) ?? shortId(msg.taskId);
      const time = options.timestamps ? `${new Date(Number(msg.timestampMs)).toISOString()} ` : '';
      const text = msg.data.toString('utf8');
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      for (const l of lines) ctx.out(`${prefix}    | ${time}${l}\n`);
    }
  };
  // Messages are printed in arrival order; the name lookup must not reorder them.
  let chain = Promise.resolve();
  await ctx.client.logs(
    { selector: { serviceIds }, options: { follow: options.follow === true, tail } },
    (m) => {
      chain = chain.then(() => print(m));
    },
    ctx.signal,
  );
  await chain;
}

export function registerServiceLogs(parent: Command, run: Runner): void {
  parent
    .command('logs')
    .summary("print the containers' output of services")
    .description(
      "Print what the services' containers wrote to stdout and stderr, from the agents that run them, each line prefixed with its task and node (web.1.<task>@<node> | …). Without --follow, ends once every node has sent what it has; a node that is not connected is named on stderr.",
    )
    .argument('<SERVICE...>', 'services: names, ids or unique id prefixes')
    .option('-f, --follow', 'keep printing new output until Ctrl-C')
    .option('-n, --tail <N>', 'only the last N lines of each task ("all" for everything)', 'all')
    .option('-t, --timestamps', 'print when each line was written')
    .action((refs: string[], options: LogsOptions) => run((ctx) => serviceLogs(ctx, refs, options)));
}
