import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomic } from '../../common/index.js';
import { TaskRecordInvalidError } from './errors.js';
import { parseTaskRecord, TASK_ID_PATTERN, type TaskRecord } from './task-record.js';

/** What {@link TaskDb.load} found. */
export interface LoadedTasks {
  records: TaskRecord[];
  /** Files that could not be used (they are left in place for a human to look at). */
  invalid: TaskRecordInvalidError[];
}

/**
 * The agent's local task database: one JSON file per task in `<stateDir>/tasks/`, written atomically
 * (temporary file, fsync, rename, fsync of the directory) with mode 0600, so that a crash leaves either
 * the old record or the new one. Writes of one task are serialized in call order.
 */
export class TaskDb {
  readonly dir: string;
  readonly #queues = new Map<string, Promise<void>>();
  #ready: Promise<void> | null = null;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'tasks');
  }

  #file(id: string): string {
    if (!TASK_ID_PATTERN.test(id)) throw new RangeError(`task id: cannot name a file, got "${id}"`);
    return join(this.dir, `${id}.json`);
  }

  #mkdir(): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.#ready;
  }

  #enqueue(id: string, op: () => Promise<void>): Promise<void> {
    const prev = this.#queues.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    const tail = next.catch(() => undefined);
    this.#queues.set(id, tail);
    void tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return next;
  }

  /** Reads every record; leftover temporary files of an interrupted write are removed. */
  async load(): Promise<LoadedTasks> {
    await this.#mkdir();
    const out: LoadedTasks = { records: [], invalid: [] };
    for (const name of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, name);
      if (/\.tmp(-\d+)?$/.test(name)) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const record = parseTaskRecord(path, await readFile(path, 'utf8'));
        if (`${record.task.id}.json` !== name)
          throw new TaskRecordInvalidError(path, `task.id: "${record.task.id}" does not match the file name`);
        out.records.push(record);
      } catch (err) {
        if (!(err instanceof TaskRecordInvalidError)) throw err;
        out.invalid.push(err);
      }
    }
    return out;
  }

  /** Writes the record of `record.task.id` atomically. */
  put(record: TaskRecord): Promise<void> {
    const file = this.#file(record.task.id);
    const text = `${JSON.stringify(record)}\n`;
    return this.#enqueue(record.task.id, async () => {
      await this.#mkdir();
      await writeFileAtomic(file, text);
    });
  }

  /** Forgets a task. Missing is not an error. */
  delete(id: string): Promise<void> {
    const file = this.#file(id);
    return this.#enqueue(id, async () => {
      await rm(file, { force: true });
      await syncDirectory(this.dir);
    });
  }
}
