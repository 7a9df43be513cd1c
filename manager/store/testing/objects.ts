/**
 * Complete, valid objects for tests of the store and its consumers, with every field at a plain default;
 * pass the few fields a test cares about. `meta` is zero (the store sets it).
 */

import type {
  Cluster,
  Config,
  Meta,
  Network,
  Node,
  NodeAvailability,
  NodeRole,
  Secret,
  SecretReference,
  Service,
  Task,
  TaskState,
} from '../../../proto/index.js';
import { testTaskSpec, testTaskStatus } from '../../../proto/testing/index.js';

const META: Meta = { version: 0, createdAt: 0, updatedAt: 0 };

export interface TestServiceInit {
  id: string;
  name: string;
  /** Replicated with this many replicas; ignored when `global`. @default 1 */
  replicas?: number;
  global?: boolean;
  labels?: Record<string, string>;
  image?: string;
  secrets?: SecretReference[];
}

export function testService(init: TestServiceInit): Service {
  const update = {
    parallelism: 1,
    delayMs: 0,
    failureAction: 'pause',
    monitorMs: 5000,
    maxFailureRatio: 0,
    order: 'stop-first',
  } as const;
  return {
    id: init.id,
    meta: META,
    spec: {
      annotations: { name: init.name, labels: init.labels ?? {} },
      task: testTaskSpec(init.image, init.secrets),
      mode: init.global === true ? { global: {} } : { replicated: { replicas: init.replicas ?? 1 } },
      update: { ...update },
      rollback: { ...update },
      endpoint: { ports: [] },
    },
    previousSpec: null,
    specVersion: 1,
    updateStatus: null,
    endpoint: null,
  };
}

export interface TestTaskInit {
  id: string;
  /** The service the task belongs to: its id, name, labels and task spec are copied. */
  service: Service;
  /** @default 1 (0 for a global service) */
  slot?: number;
  /** @default '' (unassigned) */
  nodeId?: string;
  /** @default 'RUNNING' */
  desiredState?: TaskState;
  /** `status.state`. @default 'NEW' */
  state?: TaskState;
}

export function testTask(init: TestTaskInit): Task {
  const s = init.service;
  return {
    id: init.id,
    meta: META,
    serviceId: s.id,
    slot: init.slot ?? ('global' in s.spec.mode ? 0 : 1),
    nodeId: init.nodeId ?? '',
    spec: s.spec.task,
    specVersion: s.specVersion,
    desiredState: init.desiredState ?? 'RUNNING',
    status: testTaskStatus(init.state ?? 'NEW'),
    serviceAnnotations: s.spec.annotations,
    schedulingMessage: '',
  };
}

export interface TestNodeInit {
  id: string;
  hostname: string;
  /** `spec.annotations.name`. @default '' (the node is named by its hostname) */
  name?: string;
  role?: NodeRole;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
}

export function testNode(init: TestNodeInit): Node {
  const role = init.role ?? 'worker';
  return {
    id: init.id,
    meta: META,
    spec: {
      annotations: { name: init.name ?? '', labels: init.labels ?? {} },
      desiredRole: role,
      availability: init.availability ?? 'active',
    },
    description: {
      hostname: init.hostname,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 },
      engine: { version: 'test', labels: {} },
    },
    status: { state: 'ready', message: '', addr: '127.0.0.1' },
    role,
    managerStatus: null,
  };
}

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

export function testSecret(
  id: string,
  name: string,
  data: Uint8Array | string = 'secret',
  labels: Record<string, string> = {},
): Secret {
  return { id, meta: META, spec: { annotations: { name, labels }, data: bytes(data) } };
}

export function testConfig(
  id: string,
  name: string,
  data: Uint8Array | string = 'config',
  labels: Record<string, string> = {},
): Config {
  return { id, meta: META, spec: { annotations: { name, labels }, data: bytes(data) } };
}

export function testNetwork(id: string, name: string, labels: Record<string, string> = {}): Network {
  return {
    id,
    meta: META,
    spec: {
      annotations: { name, labels },
      driver: 'overlay',
      ipam: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }],
      attachable: false,
    },
  };
}

/**
 * A fixed root CA (ECDSA P-256, 20 years from 2026) for test clusters, so that code deriving join tokens
 * from the cluster's root CA works on them. A test fixture only: its key is public.
 */
export const TEST_ROOT_CA = Object.freeze({
  certificate: [
    '-----BEGIN CERTIFICATE-----',
    'MIIBsTCCAVegAwIBAgIQIW0mZGNRi/iBJacGCMwKpzAKBggqhkjOPQQDAjA3MREw',
    'DwYDVQQDEwhzd2FybS1jYTEiMCAGA1UEChMZYzEwMDAwMDAwMDAwMDAwMDAwMDAw',
    'MDAwMDAeFw0yNjAxMDEwMDAwMDBaFw00NTEyMjcwMDAwMDBaMDcxETAPBgNVBAMT',
    'CHN3YXJtLWNhMSIwIAYDVQQKExljMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMFkw',
    'EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhIqPeJedIouuPE084ZOBlP65+Ann/5gl',
    'YEC+ewDE4uqnvCmw5ANeRoOYY3bht/gbgQZPXF1Ws6GMnjl9BBb8J6NFMEMwEgYD',
    'VR0TAQH/BAgwBgEB/wIBATAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFMj9J8Gm',
    'pnDLYOnaY9Q2kFKxCTgZMAoGCCqGSM49BAMCA0gAMEUCIQCJQnrPeLEucqyVyTp7',
    'AvbNF8Y9LJD8kUUzZRLbczt8fgIgf50BvwqqpPec8gyv2372Eml49zXlgeSx3JcJ',
    'JCO4b1c=',
    '-----END CERTIFICATE-----',
  ].join('\n'),
  key: [
    '-----BEGIN PRIVATE KEY-----',
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZVFO5Trv1O7KFIt+',
    'JdDJ4/4+QZ1Q3Dp6psveh5QxZ3ChRANCAASEio94l50ii648TTzhk4GU/rn4Cef/',
    'mCVgQL57AMTi6qe8KbDkA15Gg5hjduG3+BuBBk9cXVazoYyeOX0EFvwn',
    '-----END PRIVATE KEY-----',
  ].join('\n'),
});

export function testCluster(id: string, name = 'default'): Cluster {
  return {
    id,
    meta: META,
    spec: {
      annotations: { name, labels: {} },
      taskHistoryRetentionLimit: 5,
      dispatcher: { heartbeatPeriodMs: 5000 },
      caConfig: { nodeCertExpiryMs: 90 * 24 * 3600 * 1000 },
      raft: { snapshotInterval: 10_000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500 },
      encryption: { autoLockManagers: false },
    },
    joinTokens: { worker: '', manager: '' },
    rootCA: { certificate: `${TEST_ROOT_CA.certificate}\n`, key: `${TEST_ROOT_CA.key}\n` },
    unlockKey: '',
  };
}
