import type { ContainerExit, Controller } from '../controller.js';
import { StepAbortedError } from '../errors.js';

type Method = 'prepare' | 'start' | 'shutdown' | 'terminate' | 'remove';

/**
 * A Controller for tests of doStep and of the task managers built on it: records the calls, fails a
 * method when told to, and ends the "container" when the test says so.
 */
export class FakeController implements Controller {
  readonly calls: string[] = [];
  readonly failures = new Map<Method, unknown>();
  #exit: ContainerExit | null = null;
  #waiters: ((e: ContainerExit) => void)[] = [];
  running = false;

  #call(m: Method): void {
    this.calls.push(m);
    const err = this.failures.get(m);
    if (err !== undefined) {
      this.failures.delete(m);
      throw err;
    }
  }

  async prepare(): Promise<void> {
    this.#call('prepare');
  }
  async start(): Promise<void> {
    this.#call('start');
    this.running = true;
  }
  async shutdown(): Promise<void> {
    this.#call('shutdown');
    if (this.running) this.exit({ exitCode: 143, signal: 'SIGTERM', oomKilled: false });
  }
  async terminate(): Promise<void> {
    this.#call('terminate');
    if (this.running) this.exit({ exitCode: 137, signal: 'SIGKILL', oomKilled: false });
  }
  async remove(): Promise<void> {
    this.#call('remove');
  }
  async inspect(): Promise<{ containerId: string; pid: number } | null> {
    return this.running ? { containerId: 'fake-container', pid: 4242 } : null;
  }

  wait(signal: AbortSignal): Promise<ContainerExit> {
    this.calls.push('wait');
    if (this.#exit) return Promise.resolve(this.#exit);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new StepAbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push((e) => {
        signal.removeEventListener('abort', onAbort);
        resolve(e);
      });
    });
  }

  /** Ends the container. */
  exit(e: ContainerExit): void {
    this.running = false;
    this.#exit = e;
    for (const w of this.#waiters.splice(0)) w(e);
  }
}
