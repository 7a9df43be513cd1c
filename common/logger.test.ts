import test from 'ava';
import { SwarmError } from './errors.js';
import { createLogger, nullLogger, parseLogLevel } from './logger.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, sink: (l) => lines.push(JSON.parse(l)), now: () => 0 });
  return { lines, logger };
}

test('`createLogger()` writes one JSON object per event with level, msg, time and fields', (t) => {
  const { lines, logger } = capture();
  logger.info('task state changed', { 'task.id': 'abc', 'raft.term': 3n });
  t.deepEqual(lines, [
    {
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'task state changed',
      'task.id': 'abc',
      'raft.term': '3',
    },
  ]);
});

test('`logger.child()` adds bindings and the level filter drops lower levels', (t) => {
  const { lines, logger } = capture('warn');
  const child = logger.child({ module: 'scheduler' });
  child.info('dropped');
  child.warn('kept');
  t.is(lines.length, 1);
  t.is(lines[0]?.module, 'scheduler');
  t.is(lines[0]?.msg, 'kept');
});

test('errors in fields keep name, code and message', (t) => {
  const { lines, logger } = capture();
  logger.error('reconcile failed', { err: new SwarmError('ERR_X', 'boom', { fields: { 'node.id': 'n1' } }) });
  t.deepEqual(lines[0]?.err, { name: 'SwarmError', code: 'ERR_X', message: 'boom', 'node.id': 'n1' });
  logger.error('plain', { err: Object.assign(new Error('gone'), { code: 'ENOENT' }) });
  t.deepEqual(lines[1]?.err, { name: 'Error', message: 'gone', code: 'ENOENT' });
});

test('`parseLogLevel()` and `createLogger()` refuse unknown levels', (t) => {
  t.is(parseLogLevel('debug'), 'debug');
  t.throws(() => parseLogLevel('loud'), { instanceOf: RangeError, message: /log level must be one of/ });
  t.throws(() => createLogger({ level: 'loud' as 'info' }), { instanceOf: RangeError });
  nullLogger.child({ a: 1 }).error('nothing');
  t.pass();
});
