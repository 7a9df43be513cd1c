import test from 'ava';
import { nullLogger } from '../common/index.js';
import { Leadership } from './leadership.js';

test('tasks run while leading, stop on loss, and a new term starts after the old one returned', async (t) => {
  const l = new Leadership(nullLogger);
  const log: string[] = [];
  let release: () => void = () => {};
  l.add('a', async (signal) => {
    log.push('start');
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    // Slow to return: the next term must wait for it.
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    log.push('end');
  });
  l.update(true, 1);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(log, ['start']);
  l.update(false, 2);
  l.update(true, 3);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(log, ['start'], 'term 3 waits for term 1 to return');
  release();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(log, ['start', 'end', 'start']);
  const stopped = l.stop();
  await new Promise((r) => setImmediate(r));
  release();
  await stopped;
  t.deepEqual(log, ['start', 'end', 'start', 'end']);
  t.false(l.leading);
});

test('a task that throws is logged and does not stop the others', async (t) => {
  const l = new Leadership(nullLogger);
  let ran = false;
  l.add('bad', () => {
    throw new Error('boom');
  });
  l.add('good', () => {
    ran = true;
  });
  l.update(true, 1);
  await new Promise((r) => setImmediate(r));
  t.true(ran);
  await l.stop();
});
