import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where {@link flipByteInMiddleRecord} damaged a WAL. */
export interface WalDamage {
  /** The segment file. */
  readonly file: string;
  /** The byte offset of the damaged record in it. */
  readonly recordOffset: number;
  /** How many entry records the segment held. */
  readonly entryRecords: number;
}

const HEADER_BYTES = 16;
const ENTRY_RECORD = 2;

/**
 * Flips one byte in the body of the middle entry record of the newest segment under `walDir` (the WAL of a
 * STOPPED node), walking the record headers (see storage/record.ts: u32 body length, u8 type; records
 * padded to 8 bytes; a zero header ends the written part). For tests of corruption reporting.
 * @throws Error when the segment holds fewer than 3 entry records
 */
export async function flipByteInMiddleRecord(walDir: string): Promise<WalDamage> {
  const names = (await readdir(walDir)).filter((n) => n.endsWith('.wal')).sort();
  const name = names[names.length - 1];
  if (name === undefined) throw new Error(`no WAL segment in ${walDir}`);
  const file = join(walDir, name);
  const buf = await readFile(file);
  const entries: number[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.byteLength) {
    const len = buf.readUInt32LE(off);
    const headerCrc = buf.readUInt32LE(off + 8);
    if (len === 0 && headerCrc === 0) break;
    if (buf[off + 4] === ENTRY_RECORD) entries.push(off);
    off += HEADER_BYTES + len + ((8 - (len & 7)) & 7);
  }
  if (entries.length < 3) throw new Error(`${file} holds ${entries.length} entry records; need at least 3`);
  const recordOffset = entries[entries.length >> 1] as number;
  // The last byte of the body: entry data (or the entry's type byte), covered by the body checksum.
  const len = buf.readUInt32LE(recordOffset);
  const at = recordOffset + HEADER_BYTES + len - 1;
  buf[at] = (buf[at] as number) ^ 0xff;
  await writeFile(file, buf);
  return { file, recordOffset, entryRecords: entries.length };
}
