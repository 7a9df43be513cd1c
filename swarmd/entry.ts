// The daemon's entry point as a module of the build: `node dist/swarmd/entry.js ARGS` is `bin/swarmd ARGS`
// (tests spawn it from whichever build directory they run in).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
