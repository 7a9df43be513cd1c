import type { NodeDescription, Task } from '../../../proto/index.js';
import type { Executor } from '../../exec/index.js';
import { FakeController } from '../../exec/testing/index.js';

/** An Executor of FakeControllers: every `controller()` call makes a new one, kept per task. */
export class FakeExecutor implements Executor {
  readonly controllers = new Map<string, FakeController[]>();

  async describe(): Promise<NodeDescription> {
    return {
      hostname: 'fake-node',
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 4e9, memoryBytes: 8 * 1024 ** 3 },
      engine: { version: 'fake', labels: {} },
    };
  }

  controller(task: Task): FakeController {
    const c = new FakeController();
    const list = this.controllers.get(task.id) ?? [];
    list.push(c);
    this.controllers.set(task.id, list);
    return c;
  }

  /** The task's newest controller. */
  latest(taskId: string): FakeController {
    const c = this.controllers.get(taskId)?.at(-1);
    if (c === undefined) throw new Error(`no controller was made for task "${taskId}"`);
    return c;
  }

  /** Every call made on the task's controllers, in order. */
  calls(taskId: string): string[] {
    return (this.controllers.get(taskId) ?? []).flatMap((c) => c.calls);
  }
}
