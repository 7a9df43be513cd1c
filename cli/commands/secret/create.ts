/** `swarmctl secret create NAME [-f FILE] [-l k=v]`: creates a secret from a file or standard input. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { withoutData } from '../../format/json.js';
import { printWritten } from '../output.js';
import { collect, keyValues } from '../parse.js';
import { readData } from '../read-data.js';
import type { Runner } from '../runner.js';

export interface SecretCreateOptions {
  file?: string;
  label?: string[];
}

export async function secretCreate(
  ctx: CommandContext,
  name: string,
  options: SecretCreateOptions,
): Promise<void> {
  const labels = keyValues('--label', options.label);
  const data = await readData(ctx, options.file);
  const { secret } = await ctx.client.call('CreateSecret', { spec: { annotations: { name, labels }, data } });
  printWritten(ctx, secret && withoutData(secret));
}

export function registerSecretCreate(parent: Command, run: Runner): void {
  parent
    .command('create')
    .summary('create a secret')
    .description(
      'Create a secret named NAME from the contents of FILE, or of standard input without -f (or with -f -); at most 500 KiB. Prints its id; its data is never shown again, by any command.',
    )
    .argument('<NAME>', 'the secret name')
    .option('-f, --file <FILE>', 'read the data from FILE (- for standard input)')
    .option('-l, --label <key=value>', 'a label (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  swarmctl secret create app-secret -f ./app.key\n  printf %s "$VALUE" | swarmctl secret create app-secret-2',
    )
    .action((name: string, options: SecretCreateOptions) => run((ctx) => secretCreate(ctx, name, options)));
}
