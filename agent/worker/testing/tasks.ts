import type { dispatcherpb, RestartPolicy, Task, TaskState } from '../../../proto/index.js';
import { testTaskSpec, testTaskStatus } from '../../../proto/testing/index.js';

let n = 0;

/** A task as the dispatcher sends it: ASSIGNED, desired RUNNING, restart policy `any` with defaults. */
export function assignedTask(
  overrides: Partial<Task> = {},
  restartPolicy: Partial<RestartPolicy> = {},
): Task {
  n++;
  const spec = testTaskSpec();
  return {
    id: `task${String(n).padStart(4, '0')}`,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    serviceId: 'svc',
    slot: n,
    nodeId: 'node-1',
    spec: {
      ...spec,
      container: { ...spec.container, command: ['sleep', '600'], stopSignal: 'SIGTERM' },
      restartPolicy: { ...spec.restartPolicy, ...restartPolicy },
    },
    specVersion: 1,
    desiredState: 'RUNNING',
    status: testTaskStatus('ASSIGNED'),
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
