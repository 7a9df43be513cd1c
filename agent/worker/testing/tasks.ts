import type { dispatcherpb, RestartPolicy, Task, TaskState } from '../../../proto/index.js';

let n = 0;

/** A task as the dispatcher sends it: ASSIGNED, desired RUNNING, restart policy `any` with defaults. */
export function assignedTask(
  overrides: Partial<Task> = {},
  restartPolicy: Partial<RestartPolicy> = {},
): Task {
  n++;
  return {
    id: `task${String(n).padStart(4, '0')}`,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    serviceId: 'svc',
    slot: n,
    nodeId: 'node-1',
    spec: {
      container: {
        image: 'host',
        command: ['sleep', '600'],
        args: [],
        env: [],
        dir: '',
        user: '',
        hostname: '',
        labels: {},
        mounts: [],
        secrets: [],
        configs: [],
        stopGracePeriodMs: 10_000,
        stopSignal: 'SIGTERM',
        healthcheck: null,
        readOnly: false,
        capabilityAdd: [],
        capabilityDrop: [],
      },
      resources: {
        limits: { nanoCpus: 0, memoryBytes: 0, pids: 0 },
        reservations: { nanoCpus: 0, memoryBytes: 0 },
      },
      restartPolicy: { condition: 'any', delayMs: null, maxAttempts: 0, windowMs: 0, ...restartPolicy },
      placement: { constraints: [], preferences: [], maxReplicasPerNode: 0 },
      networks: [],
      forceUpdate: 0,
    },
    specVersion: 1,
    desiredState: 'RUNNING',
    status: {
      state: 'ASSIGNED',
      timestamp: 0,
      message: '',
      err: '',
      container: null,
      portStatus: [],
      restarts: 0,
    },
    serviceAnnotations: { name: 'svc', labels: {} },
    schedulingMessage: '',
    ...overrides,
  };
}

export function withDesired(task: Task, desiredState: TaskState): Task {
  return { ...task, desiredState, meta: { ...task.meta, version: task.meta.version + 1 } };
}

function change(task: Task): dispatcherpb.AssignmentChange__Output {
  return { action: 'UPDATE', kind: 'task', id: task.id, object: Buffer.from(JSON.stringify(task)) };
}

/** A COMPLETE assignments message. */
export function completeSet(resultsIn: number, tasks: Task[]): dispatcherpb.AssignmentsMessage__Output {
  return { type: 'COMPLETE', appliesTo: '0', resultsIn: String(resultsIn), changes: tasks.map(change) };
}

/** An INCREMENTAL assignments message: tasks to update, ids to remove. */
export function changes(
  appliesTo: number,
  update: Task[],
  remove: string[] = [],
): dispatcherpb.AssignmentsMessage__Output {
  return {
    type: 'INCREMENTAL',
    appliesTo: String(appliesTo),
    resultsIn: String(appliesTo + 1),
    changes: [
      ...update.map(change),
      ...remove.map((id) => ({ action: 'REMOVE' as const, kind: 'task', id, object: Buffer.alloc(0) })),
    ],
  };
}
