/** The data of a secret or config: a file (`-f FILE`), or standard input (no `-f`, or `-f -`). */
import type { CommandContext } from '../context.js';

export function readData(ctx: CommandContext, file: string | undefined): Promise<Buffer> {
  return file === undefined || file === '-' ? ctx.readStdin() : ctx.readFile(file);
}
