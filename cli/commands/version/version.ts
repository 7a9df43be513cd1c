/** `swarmctl version`: this client's version and the API it speaks. */
import type { Command } from 'commander';
import type { CommandContext } from '../../context.js';
import { toJson } from '../../format/json.js';

/** The version of swarmctl (the package's). */
export const SWARMCTL_VERSION = '0.1.0';

export interface VersionInfo {
  swarmctl: string;
  node: string;
  api: string;
}

export function versionInfo(nodeVersion: string): VersionInfo {
  return { swarmctl: SWARMCTL_VERSION, node: nodeVersion, api: 'swarmd.control.Control' };
}

export function printVersion(ctx: Pick<CommandContext, 'out' | 'format'>, info: VersionInfo): void {
  ctx.out(
    ctx.format === 'json'
      ? toJson(info)
      : `swarmctl ${info.swarmctl}\nNode.js ${info.node}\nAPI ${info.api}\n`,
  );
}

/** Registered by the composition root, which passes what it knows of the process. */
export function registerVersion(program: Command, print: (format: CommandContext['format']) => void): void {
  program
    .command('version')
    .summary('print the version of swarmctl')
    .description("Print swarmctl's version, the Node.js it runs on, and the API it speaks.")
    .action(() => print(program.opts<{ format: CommandContext['format'] }>().format));
}
