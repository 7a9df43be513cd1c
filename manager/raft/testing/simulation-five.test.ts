import test from 'ava';
import { runSimulation } from './simulation.js';

function failures(from: number, count: number, membership?: boolean): string[] {
  const out: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = runSimulation({ seed, nodes: 5, ...(membership === undefined ? {} : { membership }) });
    const v = r.violation;
    if (v !== null) out.push(`seed=${seed} nodes=5 t=${v.time} ${v.kind}: ${v.message}\n  ${r.scenario}`);
  }
  return out;
}

test('the simulation keeps every safety property, liveness and linearizability: 5 nodes, 500 seeds', (t) => {
  t.deepEqual(
    failures(20_001, 500),
    [],
    'replay one with: npm run sim -- --nodes 5 --seeds 1 --first-seed <seed>',
  );
});

test('the simulation keeps every safety property with membership changes: 5 nodes, 200 seeds', (t) => {
  t.deepEqual(failures(30_001, 200, true), []);
});
