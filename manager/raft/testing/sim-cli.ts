#!/usr/bin/env node
// Runs the deterministic raft simulation over a range of seeds:
//   npm run sim -- --seeds N [--first-seed S] [--nodes 3|5] [--steps K] [--trace LINES] [--membership on|off]
// Prints one line per failing seed (with the violation; `--trace` adds the run's last trace lines) and a
// summary; exits 1 when any seed failed. Re-run a failing seed with `--seeds 1 --first-seed <seed>`.
import { parseArgs } from 'node:util';
import { runSimulation } from './simulation.js';

function main(): number {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      'first-seed': { type: 'string', default: '1' },
      nodes: { type: 'string' },
      steps: { type: 'string' },
      trace: { type: 'string' },
      membership: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'usage: sim-cli --seeds N [--first-seed S] [--nodes 3|5] [--steps K] [--trace LINES] [--membership on|off]',
    );
    return 0;
  }
  const seeds = Number(values.seeds);
  const first = Number(values['first-seed']);
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  const trace = values.trace === undefined ? 0 : Number(values.trace);
  if (!Number.isSafeInteger(seeds) || seeds < 1)
    throw new RangeError(`--seeds must be a positive integer, got ${values.seeds}`);
  if (!Number.isSafeInteger(first))
    throw new RangeError(`--first-seed must be an integer, got ${values['first-seed']}`);
  if (nodes !== undefined && nodes !== 3 && nodes !== 5)
    throw new RangeError(`--nodes must be 3 or 5, got ${values.nodes}`);
  if (steps !== undefined && (!Number.isSafeInteger(steps) || steps < 1))
    throw new RangeError(`--steps must be a positive integer, got ${values.steps}`);
  if (values.membership !== undefined && values.membership !== 'on' && values.membership !== 'off')
    throw new RangeError(`--membership must be on or off, got ${values.membership}`);

  const started = performance.now();
  let failed = 0;
  for (let seed = first; seed < first + seeds; seed++) {
    const n = nodes ?? (seed % 3 === 2 ? 5 : 3);
    const options = {
      seed,
      nodes: n as 3 | 5,
      ...(steps === undefined ? {} : { steps }),
      ...(values.membership === undefined ? {} : { membership: values.membership === 'on' }),
    };
    const r = runSimulation(options);
    if (r.violation === null) continue;
    failed++;
    const v = r.violation;
    console.log(`FAIL seed=${seed} nodes=${n} t=${v.time} ${v.kind}: ${v.message}`);
    console.log(`  scenario: ${r.scenario}`);
    if (trace > 0) {
      const again = runSimulation({ ...options, traceLines: trace });
      for (const line of again.trace.slice(-trace)) console.log(`  | ${line}`);
    }
  }
  const secs = (performance.now() - started) / 1000;
  console.log(
    `sim: ${seeds} seeds from ${first}: ${seeds - failed} passed, ${failed} failed in ${secs.toFixed(1)}s (${(seeds / secs).toFixed(1)} seeds/s)`,
  );
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  // A bad flag: say which and why, without a stack trace.
  console.error(`sim: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
