/**
 * swarmd: the daemon every host runs. Today it runs containers on this host through swarm-runtime
 * (`swarmd container run`); the cluster commands (init, join) come with the control plane.
 */
import { Command, CommanderError } from 'commander';
import { errorMessage, SwarmError } from '../common/index.js';
import { containerRun } from './container-run.js';

const VERSION = '0.1.0';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('swarmd')
    .description('A Swarm-style container orchestrator daemon')
    .version(VERSION)
    .option('-d, --state-dir <dir>', 'where swarmd keeps its state', '/var/lib/swarmd')
    .option('--runtime-root <dir>', 'the container runtime state root', '/run/swarmd/runtime')
    .option('--cgroup-parent <path>', "the cgroup under which containers' cgroups are made", '/swarmd')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  const container = program
    .command('container')
    .description('run containers on this host, without the cluster');
  container
    .command('run')
    .description('run one container in the foreground, stream its output, report how it ended and remove it')
    .argument('<command...>', 'the program and its arguments (put -- before them)')
    .option(
      '--image <image>',
      '"host" (the host programs, read-only) or the absolute path of a rootfs folder',
      'host',
    )
    .option('--name <id>', 'the container id (default: a random one)')
    .option('--hostname <name>', 'the container hostname (default: its id)')
    .option('-m, --memory <size>', 'memory limit, e.g. 64m (the kernel OOM-kills above it)')
    .option('--cpus <n>', 'CPU limit in CPUs, e.g. 0.5')
    .option('--pids <n>', 'the most processes the container may have')
    .option('-e, --env <KEY=value>', 'an environment variable (repeatable)', collect, [])
    .option('--read-only', 'mount a rootfs image read-only')
    .option('--runtime <path>', 'an OCI runtime to use instead of swarm-runtime (crun, runc)')
    .action(async (args: string[], flags) => {
      const globals = program.opts<{ stateDir: string; runtimeRoot: string; cgroupParent: string }>();
      code = await containerRun(args, flags, {
        stateDir: globals.stateDir,
        runtimeRoot: globals.runtimeRoot,
        cgroupParent: globals.cgroupParent,
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`swarmd: ${errorMessage(err)}\n`);
    return err instanceof SwarmError && err.code === 'ERR_FLAG_INVALID' ? 2 : 1;
  }
}
