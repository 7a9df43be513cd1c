import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest directory above this file with package.json (sources or compiled tree). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the swarmd package root above runtime-native/ts');
    dir = up;
  }
  return dir;
}

/** The swarm-runtime binary built by `npm install` (runtime-native/Makefile). */
export function swarmRuntimePath(): string {
  return join(packageRoot(), 'runtime-native', 'build', 'swarm-runtime');
}
