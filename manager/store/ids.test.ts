import test from 'ava';
import { isId } from '../../common/index.js';
import { SeededIdSource } from './testing/index.js';

test('SeededIdSource makes well-formed ids, the same for the same seed', (t) => {
  const a = new SeededIdSource(42);
  const b = new SeededIdSource(42);
  const ids = Array.from({ length: 1000 }, () => a.newId());
  t.true(ids.every(isId));
  t.is(new Set(ids).size, 1000);
  t.deepEqual(
    Array.from({ length: 1000 }, () => b.newId()),
    ids,
  );
  t.not(new SeededIdSource(43).newId(), ids[0]);
});
