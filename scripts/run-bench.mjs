#!/usr/bin/env node
// `npm run bench -- NAME [ARGS]`: runs bench/NAME.ts from the sources (through tsx, no build step).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- NAME [ARGS], where bench/NAME.ts exists');
  process.exit(2);
}
const file = join(root, 'bench', `${name}.ts`);
if (!existsSync(file)) {
  console.error(`run-bench: no benchmark bench/${name}.ts`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
