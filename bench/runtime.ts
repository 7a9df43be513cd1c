/**
 * `npm run bench -- runtime [--runs N]`: create, start, wait and delete of /bin/true on a busybox rootfs
 * bundle, swarm-runtime vs crun vs runc, interleaved run by run, each driven the way an agent drives it
 * (one process spawned per OCI command, from Node).
 *
 * - The bundle is the one swarmd writes for a task: default capabilities, seccomp profile, masked paths,
 *   device rules, pid/ipc/uts/mount/network/cgroup namespaces and a cgroup of its own.
 * - crun and runc refuse this machine's hybrid cgroup layout (the cgroup2 mount holds hugetlb), so their
 *   worker runs in a private mount namespace with /sys/fs/cgroup/unified unmounted; swarm-runtime runs on
 *   the hybrid layout as it is.
 * - "wait": swarm-runtime's shim answers on its socket when the container has ended. crun and runc have
 *   no such channel once `create` has returned, so their worker polls /proc/<pid>/stat without delay
 *   until the init is gone or a zombie (the cheapest possible wait, in their favour).
 *
 * The last line is one JSON object: {"bench":"runtime","ours_ms":…,"crun_ms":…,"runc_ms":…,
 * "ratio_vs_crun":…} with medians, plus min/max per runtime.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  buildContainerSpec,
  OciRuntime,
  removeCgroupParent,
  swarmRuntimePath,
  writeBundle,
} from '../runtime-native/ts/index.js';
import { makeBusyboxRootfs } from '../runtime-native/ts/testing/index.js';

type Kind = 'ours' | 'crun' | 'runc';
const BINARIES: Record<Kind, string> = {
  ours: swarmRuntimePath(),
  crun: '/usr/bin/crun',
  runc: '/usr/bin/runc',
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Runs a runtime command and waits for it to exit. Its stdout is not a pipe: crun's and runc's `create`
 * hand their stdio to the container, which would keep a pipe open until the container ends.
 */
function must(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/** Resolves when pid is gone or a zombie (for runtimes whose init is not our child). */
async function pollExit(pid: number): Promise<void> {
  for (;;) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return;
    await new Promise((r) => setImmediate(r));
  }
}

/** One process per runtime: reads "run N" lines, does one cycle each, answers with the milliseconds. */
async function worker(kind: Kind, dir: string): Promise<void> {
  const bin = BINARIES[kind];
  const root = join(dir, `root-${kind}`);
  const bundle = join(dir, `bundle-${kind}`);
  const ours = new OciRuntime({ root });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const n = /^run (\d+)$/.exec(line)?.[1];
    if (n === undefined) break;
    const id = `bench-${kind}-${n}`;
    const t0 = performance.now();
    if (kind === 'ours') {
      await ours.create(id, { bundle });
      const waiting = ours.wait(id);
      await ours.start(id);
      await waiting;
      await ours.delete(id);
    } else {
      const pidFile = join(dir, `${id}.pid`);
      await must(bin, ['--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, id]);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await must(bin, ['--root', root, 'start', id]);
      await pollExit(pid);
      await must(bin, ['--root', root, 'delete', id]);
      await rm(pidFile);
    }
    process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') return worker(argv[1] as Kind, argv[2] as string);
  const runsArg = argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 60;
  const kinds = (['ours', 'crun', 'runc'] as Kind[]).filter((k) => existsSync(BINARIES[k]));
  const dir = await mkdtemp('/tmp/swb-');
  const workers: { kind: Kind; ask: (n: number) => Promise<number>; close: () => void }[] = [];
  try {
    const rootfs = await makeBusyboxRootfs(join(dir, 'rootfs'));
    for (const kind of kinds) {
      await mkdir(join(dir, `bundle-${kind}`));
      const spec = buildContainerSpec({
        args: ['/bin/true'],
        rootPath: rootfs,
        hostname: 'bench',
        cgroupsPath: `/swarmd-bench-${kind}`,
      });
      await writeBundle(join(dir, `bundle-${kind}`), spec);
    }
    const self = fileURLToPath(import.meta.url);
    for (const kind of kinds) {
      const node = [process.execPath, '--import', 'tsx', self, '--worker', kind, dir];
      const child =
        kind === 'ours'
          ? spawn(node[0] as string, node.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] })
          : spawn(
              'unshare',
              ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', ...node],
              {
                stdio: ['pipe', 'pipe', 'inherit'],
              },
            );
      const answers = createInterface({ input: child.stdout });
      const pending: ((ms: number) => void)[] = [];
      answers.on('line', (l) => pending.shift()?.((JSON.parse(l) as { ms: number }).ms));
      child.on('exit', (code) => {
        for (const p of pending.splice(0)) p(Number.NaN);
        if (code) console.error(`bench: the ${kind} worker exited with ${code}`);
      });
      workers.push({
        kind,
        ask: (n) =>
          new Promise((resolve) => {
            pending.push(resolve);
            child.stdin.write(`run ${n}\n`);
          }),
        close: () => child.stdin.end(),
      });
    }
    const times: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
    const warmup = 3;
    for (let i = 0; i < runs + warmup; i++) {
      for (const w of workers) {
        const ms = await w.ask(i);
        if (Number.isNaN(ms)) throw new Error(`the ${w.kind} worker failed`);
        if (i >= warmup) times[w.kind]?.push(ms);
      }
    }
    const result: Record<string, number | string> = { bench: 'runtime', runs };
    for (const k of kinds) {
      const xs = times[k] ?? [];
      const label = k === 'ours' ? 'swarm-runtime' : k;
      console.log(
        `${label.padEnd(14)} median ${median(xs).toFixed(2)} ms  min ${Math.min(...xs).toFixed(2)}  max ${Math.max(...xs).toFixed(2)}  (${xs.length} runs)`,
      );
      result[`${k}_ms`] = Number(median(xs).toFixed(2));
      result[`${k}_min_ms`] = Number(Math.min(...xs).toFixed(2));
      result[`${k}_max_ms`] = Number(Math.max(...xs).toFixed(2));
    }
    if (result.crun_ms)
      result.ratio_vs_crun = Number(((result.ours_ms as number) / (result.crun_ms as number)).toFixed(3));
    if (result.runc_ms)
      result.ratio_vs_runc = Number(((result.ours_ms as number) / (result.runc_ms as number)).toFixed(3));
    console.log(
      'crun and runc ran in a private mount namespace with /sys/fs/cgroup/unified unmounted (they refuse the hybrid layout).',
    );
    console.log(JSON.stringify(result));
  } finally {
    for (const w of workers) w.close();
    await new Promise((r) => setTimeout(r, 200));
    for (const kind of kinds) {
      await new OciRuntime({ root: join(dir, `root-${kind}`) }).list().catch(() => []);
      await removeCgroupParent(`/swarmd-bench-${kind}`).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
