/**
 * @module proto/testing — complete model objects at plain defaults for tests anywhere (the store's, the
 * orchestrators', the agent's): pass the few fields a test cares about.
 */
import type { SecretReference, TaskSpec, TaskState, TaskStatus } from '../model/index.js';

/** A task spec running `image` with no limits, no restart delay and no placement rules. */
export function testTaskSpec(image = 'host', secrets: SecretReference[] = []): TaskSpec {
  return {
    container: {
      image,
      command: [],
      args: [],
      env: [],
      dir: '',
      user: '',
      hostname: '',
      labels: {},
      mounts: [],
      secrets,
      configs: [],
      stopGracePeriodMs: 10_000,
      stopSignal: '',
      healthcheck: null,
      readOnly: false,
      capabilityAdd: [],
      capabilityDrop: [],
    },
    resources: {
      limits: { nanoCpus: 0, memoryBytes: 0, pids: 0 },
      reservations: { nanoCpus: 0, memoryBytes: 0 },
    },
    restartPolicy: { condition: 'any', delayMs: null, maxAttempts: 0, windowMs: 0 },
    placement: { constraints: [], preferences: [], maxReplicasPerNode: 0 },
    networks: [],
    forceUpdate: 0,
  };
}

/** A task status in `state`, with nothing else set. */
export function testTaskStatus(state: TaskState = 'NEW'): TaskStatus {
  return { state, timestamp: 0, message: '', err: '', container: null, portStatus: [], restarts: 0 };
}
