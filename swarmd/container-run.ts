import { join } from 'node:path';
import { parseBytes, parseCpus, parseInteger, randomIdSource } from '../common/index.js';
import {
  type ContainerResourceOptions,
  type ExitRecord,
  type ImageRef,
  LocalContainers,
  OciRuntime,
} from '../runtime-native/ts/index.js';
import { FlagError } from './errors.js';
import { followLog } from './log-follower.js';

export interface ContainerRunFlags {
  image: string;
  name?: string;
  hostname?: string;
  memory?: string;
  cpus?: string;
  pids?: string;
  env: string[];
  readOnly?: boolean;
  runtime?: string;
}

export interface ContainerRunContext {
  stateDir: string;
  runtimeRoot: string;
  cgroupParent: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Turns the flags into container options, validating each (a FlagError names the flag). */
export function compileRunFlags(flags: ContainerRunFlags): {
  image: ImageRef;
  resources: ContainerResourceOptions;
} {
  const image: ImageRef =
    flags.image === 'host'
      ? { kind: 'host' }
      : flags.image.startsWith('/')
        ? { kind: 'rootfs', path: flags.image }
        : badImage(flags.image);
  const resources: ContainerResourceOptions = {};
  if (flags.memory !== undefined) resources.memoryBytes = parseBytes('--memory', flags.memory);
  if (flags.cpus !== undefined) resources.nanoCpus = parseCpus('--cpus', flags.cpus);
  if (flags.pids !== undefined) resources.pidsLimit = parseInteger('--pids', flags.pids, 1, 4_194_304);
  return { image, resources };
}

function badImage(image: string): never {
  throw new FlagError(
    '--image',
    `must be "host" or the absolute path of a root filesystem folder, got "${image}"`,
  );
}

/** Describes how a container ended, for people. */
export function describeExit(id: string, exit: ExitRecord): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  const oom = exit.oomKilled
    ? `; the kernel's OOM killer ended ${exit.oomKills} process(es) at its memory limit`
    : '';
  return `container ${id} ${how}${oom} (finished ${exit.finishedAt})`;
}

/**
 * `swarmd container run`: one container on this host through swarm-runtime, in the foreground: output is
 * streamed as it is logged, the end is reported, and the container is removed. Ctrl-C stops it.
 */
export async function containerRun(
  args: string[],
  flags: ContainerRunFlags,
  ctx: ContainerRunContext,
): Promise<number> {
  if (args.length === 0) throw new FlagError('COMMAND', 'a command to run is required (after --)');
  const { image, resources } = compileRunFlags(flags);
  const id = flags.name ?? `run-${randomIdSource.newId().slice(0, 12)}`;
  const runtime = new OciRuntime({
    root: ctx.runtimeRoot,
    ...(flags.runtime ? { binary: flags.runtime } : {}),
  });
  for (const [flag, path] of [
    ['--state-dir', ctx.stateDir],
    ['--runtime-root', ctx.runtimeRoot],
    ['--cgroup-parent', ctx.cgroupParent],
  ] as const) {
    if (!path.startsWith('/') || path.includes('..'))
      throw new FlagError(flag, `must be an absolute path without "..", got "${path}"`);
  }
  const containers = new LocalContainers({
    runtime,
    stateDir: join(ctx.stateDir, 'containers'),
    cgroupParent: ctx.cgroupParent,
  });
  await containers.create(id, {
    image,
    args,
    env: flags.env,
    resources,
    ...(flags.hostname ? { hostname: flags.hostname } : {}),
    ...(flags.readOnly ? { readonlyRoot: true } : {}),
  });
  const follower = followLog(containers.logPath(id), (r) =>
    r.stream === 'stdout' ? ctx.out(r.log) : ctx.err(r.log),
  );
  const onSignal = (): void => {
    void runtime.stop(id, { graceMs: 10_000 }).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const waiting = runtime.wait(id);
    await runtime.start(id);
    const exit = await waiting;
    await follower.stop();
    ctx.err(`${describeExit(id, exit)}\n`);
    return exit.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await follower.stop();
    await containers.remove(id, { force: true });
  }
}
