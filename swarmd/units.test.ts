import test from 'ava';
import { FlagError } from './errors.js';
import { parseBytes, parseCpus, parseInteger } from './units.js';

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

test('`parseCpus()` turns CPUs into nano-CPUs and refuses tiny or malformed values', (t) => {
  t.is(parseCpus('--cpus', '0.5'), 500_000_000);
  t.is(parseCpus('--cpus', '2'), 2_000_000_000);
  t.throws(() => parseCpus('--cpus', '0.001'), {
    message: '--cpus: must be at least 0.01 CPUs, got "0.001"',
  });
  t.throws(() => parseCpus('--cpus', 'lots'), { message: /--cpus: must be a number of CPUs/ });
});

test('`parseInteger()` checks the range', (t) => {
  t.is(parseInteger('--pids', '32', 1, 100), 32);
  t.throws(() => parseInteger('--pids', '0', 1, 100), {
    message: '--pids: must be between 1 and 100, got 0',
  });
  t.throws(() => parseInteger('--pids', '1.5', 1, 100), { code: 'ERR_FLAG_INVALID' });
});
