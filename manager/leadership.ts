/**
 * Leader-only work (orchestrators, scheduler, dispatcher later; the cluster bootstrap and the learner
 * promoter now): each registered task runs while this manager leads, with an AbortSignal that aborts when
 * leadership is lost or the manager stops. A new term's tasks start only after the previous term's have
 * all returned, so a task never runs twice at once.
 */
import type { Logger } from '../common/index.js';

/**
 * A leader-only task: runs from the moment this manager becomes the leader; `signal` aborts when it stops
 * being the leader (or the manager stops), and the task should then return promptly. A task that returns
 * early or throws is not restarted before the next leadership.
 */
export type LeaderTask = (signal: AbortSignal) => Promise<void> | void;

interface Term {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class Leadership {
  readonly #log: Logger;
  readonly #tasks: { readonly name: string; readonly task: LeaderTask }[] = [];
  #current: Term | null = null;
  /** Settles once the previous term's tasks all returned. */
  #previous: Promise<void> = Promise.resolve();
  #stopped = false;
  #leading = false;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /** Whether this manager leads (as last told by {@link update}). */
  get leading(): boolean {
    return this.#leading;
  }

  /** Registers a task; it starts at once when this manager already leads. */
  add(name: string, task: LeaderTask): void {
    const entry = { name, task };
    this.#tasks.push(entry);
    const current = this.#current;
    if (current !== null) void this.#runOne(entry, current.controller.signal);
  }

  /** Tells whether this manager is the leader now (from the replication's leader events). */
  update(isLeader: boolean, term: number): void {
    if (this.#stopped) return;
    this.#leading = isLeader;
    if (isLeader && this.#current === null) this.#start(term);
    else if (!isLeader && this.#current !== null) this.#end('leadership lost');
  }

  #start(term: number): void {
    const controller = new AbortController();
    const after = this.#previous;
    const done = after.then(async () => {
      if (controller.signal.aborted) return;
      this.#log.info('leader-only work starting', {
        'raft.term': term,
        tasks: this.#tasks.map((t) => t.name),
      });
      await Promise.all(this.#tasks.map((t) => this.#runOne(t, controller.signal)));
    });
    this.#current = { controller, done };
  }

  async #runOne(entry: { name: string; task: LeaderTask }, signal: AbortSignal): Promise<void> {
    try {
      await entry.task(signal);
    } catch (err) {
      if (!signal.aborted) this.#log.error('leader-only task failed', { task: entry.name, err });
    }
  }

  #end(why: string): void {
    const current = this.#current;
    if (current === null) return;
    this.#current = null;
    this.#log.info('leader-only work stopping', { reason: why });
    current.controller.abort(new Error(why));
    this.#previous = current.done;
  }

  /** Stops the tasks (as on a leadership loss) and resolves once they all returned. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#leading = false;
    this.#end('manager stopping');
    await this.#previous;
  }
}
