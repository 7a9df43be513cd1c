/**
 * proto/control.proto ⇄ proto/model, at the gRPC edge. Requests become the validators' loose inputs
 * (64-bit decimal strings become numbers, enum names become the model's names, `*_UNSPECIFIED` and absent
 * optional fields become undefined, unknown enum numbers pass through for validation to refuse); stored
 * objects become complete messages. Secrets never carry their data out.
 */
import type {
  Annotations,
  Cluster,
  Config,
  ContainerSpec,
  Meta,
  Network,
  Node,
  NodeAvailability,
  NodeRole,
  ObjectKind,
  PortConfig,
  Secret,
  Service,
  ServiceSpec,
  StoreObject,
  Task,
  TaskSpec,
  TaskState,
  UpdateConfig,
} from '../../proto/index.js';
import { type controlpb, isTaskState } from '../../proto/index.js';
import type { ListFilter } from './control-service.js';
import type { ControlWatchAction, ControlWatchEvent } from './control-watch.js';
import { redacted } from './control-watch.js';
import type { ClusterSpecInput } from './validate-cluster.js';
import type { Opt } from './validate-common.js';
import type { NetworkSpecInput } from './validate-network.js';
import type { NodeSpecInput } from './validate-node.js';
import type { SecretSpecInput } from './validate-secret.js';
import type { ServiceSpecInput, TaskSpecInput, UpdateConfigInput } from './validate-service.js';

// ---------------------------------------------------------------- enums

/** A two-way table between the model's names and a proto enum's. */
export class EnumTable<M extends string, P extends string> {
  readonly #toProto: ReadonlyMap<M, P>;
  readonly #toModel: ReadonlyMap<string, M>;
  readonly #unspecified: string;

  constructor(unspecified: string, pairs: readonly (readonly [M, P])[]) {
    this.#unspecified = unspecified;
    this.#toProto = new Map(pairs);
    this.#toModel = new Map(pairs.map(([m, p]) => [p, m]));
  }

  /** The proto name of a model value. */
  toProto(v: M): P {
    const p = this.#toProto.get(v);
    if (p === undefined) throw new TypeError(`Cannot convert "${v}" to its proto enum value`);
    return p;
  }

