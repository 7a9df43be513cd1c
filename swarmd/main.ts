/**
 * swarmd: the daemon every host runs. `swarmd init` creates a cluster and makes this host its first
 * manager, `swarmd join --token T MANAGER_ADDR` adds a manager, `swarmd run` resumes a node from its state
 * dir (all three run in the foreground); `swarmd container run` runs one container on this host through
 * swarm-runtime, without the cluster.
 */
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import { errorMessage, SwarmError } from '../common/index.js';
import type { ManagerMode } from '../manager/index.js';
import {
  type ClusterFlags,
  compileAgentFlags,
  compileClusterFlags,
  DEFAULT_HTTP_ADDR,
  DEFAULT_LISTEN_ADDR,
} from './cluster-flags.js';
import { containerRun } from './container-run.js';
import { runDaemon } from './daemon.js';
import { FlagError } from './errors.js';
import { sendUnlockKey } from './locked.js';

const VERSION = '0.1.0';

/** The first line of a stream (the unlock key typed or piped in), trimmed. */
async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}

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
  const cluster = (mode: ManagerMode, description: string): Command => {
    const cmd = program
      .command(mode)
      .description(description)
      .option('-d, --state-dir <dir>', 'where this node keeps its state (default: the global --state-dir)')
      .option(
        '--listen-addr <host:port>',
        `the cluster port (raft, managers, Control API); :PORT for every interface (default: ${DEFAULT_LISTEN_ADDR}, or the recorded one when resuming)`,
      )
      .option(
        '--http-addr <host:port>',
        `the HTTP endpoints: /healthz (default: ${DEFAULT_HTTP_ADDR}, every interface)`,
      )
      .addOption(
        new Option('-l, --log-level <level>', 'the least important log lines written (JSON, on stderr)')
          .choices(['debug', 'info', 'warn', 'error'])
          .default('info'),
      );
    if (mode !== 'run')
      cmd.option(
        '--advertise-addr <host:port>',
        "where other managers reach this one; recorded in the cluster (default: the listen address, or this host's first non-loopback IPv4 address with the listen port)",
      );
    return cmd;
  };
  const daemon = async (mode: ManagerMode, flags: ClusterFlags, joinAddr?: string): Promise<void> => {
    const globals = program.opts<{ stateDir: string; runtimeRoot: string; cgroupParent: string }>();
    const config = {
      ...compileClusterFlags(mode, flags, flags.stateDir ?? globals.stateDir, joinAddr),
      agent: compileAgentFlags(globals.runtimeRoot, globals.cgroupParent),
    };
    code = await runDaemon(config, {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
  };
  cluster(
    'init',
    'create a cluster and make this host its first manager (resumes a node already in the state dir)',
  )
    .option(
      '--autolock',
      "seal the managers' Raft data under an unlock key (printed once): a restarted manager waits for swarmd unlock",
    )
    .action((flags: ClusterFlags) => daemon('init', flags));
  cluster(
    'join',
    'join the cluster of the manager at MANAGER_ADDR, as a manager or a worker as the token says',
  )
    .argument('<MANAGER_ADDR>', 'host:port of a manager of the cluster')
    .requiredOption(
      '--token <token>',
      'the join token: the manager token joins as a manager, the worker token as a worker (swarmctl join-token)',
    )
    .action((managerAddr: string, flags: ClusterFlags) => daemon('join', flags, managerAddr));
  cluster('run', 'resume the node whose state is in --state-dir').action((flags: ClusterFlags) =>
    daemon('run', flags),
  );
  program
    .command('unlock')
    .description(
      "give a locked manager (autolock) the cluster's unlock key; it is read from standard input (swarmctl cluster unlock-key shows it)",
    )
    .option('-d, --state-dir <dir>', "the locked manager's state dir (default: the global --state-dir)")
    .action(async (flags: { stateDir?: string }) => {
      const dir = flags.stateDir ?? program.opts<{ stateDir: string }>().stateDir;
      if (process.stdin.isTTY) process.stderr.write('Unlock key: ');
      const key = await firstLine(process.stdin);
      if (key === '') throw new FlagError('unlock key', 'none was given on standard input');
      await sendUnlockKey(dir, key);
      process.stdout.write('Unlocked: the manager is starting.\n');
      code = 0;
    });
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
    // Help and version exit 0; every other commander error is a usage error.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`swarmd: ${errorMessage(err)}\n`);
    return err instanceof SwarmError && err.code === 'ERR_FLAG_INVALID' ? 2 : 1;
  }
}
