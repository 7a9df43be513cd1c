import test from 'ava';
import { generateJoinToken, isJoinToken, joinTokenMatches } from './join-token.js';

test('join tokens: swarmkit shape, the digest from the cluster id, a random secret, constant-time compare', (t) => {
  let n = 0;
  const bytes = (k: number) => new Uint8Array(k).fill(++n);
  const a = generateJoinToken('cluster-a', bytes);
  const b = generateJoinToken('cluster-a', bytes);
  t.true(isJoinToken(a));
  t.is(a.length, 'SWMTKN-1-'.length + 50 + 1 + 25);
  t.is(a.slice(0, 59), b.slice(0, 59));
  t.not(a, b);
  t.not(generateJoinToken('cluster-b', bytes).slice(0, 59), a.slice(0, 59));
  t.true(joinTokenMatches(a, a));
  t.false(joinTokenMatches(a, b));
  t.false(joinTokenMatches(a, ''));
  t.false(joinTokenMatches('', ''));
});
