import { fileURLToPath } from 'node:url';

/**
 * The swarm-runtime binary built by `npm install` (runtime-native/Makefile). Works from the sources and
 * from the compiled tree (dist/runtime-native/ts/), two and three levels below the package root.
 */
export function swarmRuntimePath(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes('/dist/')
    ? new URL('../../../', import.meta.url)
    : new URL('../../', import.meta.url);
  return fileURLToPath(new URL('runtime-native/build/swarm-runtime', root));
}
