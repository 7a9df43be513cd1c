// `service logs` flag checks (the streaming itself is tested end to end in testing/log-streaming.test.ts
// and through real swarmd processes in e2e/).
import test from 'ava';
import { FlagError } from '../../../common/index.js';
import { parseTail } from './logs.js';

test('--tail takes "all" or a number of lines and names itself when wrong', (t) => {
  t.is(parseTail(undefined), -1);
  t.is(parseTail('all'), -1);
  t.is(parseTail('0'), 0);
  t.is(parseTail('25'), 25);
  for (const bad of ['-1', 'ten', '1e3', '100001']) {
    const err = t.throws(() => parseTail(bad), { instanceOf: FlagError });
    t.is(err?.message, `--tail: must be "all" or a number of lines from 0 to 100000, got "${bad}"`);
  }
});
