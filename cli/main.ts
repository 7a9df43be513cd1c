/**
 * swarmctl: the operators' command line for a swarmd cluster. This is its composition root, the one module
 * that reads flags, environment and process state: it builds the command tree (commander), finds the
 * manager (`--socket`, `$SWARM_SOCKET`, `--host`), builds each command's context and maps what happens to
 * an exit status — 0 done, 1 an error (the manager's or the connection's, printed as `swarmctl: <message>`),
 * 2 a usage error (a bad flag or argument, named), 130 interrupted.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Command, CommanderError, Option } from 'commander';
import { errorCode, errorMessage, FlagError, isTemporary, parseDuration } from '../common/index.js';
import { CLIENT_CHANNEL_OPTIONS, clientCredentials, loadCredentialsDir } from '../pki/index.js';
import { ControlClient, DEFAULT_CALL_TIMEOUT_MS } from './client/control-client.js';
import { type ControlTarget, DEFAULT_SOCKET, hostTarget, socketTarget } from './client/target.js';
import { registerCommands } from './commands/index.js';
import type { Runner } from './commands/runner.js';
import { printVersion, registerVersion, SWARMCTL_VERSION, versionInfo } from './commands/version/version.js';
import type { CommandContext, OutputFormat } from './context.js';

/** What swarmctl takes from its process; tests pass their own. */
export interface ProcessIo {
  out(text: string): void;
  err(text: string): void;
  /** Notices for people (progress, "watching…"); the process's writes them only to a terminal. */
  notice(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readStdin(): Promise<Buffer>;
  readFile(path: string): Promise<Buffer>;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  now(): number;
  readonly nodeVersion: string;
}

/** The real process. */
export function processIo(): ProcessIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    notice: (t) => {
      if (process.stderr.isTTY) process.stderr.write(t);
    },
    env: process.env,
    cwd: process.cwd(),
    async readStdin() {
      if (process.stdin.isTTY)
        process.stderr.write('Reading the data from standard input; end it with Ctrl-D.\n');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks);
    },
    readFile: (path) => readFile(path),
    onInterrupt(handler) {
      let count = 0;
      const listener = (): void => {
        // A second Ctrl-C ends the process at once.
        if (++count > 1) process.exit(130);
        handler();
      };
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
    now: () => Date.now(),
    nodeVersion: process.version,
  };
}

interface GlobalOptions {
  socket?: string;
  host?: string;
  tlsDir?: string;
  format: OutputFormat;
  timeout?: string;
}

/** Where the manager is: `--host`, else `--socket`, else `$SWARM_SOCKET`, else the default socket. */
export function resolveTarget(
  g: Pick<GlobalOptions, 'socket' | 'host'>,
  io: Pick<ProcessIo, 'env' | 'cwd'>,
): ControlTarget {
  if (g.host !== undefined && g.socket !== undefined)
    throw new FlagError('--host', 'cannot be given with --socket: swarmctl talks to one manager');
  if (g.host !== undefined) return hostTarget(g.host);
  const fromEnv = io.env.SWARM_SOCKET;
  return socketTarget(
    g.socket ?? (fromEnv === undefined || fromEnv === '' ? DEFAULT_SOCKET : fromEnv),
    io.cwd,
  );
}

/** The certificates `--host` presents when neither `--tls-dir` nor `$SWARM_TLS_DIR` says otherwise. */
export const DEFAULT_TLS_DIR = '/var/lib/swarmd/certificates';

/**
 * How to reach a target: the Unix socket needs nothing (its file mode guards it); over TCP the managers
 * take only mutual TLS with a manager's certificate, read from the TLS folder (a manager's
 * `<state-dir>/certificates`).
 * @throws FlagError when the folder has no certificates
 */
export async function channelCredentials(
  target: ControlTarget,
  tlsDir: string,
): Promise<{ credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }> {
  if (target.kind === 'unix') return { credentials: grpc.credentials.createInsecure(), options: {} };
  let creds: Awaited<ReturnType<typeof loadCredentialsDir>>;
  try {
    creds = await loadCredentialsDir(tlsDir);
  } catch (err) {
    throw new FlagError('--tls-dir', errorMessage(err));
  }
  if (creds === null)
    throw new FlagError(
      '--tls-dir',
      `${tlsDir} holds no node certificate (node.crt, node.key, root-ca.crt): give a manager's <state-dir>/certificates`,
    );
  return { credentials: clientCredentials(creds), options: CLIENT_CHANNEL_OPTIONS };
}

