#!/usr/bin/env node
// Enforces the import table of design.md §2: which folder may import which, imports across folders only
// through the folder's index.ts, no import cycles, and a raft core without I/O, timers, clocks or
// Math.random (its tests and its testing/ folder, which hold the simulation harness, may use them).
// Fails with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), '..'));
const SKIP = new Set(['node_modules', 'dist', '.git', 'gen', 'build']);

// unit → the units it may import (besides itself). Order matters: the longest prefix wins.
const MANAGER_PARTS = [
  'controlapi',
  'orchestrator',
  'scheduler',
  'dispatcher',
  'ca',
  'allocator',
  'logbroker',
];
const AGENT_PARTS = ['session', 'worker', 'image', 'network', 'logs'];
const RULES = {
  proto: [],
  common: ['proto'],
  // X.509, join tokens, TLS credentials and the peer's identity: shared by the managers, the agents and
  // swarmctl (swarmkit's ca/ package, which both sides import).
  pki: ['proto', 'common'],
  'manager/raft': ['proto'],
  'manager/store': ['proto', 'common'],
  'manager/replication': ['manager/raft', 'manager/store', 'pki', 'proto', 'common'],
  ...Object.fromEntries(
    MANAGER_PARTS.map((p) => [`manager/${p}`, ['manager/store', 'pki', 'proto', 'common']]),
  ),
  'manager/manager.ts': ['manager/*', 'pki', 'proto', 'common'],
  'agent/exec': ['proto', 'common'],
  ...Object.fromEntries(AGENT_PARTS.map((p) => [`agent/${p}`, ['agent/exec', 'pki', 'proto', 'common']])),
  'agent/runtime': ['agent/exec', 'runtime-native', 'proto', 'common'],
  'agent/agent.ts': ['agent/*', 'pki', 'proto', 'common'],
  'runtime-native': ['common'],
  cli: ['pki', 'proto', 'common'],
  swarmd: ['manager/*', 'agent/*', 'runtime-native', 'cli', 'pki', 'proto', 'common'],
  e2e: ['cli', 'pki', 'proto', 'common', 'testing'],
  testing: ['*'],
  bench: ['*'],
};
const UNITS = Object.keys(RULES).sort((a, b) => b.length - a.length);

// The files directly in manager/ (manager.ts and the small modules beside it) are one unit, the manager's
// composition root; other folders import it through manager/index.ts.
const MANAGER_ROOT = 'manager/manager.ts';
// Likewise the files directly in agent/ (agent.ts and its helpers), imported through agent/index.ts.
const AGENT_ROOT = 'agent/agent.ts';

function unitOf(file) {
  const rel = relative(ROOT, file);
  if (/^manager\/[^/]+\.ts$/.test(rel)) return MANAGER_ROOT;
  if (/^agent\/[^/]+\.ts$/.test(rel)) return AGENT_ROOT;
  for (const u of UNITS) if (rel === u || rel.startsWith(`${u}/`)) return u;
  return null;
}

function allowed(from, to) {
  if (from === to) return true;
  return RULES[from].some(
    (r) => r === '*' || r === to || (r.endsWith('/*') && to.startsWith(r.slice(0, -1))),
  );
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
const problems = [];
const graph = new Map();
const files = walk(ROOT, []);

for (const file of files) {
  const src = readFileSync(file, 'utf8');
  const rel = relative(ROOT, file);
  const from = unitOf(file);
  const isTest = file.endsWith('.test.ts');
  const edges = [];
  graph.set(file, edges);
  if (from === null) {
    problems.push(`${rel}: not in any folder of design.md §2`);
    continue;
  }
  for (const m of src.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const pure = from === 'manager/raft' && !isTest && !rel.startsWith('manager/raft/testing/');
    if (pure && (spec.startsWith('node:') || !spec.startsWith('.'))) {
      problems.push(`${rel}: the raft core imports nothing outside itself ("${spec}")`);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    edges.push(target);
    const to = unitOf(target);
    if (to === null) {
      problems.push(`${rel}: imports "${spec}", which is outside every folder of design.md §2`);
      continue;
    }
    if (to === from) continue;
    if (!allowed(from, to) && !(isTest && to.endsWith('testing'))) {
      problems.push(`${rel}: ${from} may not import ${to} ("${spec}")`);
      continue;
    }
    const unitDir = to === MANAGER_ROOT ? 'manager' : to === AGENT_ROOT ? 'agent' : to;
    const inside = relative(join(ROOT, unitDir), target);
    if (
      (!to.endsWith('.ts') || to === MANAGER_ROOT || to === AGENT_ROOT) &&
      !/^(ts\/)?(testing\/)?index\.ts$/.test(inside)
    ) {
      problems.push(`${rel}: imports "${spec}"; import ${to} only through its index.ts`);
    }
  }
  const rawPure = from === 'manager/raft' && !isTest && !rel.startsWith('manager/raft/testing/');
  if (rawPure) {
    const code = src.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const banned of [
      'Date',
      'Math.random',
      'setTimeout',
      'setInterval',
      'setImmediate',
      'process.',
      'performance.',
    ]) {
      const re = new RegExp(`\\b${banned.replace('.', '\\.')}`);
      if (re.test(code)) problems.push(`${rel}: the raft core may not use ${banned} (inject it)`);
    }
  }
}

// Import cycles, found with Tarjan's strongly connected components over the file graph.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(relative(ROOT, w));
    } while (w !== v);
    if (comp.length > 1) problems.push(`import cycle: ${comp.sort().join(' → ')}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

if (problems.length > 0) {
  for (const p of problems) console.error(`check-boundaries: ${p}`);
  process.exit(1);
}
console.log(`check-boundaries: ${files.length} files follow design.md §2`);
