/**
 * The cluster's objects as the managers store them and the agents receive them: hand-written types (the
 * `.proto` contracts carry them over gRPC; conversion happens at each API edge). Every object has an `id`
 * (25-char base36), `meta` (the Raft index of its last write and times) and a `spec` written only by users
 * through the Control API; `status` and the like are written only by the system. Durations are numbers in
 * milliseconds, sizes in bytes, CPU in nano-CPUs (1e9 = one CPU), as design.md §7 says.
 */
import type { TaskState } from './task-state.js';

export interface Meta {
  /** The Raft index of the last write of this object; an update carries the version it read. */
  version: number;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

export interface Annotations {
  name: string;
  labels: Record<string, string>;
}

// ---------------------------------------------------------------- cluster

export interface ClusterSpec {
  annotations: Annotations;
  /** Dead tasks kept per slot (replicated) or per node (global). */
  taskHistoryRetentionLimit: number;
  dispatcher: { heartbeatPeriodMs: number };
  caConfig: { nodeCertExpiryMs: number };
  raft: { snapshotInterval: number; keepOldSnapshots: number; logEntriesForSlowFollowers: number };
  encryption: { autoLockManagers: boolean };
}

export interface Cluster {
  id: string;
  meta: Meta;
  spec: ClusterSpec;
  joinTokens: { worker: string; manager: string };
  /**
   * The cluster's root CA (PEM). The key is replicated to the managers only, through the store (never
   * sent out by the Control API), so that any manager can sign: swarmkit's RootCA.CAKey.
   */
  rootCA: { certificate: string; key: string };
  /**
   * While `spec.encryption.autoLockManagers` is on: the key (`SWMKEY-1-…`) that seals each manager's Raft
   * data key, so that a restarted manager stays locked until it is given; '' otherwise. Replicated to the
   * managers only (the Control API gives it out through GetUnlockKey alone).
   */
  unlockKey: string;
}

// ---------------------------------------------------------------- nodes

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface NodeSpec {
  annotations: Annotations;
  desiredRole: NodeRole;
  availability: NodeAvailability;
}

export interface NodeDescription {
  hostname: string;
  platform: { os: string; architecture: string };
  resources: { nanoCpus: number; memoryBytes: number };
  engine: { version: string; labels: Record<string, string> };
}

export interface Node {
  id: string;
  meta: Meta;
  spec: NodeSpec;
  description: NodeDescription | null;
  status: { state: NodeState; message: string; addr: string };
  role: NodeRole;
  /** Present for managers: their Raft member id (hex) and address. */
  managerStatus: {
    raftId: string;
    addr: string;
    leader: boolean;
    reachability: 'unknown' | 'unreachable' | 'reachable';
  } | null;
}

// ---------------------------------------------------------------- services and tasks

export interface Mount {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
}

export interface SecretReference {
  secretId: string;
  secretName: string;
  /** File name under /run/secrets. */
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface ConfigReference {
  configId: string;
  configName: string;
  /** Absolute path in the container. */
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface HealthConfig {
  /** ['CMD', ...] or ['CMD-SHELL', 'script'] or ['NONE']. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface ContainerSpec {
  /** 'host', a rootfs path, or a registry reference. */
  image: string;
  command: string[];
  args: string[];
  env: string[];
  dir: string;
  user: string;
  hostname: string;
  labels: Record<string, string>;
  mounts: Mount[];
  secrets: SecretReference[];
  configs: ConfigReference[];
  stopGracePeriodMs: number;
  stopSignal: string;
  healthcheck: HealthConfig | null;
  readOnly: boolean;
  capabilityAdd: string[];
  capabilityDrop: string[];
}

export interface Resources {
  nanoCpus: number;
  memoryBytes: number;
}

export interface ResourceRequirements {
  limits: Resources & { pids: number };
  reservations: Resources;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  condition: RestartCondition;
  /** null: the default backoff (immediate, then 100 ms doubling to 10 s); a number replaces it. */
  delayMs: number | null;
  /** 0 = unlimited. */
  maxAttempts: number;
  /** 0 = unbounded. */
  windowMs: number;
}

export interface Placement {
  /** `node.labels.zone==a`, `node.role!=manager`, ... (AND). */
  constraints: string[];
  /** Nested spreads: `spread=node.labels.zone`. */
  preferences: { spread: string }[];
  /** 0 = unlimited. */
  maxReplicasPerNode: number;
}

export interface TaskSpec {
  container: ContainerSpec;
  resources: ResourceRequirements;
  restartPolicy: RestartPolicy;
  placement: Placement;
  networks: { target: string; aliases: string[] }[];
  /** Bumped to force a redeploy with an unchanged spec. */
  forceUpdate: number;
}

export type FailureAction = 'pause' | 'continue' | 'rollback';

export interface UpdateConfig {
  /** 0 = all at once. */
  parallelism: number;
  delayMs: number;
  failureAction: FailureAction;
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

export interface PortConfig {
  name: string;
  protocol: 'tcp' | 'udp';
  targetPort: number;
  /** 0 = none published. */
  publishedPort: number;
  publishMode: 'host' | 'ingress';
}

export type ServiceMode = { replicated: { replicas: number } } | { global: Record<string, never> };

export interface ServiceSpec {
  annotations: Annotations;
  task: TaskSpec;
  mode: ServiceMode;
  update: UpdateConfig;
  rollback: UpdateConfig;
  endpoint: { ports: PortConfig[] };
}

export type UpdateState =
  | 'updating'
  | 'paused'
  | 'completed'
  | 'rollback_started'
  | 'rollback_paused'
  | 'rollback_completed';

export interface Service {
  id: string;
  meta: Meta;
  spec: ServiceSpec;
  /** The spec before the last update, for rollback. */
  previousSpec: ServiceSpec | null;
  /** Bumped by every spec change; tasks carry the version they were made from. */
  specVersion: number;
  updateStatus: { state: UpdateState; startedAt: number; completedAt: number; message: string } | null;
  /** Ports reserved by the allocator. */
  endpoint: { ports: PortConfig[] } | null;
}

export interface ContainerStatus {
  containerId: string;
  pid: number;
  exitCode: number;
  /** The kernel's OOM killer ended a process of the container. */
  oomKilled: boolean;
}

export interface TaskStatus {
  state: TaskState;
  /** ms since the epoch, set by whoever moved the state. */
  timestamp: number;
  message: string;
  /** Why it failed, when it did. */
  err: string;
  container: ContainerStatus | null;
  portStatus: PortConfig[];
  /**
   * How many times the agent restarted this task's container in place (its restart policy allowed it):
   * the task stayed RUNNING across those crashes.
   */
  restarts: number;
}

export interface Task {
  id: string;
  meta: Meta;
  serviceId: string;
  /** Replicated services: 1..N, kept by replacements. 0 for global services. */
  slot: number;
  /** Empty until the scheduler assigns it (global tasks are born with one). */
  nodeId: string;
  spec: TaskSpec;
  specVersion: number;
  /** Written only by managers. */
  desiredState: TaskState;
  /** Written only by the agent running it (up to ASSIGNED: by managers). */
  status: TaskStatus;
  serviceAnnotations: Annotations;
  /** Why the scheduler could not place it yet ("no suitable node (...)"), or ''. */
  schedulingMessage: string;
}

// ---------------------------------------------------------------- secrets, configs, networks

export interface Secret {
  id: string;
  meta: Meta;
  spec: { annotations: Annotations; data: Uint8Array };
}

export interface Config {
  id: string;
  meta: Meta;
  spec: { annotations: Annotations; data: Uint8Array };
}

export interface Network {
  id: string;
  meta: Meta;
  spec: {
    annotations: Annotations;
    driver: 'bridge' | 'overlay';
    ipam: { subnet: string; gateway: string }[];
    attachable: boolean;
  };
}

/** The kinds of object the store keeps, by their table name. */
export interface ObjectsByKind {
  cluster: Cluster;
  node: Node;
  service: Service;
  task: Task;
  secret: Secret;
  config: Config;
  network: Network;
}

export type ObjectKind = keyof ObjectsByKind;
export type StoreObject = ObjectsByKind[ObjectKind];

export const OBJECT_KINDS: readonly ObjectKind[] = [
  'cluster',
  'node',
  'service',
  'task',
  'secret',
  'config',
  'network',
];
