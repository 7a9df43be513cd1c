import { nodeStorageFs, type StorageFs } from '../storage-fs.js';

/** One call seen by a {@link SpyFs}: `<op>` when it starts, `<op>:done` when it settles. */
export interface FsEvent {
  readonly op: string;
  readonly fd?: number;
  readonly path?: string;
}

type Op = keyof StorageFs;

/**
 * A {@link StorageFs} over the real one that records every call in order, can hold a call back until the
 * test lets it go (`hold('fdatasync')` → `release()`), and can make the next calls of one kind fail.
 * The ordering tests of the WAL use it to see that a save resolves only after its fdatasync settled.
 */
export class SpyFs implements StorageFs {
  readonly events: FsEvent[] = [];
  readonly #inner: StorageFs;
  readonly #held = new Map<Op, Array<() => void>>();
  readonly #holding = new Set<Op>();
  readonly #failing = new Map<Op, unknown>();

  constructor(inner: StorageFs = nodeStorageFs) {
    this.#inner = inner;
  }

  /** Calls of `op` wait (after being recorded) until {@link release}. */
  hold(op: Op): void {
    this.#holding.add(op);
  }

  /** Lets the held calls of `op` go, and stops holding new ones. */
  release(op: Op): void {
    this.#holding.delete(op);
    for (const go of this.#held.get(op) ?? []) go();
    this.#held.delete(op);
  }

  /** How many calls of `op` are waiting. */
  waiting(op: Op): number {
    return this.#held.get(op)?.length ?? 0;
  }

  /** Calls of `op` fail with `err` (without doing anything) until {@link heal}. */
  fail(op: Op, err: unknown): void {
    this.#failing.set(op, err);
  }

  heal(op: Op): void {
    this.#failing.delete(op);
  }

  /** How many calls of `op` were made. */
  count(op: Op): number {
    return this.events.filter((e) => e.op === op).length;
  }

  async #call<T>(op: Op, ev: FsEvent, run: () => Promise<T>): Promise<T> {
    this.events.push(ev);
    if (this.#holding.has(op)) {
      await new Promise<void>((resolve) => {
        const list = this.#held.get(op) ?? [];
        list.push(resolve);
        this.#held.set(op, list);
      });
    }
    if (this.#failing.has(op)) throw this.#failing.get(op);
    const out = await run();
    this.events.push({ ...ev, op: `${op}:done` });
    return out;
  }

  open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    return this.#call('open', { op: 'open', path }, () => this.#inner.open(path, flags));
  }
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    return this.#call('write', { op: 'write', fd }, () =>
      this.#inner.write(fd, buf, offset, length, position),
    );
  }
  fdatasync(fd: number): Promise<void> {
    return this.#call('fdatasync', { op: 'fdatasync', fd }, () => this.#inner.fdatasync(fd));
  }
  fsync(fd: number): Promise<void> {
    return this.#call('fsync', { op: 'fsync', fd }, () => this.#inner.fsync(fd));
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return this.#call('ftruncate', { op: 'ftruncate', fd }, () => this.#inner.ftruncate(fd, length));
  }
  close(fd: number): Promise<void> {
    return this.#call('close', { op: 'close', fd }, () => this.#inner.close(fd));
  }
  readFile(path: string): Promise<Buffer> {
    return this.#call('readFile', { op: 'readFile', path }, () => this.#inner.readFile(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.#call('readdir', { op: 'readdir', path }, () => this.#inner.readdir(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.#call('rename', { op: 'rename', path: to }, () => this.#inner.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.#call('unlink', { op: 'unlink', path }, () => this.#inner.unlink(path));
  }
  mkdir(path: string): Promise<void> {
    return this.#call('mkdir', { op: 'mkdir', path }, () => this.#inner.mkdir(path));
  }
  syncDir(path: string): Promise<void> {
    return this.#call('syncDir', { op: 'syncDir', path }, () => this.#inner.syncDir(path));
  }
}
