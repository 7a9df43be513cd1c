import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: the checksum of zlib, gzip and PNG), over
 * `buf[start, end)`. Short inputs (a record header, a small entry) run through a slicing-by-8 table here,
 * which costs no allocation and no native call; longer ones go to `zlib.crc32`, several times faster per
 * byte. Both give the same value (the tests check it), so the choice never shows on disk.
 */

const POLY = 0xedb88320;
/** Below this many bytes the table beats zlib's call overhead plus the `subarray()` it needs. */
const NATIVE_FROM_BYTES = 512;

/** 8 tables of 256: T[k][b] is the CRC of byte b followed by k zero bytes (slicing-by-8). */
const TABLE: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + i] as number;
      t[s * 256 + i] = (prev >>> 8) ^ (t[prev & 0xff] as number);
    }
  }
  return t;
})();

/** The table walk, for any length; exported for the tests that compare it with zlib. */
export function crc32Table(buf: Uint8Array, start: number, end: number): number {
  const t = TABLE;
  let c = ~0;
  let i = start;
  for (; end - i >= 8; i += 8) {
    c ^=
      (buf[i] as number) |
      ((buf[i + 1] as number) << 8) |
      ((buf[i + 2] as number) << 16) |
      ((buf[i + 3] as number) << 24);
    c =
      (t[1792 + (c & 0xff)] as number) ^
      (t[1536 + ((c >>> 8) & 0xff)] as number) ^
      (t[1280 + ((c >>> 16) & 0xff)] as number) ^
      (t[1024 + (c >>> 24)] as number) ^
      (t[768 + (buf[i + 4] as number)] as number) ^
      (t[512 + (buf[i + 5] as number)] as number) ^
      (t[256 + (buf[i + 6] as number)] as number) ^
      (t[buf[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32 of `buf[start, end)` as an unsigned 32-bit number. */
export function crc32(buf: Uint8Array, start = 0, end: number = buf.byteLength): number {
  if (end - start < NATIVE_FROM_BYTES) return crc32Table(buf, start, end);
  return zlibCrc32(start === 0 && end === buf.byteLength ? buf : buf.subarray(start, end)) >>> 0;
}
