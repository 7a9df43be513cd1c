import test from 'ava';
import { ID_LENGTH, isId, randomIdSource } from './ids.js';

test('`randomIdSource.newId()` makes 25-char base36 ids that do not repeat', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = randomIdSource.newId();
    t.is(id.length, ID_LENGTH);
    t.true(isId(id), id);
    seen.add(id);
  }
  t.is(seen.size, 10_000);
});

test('`isId()` refuses other shapes', (t) => {
  t.false(isId(''));
  t.false(isId('ABCDEFGHIJKLMNOPQRSTUVWXY'));
  t.false(isId('0123456789abcdefghijklmn'));
  t.false(isId('0123456789abcdefghijklmno/'));
});
