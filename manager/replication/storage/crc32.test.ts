import { crc32 as zlibCrc32 } from 'node:zlib';
import test from 'ava';
import { crc32, crc32Table } from './crc32.js';

test('`crc32()` gives the standard check value of "123456789"', (t) => {
  t.is(crc32(Buffer.from('123456789')), 0xcbf43926);
  t.is(crc32(new Uint8Array(0)), 0);
});

test('`crc32()` and its table walk agree with zlib on every length and offset', (t) => {
  const buf = Buffer.alloc(3000);
  let x = 12345;
  for (let i = 0; i < buf.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  for (const [start, end] of [
    [0, 1],
    [3, 11],
    [5, 517],
    [1, 511],
    [0, 512],
    [7, 3000],
    [0, 3000],
  ] as const) {
    const want = zlibCrc32(buf.subarray(start, end)) >>> 0;
    t.is(crc32Table(buf, start, end), want, `table ${start}..${end}`);
    t.is(crc32(buf, start, end), want, `crc32 ${start}..${end}`);
  }
  for (let len = 0; len < 40; len++)
    t.is(crc32Table(buf, 9, 9 + len), zlibCrc32(buf.subarray(9, 9 + len)) >>> 0);
});
