import test from 'ava';
import { InvalidUnlockKeyError } from './errors.js';
import { generateUnlockKey, parseUnlockKey, UNLOCK_KEY_PREFIX } from './unlock-key.js';

const fixed = (byte: number) => (n: number) => Buffer.alloc(n, byte);

test('`generateUnlockKey()` is SWMKEY-1- and 32 random bytes in unpadded base64, and parses back', (t) => {
  const k = generateUnlockKey();
  t.regex(k, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
  t.not(generateUnlockKey(), k);
  t.is(parseUnlockKey(k).length, 32);
  const seeded = generateUnlockKey(fixed(0xab));
  t.is(seeded, `${UNLOCK_KEY_PREFIX}${Buffer.alloc(32, 0xab).toString('base64').slice(0, 43)}`);
  t.deepEqual(parseUnlockKey(seeded), Buffer.alloc(32, 0xab));
  t.throws(() => generateUnlockKey(() => Buffer.alloc(8)), { instanceOf: RangeError });
});

test('`parseUnlockKey()` takes surrounding whitespace and the one padding character', (t) => {
  const k = generateUnlockKey(fixed(7));
  t.deepEqual(parseUnlockKey(`  ${k}\n`), Buffer.alloc(32, 7));
  t.deepEqual(parseUnlockKey(`${k}=`), Buffer.alloc(32, 7));
});

test('`parseUnlockKey()` refuses what is not a key with a typed error naming the rule, never the text', (t) => {
  const good = generateUnlockKey(fixed(0x5a));
  const b64 = good.slice(UNLOCK_KEY_PREFIX.length);
  const cases: Array<[string, unknown, RegExp]> = [
    ['empty', '', /it is empty$/],
    ['blank', '  \n', /it is empty$/],
    ['a join token', `SWMTKN-1-${b64}`, /it must start with "SWMKEY-1-"$/],
    ['another version', `SWMKEY-2-${b64}`, /it must start with "SWMKEY-1-"$/],
    ['lower case prefix', `swmkey-1-${b64}`, /it must start with "SWMKEY-1-"$/],
    ['the prefix alone', UNLOCK_KEY_PREFIX, /must be base64 .* holds other characters$/],
    ['too short', good.slice(0, -1), /must be 43 base64 characters \(32 bytes\), got 42$/],
    ['too long', `${good}AAAA`, /must be 43 base64 characters \(32 bytes\), got 47$/],
    ['url-safe base64', `${UNLOCK_KEY_PREFIX}${'_'.repeat(43)}`, /holds other characters$/],
    ['a space inside', `${good.slice(0, 20)} ${good.slice(21)}`, /holds other characters$/],
    ['two paddings', `${good.slice(0, -1)}==`, /holds other characters$/],
    ['not canonical', `${good.slice(0, -1)}B`, /is not the base64 of 32 bytes/],
    ['not a string', 42, /it must be a string, got number$/],
  ];
  for (const [name, text, rule] of cases) {
    const err = t.throws(() => parseUnlockKey(text as string), { instanceOf: InvalidUnlockKeyError }, name);
    t.is(err.code, 'ERR_ENCRYPTION_UNLOCK_KEY_INVALID', name);
    t.regex(err.message, /^Invalid unlock key: /, name);
    t.regex(err.message, rule, name);
    if (typeof text === 'string' && text.length > 12)
      t.false(err.message.includes(text.slice(9, 30)), `${name}: the message does not repeat the key`);
  }
});
