import test from 'ava';
import { FlagError } from './errors.js';
import { parseBytes, parseCpus, parseDuration, parseInteger } from './units.js';

test('`parseBytes()` reads binary sizes', (t) => {
  t.is(parseBytes('--memory', '64m'), 64 * 1024 * 1024);
  t.is(parseBytes('--memory', '1.5g'), 1.5 * 1024 ** 3);
  t.is(parseBytes('--memory', '512K'), 512 * 1024);
  t.is(parseBytes('--memory', '4096'), 4096);
  t.is(parseBytes('--memory', '2MiB'), 2 * 1024 * 1024);
});

test('`parseBytes()` refuses what is not a positive size, naming the flag', (t) => {
  for (const bad of ['', '3x', '-1m', '0', 'm', '1..2m']) {
    t.throws(() => parseBytes('--memory', bad), { instanceOf: FlagError, message: /^--memory: must be a/ });
  }
});

test('`parseBytes()` takes 0 when told to (no limit)', (t) => {
  t.is(parseBytes('--limit-memory', '0', { allowZero: true }), 0);
  t.is(parseBytes('--limit-memory', '0m', { allowZero: true }), 0);
  t.throws(() => parseBytes('--limit-memory', '-1', { allowZero: true }), { instanceOf: FlagError });
});

test('`parseCpus()` turns CPUs into nano-CPUs and refuses tiny or malformed values', (t) => {
  t.is(parseCpus('--cpus', '0.5'), 500_000_000);
  t.is(parseCpus('--cpus', '2'), 2_000_000_000);
  t.throws(() => parseCpus('--cpus', '0.001'), {
    message: '--cpus: must be at least 0.01 CPUs, got "0.001"',
  });
  t.throws(() => parseCpus('--cpus', 'lots'), { message: /--cpus: must be a number of CPUs/ });
  t.throws(() => parseCpus('--cpus', '0'), { message: '--cpus: must be at least 0.01 CPUs, got "0"' });
  t.is(parseCpus('--limit-cpu', '0', { allowZero: true }), 0);
});

test('`parseInteger()` checks the range', (t) => {
  t.is(parseInteger('--pids', '32', 1, 100), 32);
  t.throws(() => parseInteger('--pids', '0', 1, 100), {
    message: '--pids: must be between 1 and 100, got 0',
  });
  t.throws(() => parseInteger('--pids', '1.5', 1, 100), { code: 'ERR_FLAG_INVALID' });
});

test('`parseDuration()` reads Go durations into milliseconds', (t) => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['5s', 5000],
    ['100ms', 100],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['2000us', 2],
    ['3000000ns', 3],
    [' 10s ', 10_000],
  ];
  for (const [text, ms] of cases) t.is(parseDuration('--delay', text), ms, text);
});

test('`parseDuration()` refuses malformed, negative and sub-millisecond durations, naming the flag', (t) => {
  for (const bad of ['', '5', '5x', '-5s', 's', '1m30', '1.s', 'five seconds']) {
    t.throws(() => parseDuration('--update-delay', bad), {
      instanceOf: FlagError,
      message: `--update-delay: must be a duration such as 5s, 100ms or 1m30s, got "${bad}"`,
    });
  }
  t.throws(() => parseDuration('--update-delay', '1500us'), {
    message: '--update-delay: must be a whole number of milliseconds, got "1500us"',
  });
});