  /**
   * The model name of a received value: undefined for UNSPECIFIED (0), the value itself when unknown (a
   * number the loader could not name), for validation to refuse.
   */
  toModel(v: string | number | null | undefined): M | string | number | undefined {
    if (v === null || v === undefined || v === this.#unspecified || v === 0) return undefined;
    return this.#toModel.get(String(v)) ?? v;
  }

  /** Like {@link toModel}, but only a known value. */
  known(v: string | number | null | undefined): M | undefined {
    const m = this.toModel(v);
    return typeof m === 'string' && this.#toProto.has(m as M) ? (m as M) : undefined;
  }
}

export const NODE_ROLES = new EnumTable<NodeRole, string>('NODE_ROLE_UNSPECIFIED', [
  ['worker', 'NODE_ROLE_WORKER'],
  ['manager', 'NODE_ROLE_MANAGER'],
]);
export const NODE_AVAILABILITIES = new EnumTable<NodeAvailability, string>('NODE_AVAILABILITY_UNSPECIFIED', [
  ['active', 'NODE_AVAILABILITY_ACTIVE'],
  ['pause', 'NODE_AVAILABILITY_PAUSE'],
  ['drain', 'NODE_AVAILABILITY_DRAIN'],
]);
const NODE_STATES = new EnumTable<Node['status']['state'], string>('', [
  ['unknown', 'NODE_STATE_UNKNOWN'],
  ['down', 'NODE_STATE_DOWN'],
  ['ready', 'NODE_STATE_READY'],
  ['disconnected', 'NODE_STATE_DISCONNECTED'],
]);
const REACHABILITIES = new EnumTable<NonNullable<Node['managerStatus']>['reachability'], string>('', [
  ['unknown', 'REACHABILITY_UNKNOWN'],
  ['unreachable', 'REACHABILITY_UNREACHABLE'],
  ['reachable', 'REACHABILITY_REACHABLE'],
]);
const MOUNT_TYPES = new EnumTable<ContainerSpec['mounts'][number]['type'], string>('MOUNT_TYPE_UNSPECIFIED', [
  ['bind', 'MOUNT_TYPE_BIND'],
  ['volume', 'MOUNT_TYPE_VOLUME'],
  ['tmpfs', 'MOUNT_TYPE_TMPFS'],
]);
const RESTART_CONDITIONS = new EnumTable<TaskSpec['restartPolicy']['condition'], string>(
  'RESTART_CONDITION_UNSPECIFIED',
  [
    ['none', 'RESTART_CONDITION_NONE'],
    ['on-failure', 'RESTART_CONDITION_ON_FAILURE'],
    ['any', 'RESTART_CONDITION_ANY'],
  ],
);
const FAILURE_ACTIONS = new EnumTable<UpdateConfig['failureAction'], string>('FAILURE_ACTION_UNSPECIFIED', [
  ['pause', 'FAILURE_ACTION_PAUSE'],
  ['continue', 'FAILURE_ACTION_CONTINUE'],
  ['rollback', 'FAILURE_ACTION_ROLLBACK'],
]);
const UPDATE_ORDERS = new EnumTable<UpdateConfig['order'], string>('UPDATE_ORDER_UNSPECIFIED', [
  ['stop-first', 'UPDATE_ORDER_STOP_FIRST'],
  ['start-first', 'UPDATE_ORDER_START_FIRST'],
]);
const PROTOCOLS = new EnumTable<PortConfig['protocol'], string>('PORT_PROTOCOL_UNSPECIFIED', [
  ['tcp', 'PORT_PROTOCOL_TCP'],
  ['udp', 'PORT_PROTOCOL_UDP'],
]);
const PUBLISH_MODES = new EnumTable<PortConfig['publishMode'], string>('PUBLISH_MODE_UNSPECIFIED', [
  ['host', 'PUBLISH_MODE_HOST'],
  ['ingress', 'PUBLISH_MODE_INGRESS'],
]);
const UPDATE_STATES = new EnumTable<NonNullable<Service['updateStatus']>['state'], string>(
  'UPDATE_STATE_UNSPECIFIED',
  [
    ['updating', 'UPDATE_STATE_UPDATING'],
    ['paused', 'UPDATE_STATE_PAUSED'],
    ['completed', 'UPDATE_STATE_COMPLETED'],
    ['rollback_started', 'UPDATE_STATE_ROLLBACK_STARTED'],
    ['rollback_paused', 'UPDATE_STATE_ROLLBACK_PAUSED'],
    ['rollback_completed', 'UPDATE_STATE_ROLLBACK_COMPLETED'],
  ],
);
export const OBJECT_KINDS_PROTO = new EnumTable<ObjectKind, string>('OBJECT_KIND_UNSPECIFIED', [
  ['cluster', 'OBJECT_KIND_CLUSTER'],
  ['node', 'OBJECT_KIND_NODE'],
  ['service', 'OBJECT_KIND_SERVICE'],
  ['task', 'OBJECT_KIND_TASK'],
  ['secret', 'OBJECT_KIND_SECRET'],
  ['config', 'OBJECT_KIND_CONFIG'],
  ['network', 'OBJECT_KIND_NETWORK'],
]);
export const WATCH_ACTIONS = new EnumTable<ControlWatchAction | 'started', string>(
  'WATCH_ACTION_UNSPECIFIED',
  [
    ['started', 'WATCH_ACTION_STARTED'],
    ['create', 'WATCH_ACTION_CREATE'],
    ['update', 'WATCH_ACTION_UPDATE'],
    ['remove', 'WATCH_ACTION_REMOVE'],
  ],
);

/** The proto name of a task state: `TASK_STATE_RUNNING`. */
export function taskStateToProto(s: TaskState): string {
  return `TASK_STATE_${s}`;
}

/** The model's task state of a received value, or undefined when it is not one. */
export function taskStateFromProto(v: string | number): TaskState | undefined {
  const name = String(v).replace(/^TASK_STATE_/, '');
  return typeof v === 'string' && v.startsWith('TASK_STATE_') && isTaskState(name) ? name : undefined;
}

// ---------------------------------------------------------------- numbers

/** A received 64-bit integer (a decimal string) as a number; unsafe values stay unsafe for validation. */
function num(v: string | number | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(v);
}

/** The number of a received version; 0 when absent. */
export function versionFromProto(v: controlpb.Version__Output | null): number {
  return v === null ? 0 : Number(v.index);
}

// ---------------------------------------------------------------- requests → model inputs

function annotationsIn(
  a: controlpb.Annotations__Output | null,
): Opt<{ name: string; labels: Record<string, string> }> {
  return a === null ? undefined : { name: a.name, labels: a.labels };
}

function updateConfigIn(u: controlpb.UpdateConfig__Output | null): UpdateConfigInput | undefined {
  if (u === null) return undefined;
  return {
    parallelism: num(u.parallelism),
    delayMs: num(u.delayMs),
    failureAction: FAILURE_ACTIONS.toModel(u.failureAction),
    monitorMs: num(u.monitorMs),
    maxFailureRatio: u.maxFailureRatio,
    order: UPDATE_ORDERS.toModel(u.order),
  };
}

function taskSpecIn(t: controlpb.TaskSpec__Output | null): TaskSpecInput | undefined {
  if (t === null) return undefined;
  const c = t.container;
  const r = t.resources;
  const rp = t.restartPolicy;
  const pl = t.placement;
  return {
    container:
      c === null
        ? undefined
        : {
            image: c.image,
            command: c.command,
            args: c.args,
            env: c.env,
            dir: c.dir,
            user: c.user,
            hostname: c.hostname,
            labels: c.labels,
            mounts: c.mounts.map((m) => ({
              type: MOUNT_TYPES.toModel(m.type),
              source: m.source,
              target: m.target,
              readOnly: m.readOnly,
            })),
            secrets: c.secrets.map((s) => ({
              secretId: s.secretId,
              secretName: s.secretName,
              target: s.target,
              uid: s.uid,
              gid: s.gid,
              mode: s.mode,
            })),
            configs: c.configs.map((s) => ({
              configId: s.configId,
              configName: s.configName,
              target: s.target,
              uid: s.uid,
              gid: s.gid,
              mode: s.mode,
            })),
            stopGracePeriodMs: num(c.stopGracePeriodMs),
            stopSignal: c.stopSignal,
            healthcheck:
              c.healthcheck === null
                ? null
                : {
                    test: c.healthcheck.test,
                    intervalMs: num(c.healthcheck.intervalMs),
                    timeoutMs: num(c.healthcheck.timeoutMs),
                    retries: num(c.healthcheck.retries),
                    startPeriodMs: num(c.healthcheck.startPeriodMs),
                  },
            readOnly: c.readOnly,
            capabilityAdd: c.capabilityAdd,
            capabilityDrop: c.capabilityDrop,
          },
    resources:
      r === null
        ? undefined
        : {
            limits:
              r.limits === null
                ? undefined
                : {
                    nanoCpus: num(r.limits.nanoCpus),
                    memoryBytes: num(r.limits.memoryBytes),
                    pids: num(r.limits.pids),
                  },
            reservations:
              r.reservations === null
                ? undefined
                : { nanoCpus: num(r.reservations.nanoCpus), memoryBytes: num(r.reservations.memoryBytes) },
          },
    restartPolicy:
      rp === null
        ? undefined
        : {
            condition: RESTART_CONDITIONS.toModel(rp.condition),
            delayMs: num(rp.delayMs),
            maxAttempts: num(rp.maxAttempts),
            windowMs: num(rp.windowMs),
          },
    placement:
      pl === null
        ? undefined
        : {
            constraints: pl.constraints,
            preferences: pl.preferences.map((p) => ({ spread: p.spread })),
            maxReplicasPerNode: num(pl.maxReplicasPerNode),
          },
    networks: t.networks.map((n) => ({ target: n.target, aliases: n.aliases })),
    forceUpdate: num(t.forceUpdate),
  };
}

/** A received service spec as the validator's input (absent: an empty spec, which fails validation). */
export function serviceSpecFromProto(s: controlpb.ServiceSpec__Output | null): ServiceSpecInput {
  if (s === null) return {};
  return {
    annotations: annotationsIn(s.annotations),
    task: taskSpecIn(s.task),
    mode:
      s.mode === 'global'
        ? { global: {} }
        : s.mode === 'replicated'
          ? { replicated: { replicas: num(s.replicated?.replicas) } }
          : undefined,
    update: updateConfigIn(s.update),
    rollback: updateConfigIn(s.rollback),
    endpoint:
      s.endpoint === null
        ? undefined
        : {
            ports: s.endpoint.ports.map((p) => ({
              name: p.name,
              protocol: PROTOCOLS.toModel(p.protocol),
              targetPort: p.targetPort,
              publishedPort: p.publishedPort,
              publishMode: PUBLISH_MODES.toModel(p.publishMode),
            })),
          },
  };
}

export function nodeSpecFromProto(s: controlpb.NodeSpec__Output | null): NodeSpecInput {
  if (s === null) return {};
  return {
    annotations: annotationsIn(s.annotations),
    desiredRole: NODE_ROLES.toModel(s.desiredRole),
    availability: NODE_AVAILABILITIES.toModel(s.availability),
  };
}

export function clusterSpecFromProto(s: controlpb.ClusterSpec__Output | null): ClusterSpecInput {
  if (s === null) return {};
  return {
    annotations: annotationsIn(s.annotations),
    taskHistoryRetentionLimit: num(s.taskHistoryRetentionLimit),
    dispatcher:
      s.dispatcher === null ? undefined : { heartbeatPeriodMs: num(s.dispatcher.heartbeatPeriodMs) },
    caConfig: s.caConfig === null ? undefined : { nodeCertExpiryMs: num(s.caConfig.nodeCertExpiryMs) },
    raft:
      s.raft === null
        ? undefined
        : {
            snapshotInterval: num(s.raft.snapshotInterval),
            keepOldSnapshots: num(s.raft.keepOldSnapshots),
            logEntriesForSlowFollowers: num(s.raft.logEntriesForSlowFollowers),
          },
    encryption: s.encryption === null ? undefined : { autoLockManagers: s.encryption.autoLockManagers },
  };
}

export function secretSpecFromProto(
  s: controlpb.SecretSpec__Output | controlpb.ConfigSpec__Output | null,
): SecretSpecInput {
  if (s === null) return {};
  return { annotations: annotationsIn(s.annotations), data: s.data };
}

export function networkSpecFromProto(s: controlpb.NetworkSpec__Output | null): NetworkSpecInput {
  if (s === null) return {};
  return {
    annotations: annotationsIn(s.annotations),
    driver: s.driver,
    ipam: s.ipam.map((i) => ({ subnet: i.subnet, gateway: i.gateway })),
    attachable: s.attachable,
  };
}

export function listFilterFromProto(f: controlpb.ListFilters__Output | null): ListFilter {
  if (f === null) return {};
  return { names: f.names, namePrefixes: f.namePrefixes, idPrefixes: f.idPrefixes, labels: f.labels };
}

// ---------------------------------------------------------------- model → responses

function metaOut(m: Meta): controlpb.Meta {
  return { version: { index: m.version }, createdAt: m.createdAt, updatedAt: m.updatedAt };
}

function annotationsOut(a: Annotations): controlpb.Annotations {
  return { name: a.name, labels: { ...a.labels } };
}

function updateConfigOut(u: UpdateConfig): controlpb.UpdateConfig {
  return {
    parallelism: u.parallelism,
    delayMs: u.delayMs,
    failureAction: FAILURE_ACTIONS.toProto(u.failureAction) as controlpb.FailureAction,
    monitorMs: u.monitorMs,
    maxFailureRatio: u.maxFailureRatio,
    order: UPDATE_ORDERS.toProto(u.order) as controlpb.UpdateOrder,
  };
}

function portOut(p: PortConfig): controlpb.PortConfig {
  return {
    name: p.name,
    protocol: PROTOCOLS.toProto(p.protocol) as controlpb.PortProtocol,
    targetPort: p.targetPort,
    publishedPort: p.publishedPort,
    publishMode: PUBLISH_MODES.toProto(p.publishMode) as controlpb.PublishMode,
  };
}

export function taskSpecToProto(t: TaskSpec): controlpb.TaskSpec {
  const c = t.container;
  const h = c.healthcheck;
  return {
    container: {
      image: c.image,
      command: [...c.command],
      args: [...c.args],
      env: [...c.env],
      dir: c.dir,
      user: c.user,
      hostname: c.hostname,
      labels: { ...c.labels },
      mounts: c.mounts.map((m) => ({
        type: MOUNT_TYPES.toProto(m.type) as controlpb.MountType,
        source: m.source,
        target: m.target,
        readOnly: m.readOnly,
      })),
      secrets: c.secrets.map((s) => ({ ...s })),
      configs: c.configs.map((s) => ({ ...s })),
      stopGracePeriodMs: c.stopGracePeriodMs,
      stopSignal: c.stopSignal,
      healthcheck: h === null ? null : { ...h, test: [...h.test] },
      readOnly: c.readOnly,
      capabilityAdd: [...c.capabilityAdd],
      capabilityDrop: [...c.capabilityDrop],
    },
    resources: {
      limits: { ...t.resources.limits },
      reservations: { ...t.resources.reservations },
    },
    restartPolicy: {
      condition: RESTART_CONDITIONS.toProto(t.restartPolicy.condition) as controlpb.RestartCondition,
      ...(t.restartPolicy.delayMs === null ? {} : { delayMs: t.restartPolicy.delayMs }),
      maxAttempts: t.restartPolicy.maxAttempts,
      windowMs: t.restartPolicy.windowMs,
    },
    placement: {
      constraints: [...t.placement.constraints],
      preferences: t.placement.preferences.map((p) => ({ spread: p.spread })),
      maxReplicasPerNode: t.placement.maxReplicasPerNode,
    },
    networks: t.networks.map((n) => ({ target: n.target, aliases: [...n.aliases] })),
    forceUpdate: t.forceUpdate,
  };
}

export function serviceSpecToProto(s: ServiceSpec): controlpb.ServiceSpec {
  return {
    annotations: annotationsOut(s.annotations),
    task: taskSpecToProto(s.task),
    ...('global' in s.mode ? { global: {} } : { replicated: { replicas: s.mode.replicated.replicas } }),
    update: updateConfigOut(s.update),
    rollback: updateConfigOut(s.rollback),
    endpoint: { ports: s.endpoint.ports.map(portOut) },
  };
}

export function serviceToProto(s: Service): controlpb.Service {
  const u = s.updateStatus;
  return {
    id: s.id,
    meta: metaOut(s.meta),
    spec: serviceSpecToProto(s.spec),
    previousSpec: s.previousSpec === null ? null : serviceSpecToProto(s.previousSpec),
    specVersion: s.specVersion,
    updateStatus:
      u === null
        ? null
        : {
            state: UPDATE_STATES.toProto(u.state) as controlpb.UpdateState,
            startedAt: u.startedAt,
            completedAt: u.completedAt,
            message: u.message,
          },
    endpoint: s.endpoint === null ? null : { ports: s.endpoint.ports.map(portOut) },
  };
}

export function nodeToProto(n: Node): controlpb.Node {
  const d = n.description;
  const m = n.managerStatus;
  return {
    id: n.id,
    meta: metaOut(n.meta),
    spec: {
      annotations: annotationsOut(n.spec.annotations),
      desiredRole: NODE_ROLES.toProto(n.spec.desiredRole) as controlpb.NodeRole,
      availability: NODE_AVAILABILITIES.toProto(n.spec.availability) as controlpb.NodeAvailability,
    },
    description:
      d === null
        ? null
        : {
            hostname: d.hostname,
            platform: { ...d.platform },
            resources: { ...d.resources },
            engine: { version: d.engine.version, labels: { ...d.engine.labels } },
          },
    status: {
      state: NODE_STATES.toProto(n.status.state) as controlpb.NodeState,
      message: n.status.message,
      addr: n.status.addr,
    },
    role: NODE_ROLES.toProto(n.role) as controlpb.NodeRole,
    managerStatus:
      m === null
        ? null
        : {
            raftId: m.raftId,
            addr: m.addr,
            leader: m.leader,
            reachability: REACHABILITIES.toProto(m.reachability) as controlpb.Reachability,
          },
  };
}

export function taskToProto(t: Task): controlpb.Task {
  const c = t.status.container;
  return {
    id: t.id,
    meta: metaOut(t.meta),
    serviceId: t.serviceId,
    slot: t.slot,
    nodeId: t.nodeId,
    spec: taskSpecToProto(t.spec),
    specVersion: t.specVersion,
    desiredState: taskStateToProto(t.desiredState) as controlpb.TaskState,
    status: {
      state: taskStateToProto(t.status.state) as controlpb.TaskState,
      timestamp: t.status.timestamp,
      message: t.status.message,
      err: t.status.err,
      container: c === null ? null : { ...c },
      portStatus: t.status.portStatus.map(portOut),
      restarts: t.status.restarts,
    },
    serviceAnnotations: annotationsOut(t.serviceAnnotations),
    schedulingMessage: t.schedulingMessage,
  };
}

export function clusterToProto(c: Cluster): controlpb.Cluster {
  const s = c.spec;
  return {
    id: c.id,
    meta: metaOut(c.meta),
    spec: {
      annotations: annotationsOut(s.annotations),
      taskHistoryRetentionLimit: s.taskHistoryRetentionLimit,
      dispatcher: { ...s.dispatcher },
      caConfig: { ...s.caConfig },
      raft: { ...s.raft },
      encryption: { ...s.encryption },
    },
    joinTokens: { ...c.joinTokens },
    rootCa: { certificate: c.rootCA.certificate },
  };
}

/** A secret, WITHOUT its data (always). */
export function secretToProto(s: Secret): controlpb.Secret {
  return { id: s.id, meta: metaOut(s.meta), spec: { annotations: annotationsOut(s.spec.annotations) } };
}

export function configToProto(c: Config): controlpb.Config {
  return {
    id: c.id,
    meta: metaOut(c.meta),
    spec: { annotations: annotationsOut(c.spec.annotations), data: Buffer.from(c.spec.data) },
  };
}

export function networkToProto(n: Network): controlpb.Network {
  return {
    id: n.id,
    meta: metaOut(n.meta),
    spec: {
      annotations: annotationsOut(n.spec.annotations),
      driver: n.spec.driver,
      ipam: n.spec.ipam.map((i) => ({ ...i })),
      attachable: n.spec.attachable,
    },
  };
}

/** Any stored object, in the WatchObject oneof. */
export function watchObjectToProto(kind: ObjectKind, o: StoreObject): controlpb.WatchObject {
  switch (kind) {
    case 'cluster':
      return { cluster: clusterToProto(o as Cluster) };
    case 'node':
      return { node: nodeToProto(o as Node) };
    case 'service':
      return { service: serviceToProto(o as Service) };
    case 'task':
      return { task: taskToProto(o as Task) };
    case 'secret':
      return { secret: secretToProto(redacted('secret', o) as Secret) };
    case 'config':
      return { config: configToProto(o as Config) };
    case 'network':
      return { network: networkToProto(o as Network) };
  }
}

export function watchEventToProto(e: ControlWatchEvent, includeOld: boolean): controlpb.WatchEvent {
  if (e.action === 'started') return { action: 'WATCH_ACTION_STARTED', version: { index: e.version } };
  return {
    action: WATCH_ACTIONS.toProto(e.action) as controlpb.WatchAction,
    kind: OBJECT_KINDS_PROTO.toProto(e.kind) as controlpb.ObjectKind,
    object: watchObjectToProto(e.kind, e.object),
    oldObject: includeOld && e.old !== null ? watchObjectToProto(e.kind, e.old) : null,
    version: { index: e.version },
  };
}
