import { cpus, hostname, totalmem } from 'node:os';
import type { NodeDescription, Task } from '../../proto/index.js';
import type { LocalContainers } from '../../runtime-native/ts/index.js';
import type { ContainerUsage, Executor } from '../exec/index.js';
import { RuntimeController } from './runtime-controller.js';

export interface RuntimeExecutorOptions {
  containers: LocalContainers;
  /** @default os.hostname() */
  hostname?: string;
  /** Node labels the operator gave this engine. @default {} */
  engineLabels?: Record<string, string>;
  /** @default the package version */
  engineVersion?: string;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', arm: 'armv7l' };

/** Runs tasks as containers through runtime-native (swarm-runtime, or crun/runc in its place). */
export class RuntimeExecutor implements Executor {
  readonly #options: RuntimeExecutorOptions;

  constructor(options: RuntimeExecutorOptions) {
    this.#options = options;
  }

  async describe(): Promise<NodeDescription> {
    return {
      hostname: this.#options.hostname ?? hostname(),
      platform: { os: process.platform, architecture: ARCH[process.arch] ?? process.arch },
      resources: { nanoCpus: cpus().length * 1e9, memoryBytes: totalmem() },
      engine: {
        version: this.#options.engineVersion ?? '0.1.0',
        labels: { ...(this.#options.engineLabels ?? {}) },
      },
    };
  }

  controller(task: Task): RuntimeController {
    return new RuntimeController(task, this.#options.containers);
  }

  async usage(taskId: string): Promise<ContainerUsage | null> {
    const st = await this.#options.containers.stats(taskId);
    if (st === null) return null;
    return {
      cpuSeconds: st.cpuUsageNs / 1e9,
      cpuThrottledSeconds: st.cpuThrottledNs / 1e9,
      memoryBytes: st.memoryUsageBytes,
      ...(st.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: st.memoryLimitBytes }),
      pids: st.pidsCurrent,
    };
  }
}
