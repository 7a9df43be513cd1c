#!/usr/bin/env node
// Runs the ava suite with TAP output, then the host leak check, and prints the closing line CI reads:
// "P passed, F failed, S skipped". ava's own trailer is not a reliable count (its "# fail" includes todo
// tests, and its TAP reporter prints no trailer after a global timeout), so we count test lines ourselves.
import { spawn } from 'node:child_process';
import { checkLeaks, snapshotHost } from './host-leaks.mjs';

const args = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

// The build and the lint are checks like the tests: a failure is counted and the closing line is still
// printed, so CI always ends with it.
function step(title, cmd, cmdArgs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => {
      if (code === 0) {
        passed++;
        process.stdout.write(`ok - ${title}\n`);
      } else {
        failed++;
        process.stdout.write(`not ok - ${title} (exit code ${code})\n`);
      }
      resolve(code === 0);
    });
  });
}

const native = await step('build: swarm-runtime compiles with -Wall -Wextra -Werror', 'make', [
  '-s',
  '-C',
  'runtime-native',
]);
const built = (await step('build: tsc (strict) compiles the tree', 'npm', ['run', '-s', 'build'])) && native;
await step('lint: biome check', 'npx', ['biome', 'check', '.']);
await step('lint: imports follow design.md §2', process.execPath, ['scripts/check-boundaries.mjs']);
if (!built) {
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  process.exit(1);
}

const before = await snapshotHost();
const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...args], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

let pending = '';
function onLine(line) {
  const m = /^(not ok|ok)\b/.exec(line);
  if (m) {
    if (/#\s*(SKIP|TODO)\b/i.test(line)) skipped++;
    else if (m[1] === 'ok') passed++;
    else failed++;
    process.stdout.write(`${line}\n`);
  } else if (/^# (tests|pass|fail|skip|todo)\b/.test(line)) {
    // ava's trailer: shown folded so it is never mistaken for the summary.
    process.stdout.write(`  (ava ${line.slice(2)})\n`);
  } else {
    process.stdout.write(`${line}\n`);
  }
}
ava.stdout.setEncoding('utf8');
ava.stdout.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const l of lines) onLine(l);
});
const avaCode = await new Promise((resolve) =>
  ava.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
);
if (pending) onLine(pending);
if (avaCode !== 0 && failed === 0) {
  // ava crashed, timed out or found no tests: count that as a failure so the line never reads clean.
  failed++;
  process.stdout.write(`not ok - ava exited with code ${avaCode} without reporting a failed test\n`);
}

const leaks = await checkLeaks(before);
if (leaks.length === 0) {
  passed++;
  process.stdout.write(
    'ok - host leak check: no namespaces, mounts, cgroups, links or processes left behind\n',
  );
} else {
  failed++;
  process.stdout.write('not ok - host leak check: the suite left these behind\n');
  for (const l of leaks) process.stdout.write(`  # ${l}\n`);
}

process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 ? 1 : avaCode);