/** `swarmctl service create` for a command. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The message of an error for people; a retryable one says so. */
export function describeError(err: unknown): string {
  const message = errorMessage(err);
  if (isTemporary(err) && !/retry/i.test(message))
    return `${message}; this is temporary (the cluster may be electing a leader), retry in a moment`;
  return message;
}

/** Runs swarmctl with `argv` (without the node and script paths); resolves to the exit status. */
export async function main(argv: readonly string[], io: ProcessIo = processIo()): Promise<number> {
  const program = new Command('swarmctl')
    .description(
      "Manage a swarmd cluster: services, tasks, nodes, the cluster settings, join tokens, secrets, configs and networks, through a manager's Control API.",
    )
    .version(SWARMCTL_VERSION, '-v, --version', "print swarmctl's version")
    .option(
      '-s, --socket <path>',
      `the manager's Unix socket, <state-dir>/swarmd.sock (default: $SWARM_SOCKET, else ${DEFAULT_SOCKET})`,
    )
    .option('--host <host:port>', 'reach a manager over TCP at its cluster address instead of a socket')
    .option(
      '--tls-dir <dir>',
      `with --host: the manager certificate to present, a manager's <state-dir>/certificates (default: $SWARM_TLS_DIR, else ${DEFAULT_TLS_DIR})`,
    )
    .addOption(
      new Option('--format <format>', 'table (for people) or json (for scripts)')
        .choices(['table', 'json'])
        .default('table'),
    )
    .option(
      '--timeout <duration>',
      `how long each call may take, such as 30s (default ${DEFAULT_CALL_TIMEOUT_MS / 1000}s)`,
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`swarmctl: ${s.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      `
Environment:
  SWARM_SOCKET   the manager's socket when --socket and --host are not given
  SWARM_TLS_DIR  the certificates --host presents when --tls-dir is not given

Exit status: 0 done, 1 error, 2 usage error (a bad flag or argument).

Examples:
  swarmctl -s ./state/swarmd.sock node ls
  swarmctl service create web --image host --replicas 3 -- python3 -m http.server 8080
  swarmctl service ls --format json`,
    );

  let current: Command = program;
  program.hook('preAction', (_program, action) => {
    current = action;
  });

  const run: Runner = async (body) => {
    const g = program.opts<GlobalOptions>();
    const target = resolveTarget(g, io);
    const timeoutMs =
      g.timeout === undefined ? DEFAULT_CALL_TIMEOUT_MS : parseDuration('--timeout', g.timeout);
    if (timeoutMs <= 0) throw new FlagError('--timeout', `must be more than 0s, got "${g.timeout}"`);
    const tls = await channelCredentials(
      target,
      g.tlsDir ??
        (io.env.SWARM_TLS_DIR === undefined || io.env.SWARM_TLS_DIR === ''
          ? DEFAULT_TLS_DIR
          : io.env.SWARM_TLS_DIR),
    );
    const abort = new AbortController();
    const stopListening = io.onInterrupt(() => abort.abort());
    const client = new ControlClient({
      target,
      credentials: tls.credentials,
      channelOptions: tls.options,
      timeoutMs,
      signal: abort.signal,
    });
    const ctx: CommandContext = {
      client,
      out: (t) => io.out(t),
      notice: (t) => io.notice(t),
      format: g.format,
      now: () => io.now(),
      readStdin: () => io.readStdin(),
      readFile: (p) => io.readFile(p),
      signal: abort.signal,
    };
    try {
      await body(ctx);
    } finally {
      stopListening();
      client.close();
    }
  };

  registerCommands(program, run);
  registerVersion(program, (format) => printVersion({ out: io.out, format }, versionInfo(io.nodeVersion)));
  const withHints = (cmd: Command): void => {
    cmd.showHelpAfterError(`See '${commandPath(cmd)} --help'.`);
    for (const sub of cmd.commands) withHints(sub);
  };
  withHints(program);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander printed its own message (a usage error) or the help/version it was asked for.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (errorCode(err) === 'ERR_CLI_INTERRUPTED') return 130;
    io.err(`swarmctl: ${describeError(err)}\n`);
    if (err instanceof FlagError) {
      io.err(`See '${commandPath(current)} --help'.\n`);
      return 2;
    }
    return 1;
  }
}

/** Run as a program (`node dist/cli/main.js ARGS`, as the tests do): the same as bin/swarmctl. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
