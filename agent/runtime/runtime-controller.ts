import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { errorCode, SwarmError } from '../../common/index.js';
import type { Task } from '../../proto/index.js';
import { ContainerNotFoundError, type LocalContainers } from '../../runtime-native/ts/index.js';
import { type ContainerExit, type Controller, ExecError } from '../exec/index.js';
import { containerOptions } from './task-container.js';

/**
 * One task's container through runtime-native: the container id is the task id, its bundle, layer and
 * log live under the executor's state dir. Every method is idempotent, so a restarted agent can call
 * them again on a container that already exists or already runs.
 */
export class RuntimeController implements Controller {
  readonly #task: Task;
  /** This controller created the container and has not started it yet. */
  #created = false;
  /** This controller started the container and nobody asked for its pid yet. */
  #started = false;
  readonly #containers: LocalContainers;

  constructor(task: Task, containers: LocalContainers) {
    this.#task = task;
    this.#containers = containers;
  }

  get #id(): string {
    return this.#task.id;
  }

  async #status(): Promise<'created' | 'running' | 'stopped' | 'creating' | null> {
    try {
      return (await this.#containers.runtime.state(this.#id)).status;
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return null;
      throw err;
    }
  }

  async prepare(): Promise<void> {
    // A task whose bundle does not exist yet has no container: no need to ask the runtime (each runtime
    // call is a process; a fresh task is the common case, a re-adopted one the rare).
    if (existsSync(this.#containers.bundleDir(this.#id)) && (await this.#status()) !== null) return;
    try {
      await this.#containers.create(this.#id, containerOptions(this.#task));
      this.#created = true;
    } catch (err) {
      if (err instanceof ExecError) throw err;
      throw new ExecError(
        `task: cannot create the container: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async start(): Promise<void> {
    // Just created by this controller: it is `created`, no need to ask.
    const status = this.#created ? 'created' : await this.#status();
    this.#created = false;
    if (status === 'running') return;
    if (status !== 'created')
      throw new ExecError(`task: cannot start the container: it is ${status ?? 'missing'}`);
    try {
      await this.#containers.runtime.start(this.#id);
      this.#started = true;
    } catch (err) {
      throw new ExecError(
        `task: cannot start the container: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Runs an ended container again, in place: the runtime's container is deleted and created anew from
   * the same bundle (its root filesystem, config.json and log stay), then started. A few runtime calls,
   * where remove + prepare + start would build the bundle again. The worker's crash repair uses it.
   */
  async restart(): Promise<void> {
    const status = await this.#status();
    if (status === 'running') return;
    if (status === null) {
      await this.prepare();
    } else if (status !== 'created') {
      try {
        await this.#containers.runtime.delete(this.#id, { force: true });
        await this.#containers.runtime.create(this.#id, {
          bundle: this.#containers.bundleDir(this.#id),
          containerLog: this.#containers.logPath(this.#id),
          pidFile: this.#containers.pidPath(this.#id),
        });
      } catch (err) {
        throw new ExecError(
          `task: cannot restart the container: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    await this.start();
  }

  async wait(signal: AbortSignal): Promise<ContainerExit> {
    const exit = await this.#containers.runtime.wait(this.#id, { signal });
    return { exitCode: exit.exitCode, signal: exit.signal, oomKilled: exit.oomKilled };
  }

  async shutdown(): Promise<void> {
    const status = await this.#status();
    if (status !== 'running' && status !== 'created') return;
    await this.#containers.runtime.stop(this.#id, { graceMs: this.#task.spec.container.stopGracePeriodMs });
  }

  async terminate(): Promise<void> {
    const status = await this.#status();
    if (status !== 'running' && status !== 'created') return;
    await this.#containers.runtime.kill(this.#id, 'SIGKILL', { all: true }).catch((err: unknown) => {
      // It ended between the look and the kill.
      if (!(err instanceof SwarmError) || errorCode(err) === 'ERR_RUNTIME_NOT_FOUND') return;
      throw err;
    });
  }

  async remove(): Promise<void> {
    try {
      await this.#containers.remove(this.#id, { force: true });
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) throw err;
    }
  }

  async inspect(): Promise<{ containerId: string; pid: number } | null> {
    // Just started by this controller: the pid create wrote is the container's, no need to ask.
    if (this.#started) {
      this.#started = false;
      const pid = Number.parseInt(
        await readFile(this.#containers.pidPath(this.#id), 'utf8').catch(() => ''),
        10,
      );
      if (Number.isInteger(pid) && pid > 0) return { containerId: this.#id, pid };
    }
    try {
      const state = await this.#containers.runtime.state(this.#id);
      return { containerId: this.#id, pid: state.pid };
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return null;
      throw err;
    }
  }
}
