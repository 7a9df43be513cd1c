/**
 * `swarmctl events [--filter kind=service] [--filter action=create]`: the cluster's object events, one line
 * each (one JSON object per line with `--format json`), until Ctrl-C.
 */
import type { Command } from 'commander';
import { FlagError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { eventLine } from '../../format/event.js';
import { toJsonLine } from '../../format/json.js';
import { collect, filters } from '../parse.js';
import type { Runner } from '../runner.js';

export interface EventsOptions {
  filter?: string[];
}

const KINDS = ['cluster', 'node', 'service', 'task', 'secret', 'config', 'network'];
const ACTIONS = ['create', 'update', 'remove'];

/** The Watch request of `--filter kind=K` and `--filter action=A` (each repeatable, OR-ed). */
export function watchRequest(texts: readonly string[] | undefined): controlpb.WatchRequest {
  const f = filters('--filter', texts, ['kind', 'action']);
  const check = (key: string, known: readonly string[]) =>
    (f.get(key) ?? []).map((v) => {
      const w = v.toLowerCase();
      if (!known.includes(w))
        throw new FlagError(`--filter ${key}`, `must be one of ${known.join(', ')}, got "${v}"`);
      return w;
    });
  return {
    kinds: check('kind', KINDS).map((k) => `OBJECT_KIND_${k.toUpperCase()}` as controlpb.ObjectKind),
    actions: check('action', ACTIONS).map((a) => `WATCH_ACTION_${a.toUpperCase()}` as controlpb.WatchAction),
  };
}

export async function events(ctx: CommandContext, options: EventsOptions): Promise<void> {
  const request = watchRequest(options.filter);
  await ctx.client.watch(
    request,
    (event) => {
      if (event.action === 'WATCH_ACTION_STARTED') {
        ctx.notice(
          `Watching the cluster's events from version ${event.version?.index ?? '?'}; Ctrl-C to stop.\n`,
        );
        return;
      }
      ctx.out(ctx.format === 'json' ? toJsonLine(event) : eventLine(event, ctx.now()));
    },
    ctx.signal,
  );
}

export function registerEvents(program: Command, run: Runner): void {
  program
    .command('events')
    .summary("stream the cluster's object events")
    .description(
      "Print each change to the cluster's objects as it is committed, one line per event: the time it arrived, the kind, the action, the id and some attributes (with --format json: one JSON object per line). Runs until Ctrl-C.",
    )
    .option(
      '-f, --filter <key=value>',
      `kind=${KINDS.join('|')} or action=${ACTIONS.join('|')} (repeatable; values of one key are OR-ed)`,
      collect,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl events\n  swarmctl events --filter kind=service --filter kind=task --format json',
    )
    .action((options: EventsOptions) => run((ctx) => events(ctx, options)));
}
