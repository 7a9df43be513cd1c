// The C unit tests (runtime-native/tests/*.c, built into build/rn-unit) as ava tests: one per C test, so
// a failure names the C test and its reason.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { swarmRuntimePath } from './paths.js';

const unit = join(swarmRuntimePath(), '..', 'rn-unit');
const run = spawnSync(unit, [], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const lines = (run.stdout ?? '').split('\n');
const cases = lines.flatMap((l) => {
  const m = /^(ok|not ok) \d+ - (.*)$/.exec(l);
  return m ? [{ ok: m[1] === 'ok', title: m[2] ?? '' }] : [];
});

test('the C unit tests ran and reported a plan', (t) => {
  t.is(run.error, undefined, `cannot run ${unit}`);
  t.true(cases.length > 0, `no test lines from ${unit}:\n${run.stdout}\n${run.stderr}`);
  t.true(
    lines.some((l) => l === `1..${cases.length}`),
    'the plan line does not match the tests run',
  );
});

for (const c of cases) {
  // A failing line reads "<title>: tests/<file>.c:<line>: <reason>".
  const m = c.ok ? null : /^(.*?): (tests\/.*)$/.exec(c.title);
  test(`C: ${m?.[1] ?? c.title}`, (t) => {
    t.true(c.ok, m?.[2] ?? c.title);
  });
}
