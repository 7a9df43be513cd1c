import test from 'ava';
import type { SimulationOptions, SimulationResult } from './simulation.js';
import { runSimulation } from './simulation.js';

function report(r: SimulationResult): string {
  const v = r.violation;
  return v === null
    ? 'ok'
    : `seed=${r.seed} nodes=${r.nodes} t=${v.time} ${v.kind}: ${v.message}\n  ${r.scenario}`;
}

function runSeeds(
  t: { fail(m: string): void; pass(): void },
  from: number,
  count: number,
  options: Omit<SimulationOptions, 'seed'>,
): void {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = runSimulation({ ...options, seed });
    if (r.violation !== null) failures.push(report(r));
  }
  if (failures.length > 0)
    t.fail(
      `${failures.length} failing seeds (replay: npm run sim -- --seeds 1 --first-seed <seed>):\n${failures.join('\n')}`,
    );
  else t.pass();
}

test('the simulation keeps every safety property, liveness and linearizability: 3 nodes, 1000 seeds', (t) => {
  runSeeds(t, 1, 1000, { nodes: 3 });
});

test('the simulation keeps every safety property with membership changes: 3 nodes, 300 seeds', (t) => {
  runSeeds(t, 10_001, 300, { nodes: 3, membership: true });
});

test('the same seed replays the same run exactly', (t) => {
  const a = runSimulation({ seed: 77, nodes: 3, membership: true });
  const b = runSimulation({ seed: 77, nodes: 3, membership: true });
  t.deepEqual(a.stats, b.stats);
  t.deepEqual(a.history, b.history);
  t.is(a.scenario, b.scenario);
  t.true(a.stats.opsOk > 0 && a.stats.leaderTerms > 0, 'the run did real work');
});

test('the simulation catches a driver that sends messages before persisting them', (t) => {
  let caught = 0;
  const kinds = new Set<string>();
  for (let seed = 1; seed <= 200 && caught < 3; seed++) {
    const r = runSimulation({ seed, nodes: 3, unsafeSendBeforePersist: true, checkLinearizability: false });
    if (r.violation !== null) {
      caught++;
      kinds.add(r.violation.kind);
    }
  }
  t.true(caught >= 3, `caught ${caught} (${[...kinds].join(', ')})`);
});
