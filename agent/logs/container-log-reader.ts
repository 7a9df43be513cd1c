import { open, readFile, stat } from 'node:fs/promises';

/** One line of a container log as the shim writes it (runtime-native: JSON lines, rotated as file.1 …). */
export interface ContainerLogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  log: string;
}

function parseLine(line: string): ContainerLogRecord | null {
  try {
    const r = JSON.parse(line) as Partial<ContainerLogRecord>;
    if (typeof r.log !== 'string' || (r.stream !== 'stdout' && r.stream !== 'stderr')) return null;
    return { time: typeof r.time === 'string' ? r.time : '', stream: r.stream, log: r.log };
  } catch {
    return null; // a torn last line while the shim writes: skipped, not fatal
  }
}

/** Parses the whole lines of `text`; an unfinished last line is dropped (the caller keeps it). */
function parseChunk(text: string): { records: ContainerLogRecord[] } {
  const lines = text.split('\n');
  lines.pop();
  const records: ContainerLogRecord[] = [];
  for (const l of lines) {
    const r = l === '' ? null : parseLine(l);
    if (r !== null) records.push(r);
  }
  return { records };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Reads a container's log (its rotated predecessors first, oldest to newest) and then follows the current
 * file as it grows. Rotation (the file replaced by a shorter one) is noticed by its size and read from 0.
 */
export class ContainerLogReader {
  readonly #path: string;
  readonly #maxFiles: number;
  #offset = 0;
  /** The bytes after the last newline read (a line the shim is still writing). */
  #rest: Buffer = Buffer.alloc(0);

  constructor(path: string, maxFiles = 10) {
    this.#path = path;
    this.#maxFiles = maxFiles;
  }

  /** Everything written so far, oldest first; later calls to {@link more} continue from here. */
  async history(): Promise<ContainerLogRecord[]> {
    const out: ContainerLogRecord[] = [];
    for (let i = this.#maxFiles; i >= 1; i--) {
      const text = await readIfExists(`${this.#path}.${i}`);
      if (text !== null) out.push(...parseChunk(text).records);
    }
    this.#offset = 0;
    this.#rest = Buffer.alloc(0);
    out.push(...(await this.more()));
    return out;
  }

  /** What was appended since the last call. */
  async more(): Promise<ContainerLogRecord[]> {
    let size: number;
    try {
      size = (await stat(this.#path)).size;
    } catch {
      return [];
    }
    if (size < this.#offset) {
      this.#offset = 0;
      this.#rest = Buffer.alloc(0);
    }
    if (size === this.#offset) return [];
    const fh = await open(this.#path, 'r');
    try {
      const buf = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
      this.#offset += bytesRead;
      // Split on newline bytes before decoding, so that a character cut by the read stays whole.
      const data = Buffer.concat([this.#rest, buf.subarray(0, bytesRead)]);
      const end = data.lastIndexOf(0x0a) + 1;
      this.#rest = Buffer.from(data.subarray(end));
      return parseChunk(data.subarray(0, end).toString('utf8')).records;
    } finally {
      await fh.close();
    }
  }
}
