/** `swarmctl config create NAME [-f FILE] [-l k=v]`: creates a config from a file or standard input. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { printWritten } from '../output.js';
import { collect, keyValues } from '../parse.js';
import { readData } from '../read-data.js';
import type { Runner } from '../runner.js';

export interface ConfigCreateOptions {
  file?: string;
  label?: string[];
}

export async function configCreate(
  ctx: CommandContext,
  name: string,
  options: ConfigCreateOptions,
): Promise<void> {
  const labels = keyValues('--label', options.label);
  const data = await readData(ctx, options.file);
  const { config } = await ctx.client.call('CreateConfig', { spec: { annotations: { name, labels }, data } });
  printWritten(ctx, config);
}

export function registerConfigCreate(parent: Command, run: Runner): void {
  parent
    .command('create')
    .summary('create a config')
    .description(
      'Create a config named NAME from the contents of FILE, or of standard input without -f (or with -f -); at most 1000 KiB. Prints its id; its data is shown by config inspect.',
    )
    .argument('<NAME>', 'the config name')
    .option('-f, --file <FILE>', 'read the data from FILE (- for standard input)')
    .option('-l, --label <key=value>', 'a label (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl config create app-config -f ./app.conf\n  printf %s "$VALUE" | swarmctl config create app-config-2',
    )
    .action((name: string, options: ConfigCreateOptions) => run((ctx) => configCreate(ctx, name, options)));
}
