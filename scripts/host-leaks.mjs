// What the test suite could leave on the host: network namespaces, mounts, cgroups, network links and
// processes. A snapshot is taken before the suite and compared after it; anything new is a leak.
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function lines(cmd, args) {
  try {
    const { stdout } = await run(cmd, args);
    return stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function mounts() {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]);
}

// Cgroup folders whose name says they are ours, at any depth up to 6 below each hierarchy.
async function cgroups() {
  const found = [];
  async function walk(dir, depth) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (/swarm/i.test(e.name)) found.push(p);
      if (depth < 6) await walk(p, depth + 1);
    }
  }
  await walk('/sys/fs/cgroup', 0);
  return found;
}

// Processes that are ours: our binaries, or anything living in one of our cgroups.
async function processes() {
  const found = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
      const cg = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      // swarmd daemons (node running bin/swarmd or swarmd/entry.js) and the test clusters' Prometheus.
      const ours = /bin\/swarmd\0|swarmd\/entry\.js\0|swarmd-testnet|swtnet-/.test(cmdline);
      if (/swarm-runtime|swarm-shim/.test(exe) || /swarm/i.test(cg) || ours) {
        const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
        found.push(`pid ${pid}: ${cmd || exe}`);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export async function snapshotHost() {
  return {
    netns: await lines('ip', ['netns', 'list']),
    links: (await lines('ip', ['-o', 'link', 'show'])).map((l) => l.split(':')[1]?.trim().split('@')[0]),
    mounts: await mounts(),
    cgroups: await cgroups(),
    processes: await processes(),
  };
}

/** Lists what exists now and did not exist in `before`, one line each. */
export async function checkLeaks(before) {
  // Processes can take a moment to be reaped by PID 1 after their cgroup was killed; look twice.
  let after = await snapshotHost();
  if (after.processes.length > before.processes.length) {
    await new Promise((r) => setTimeout(r, 2000));
    after = await snapshotHost();
  }
  const out = [];
  for (const kind of Object.keys(after)) {
    const had = new Set(before[kind]);
    for (const item of after[kind]) if (!had.has(item)) out.push(`${kind}: ${item}`);
  }
  return out;
}
