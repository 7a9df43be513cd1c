/**
 * The Control API's handlers, over the cluster store and in the model's terms (the gRPC adaptation is in
 * `grpc-handlers.ts`). Reads wait for the injected `linearizableRead()` barrier (ReadIndex on a replicated
 * manager) and then read the local store; writes validate their spec through the `compile*Spec`
 * functions inside the store transaction (so that references are checked against the state they commit
 * on) and go through `store.update()` and its proposer.
 *
 * Object references (`ref`) are what a person types: an id, a name, or a unique id prefix. Updates carry
 * the version the caller read (`meta.version`); a stale one fails with the store's VersionConflictError.
 * Secret data is never returned, by any method.
 */
import {
  type Clock,
  type IdSource,
  type Logger,
  nullLogger,
  randomIdSource,
  systemClock,
} from '../../common/index.js';
import type {
  Cluster,
  Config,
  Network,
  Node,
  NodeAvailability,
  NodeRole,
  ObjectKind,
  Secret,
  Service,
  StoreObject,
  Task,
  TaskState,
} from '../../proto/index.js';
import {
  allOf,
  anyOf,
  type By,
  byDesiredState,
  byIdPrefix,
  byLabels,
  byName,
  byNamePrefix,
  byNodeId,
  byReferencedConfig,
  byReferencedSecret,
  byServiceId,
  type MemoryStore,
  type ObjectOf,
  objectName,
  type ReadTable,
  type ReadTx,
  VersionConflictError,
  type WriteTx,
} from '../store/index.js';
import { ControlWatch, type ControlWatchOptions, redacted } from './control-watch.js';
import {
  ControlApiUnavailableError,
  FailedPreconditionError,
  InvalidRequestError,
  ObjectInUseError,
  ObjectNotFoundError,
} from './errors.js';
import { type JoinTokenGenerator, rootCAJoinTokens } from './join-tokens.js';
import { type ClusterSpecInput, compileClusterSpec } from './validate-cluster.js';
import { compileNetworkSpec, type NetworkSpecInput } from './validate-network.js';
import { compileNodeSpec, type NodeSpecInput } from './validate-node.js';
import {
  type ConfigSpecInput,
  compileConfigSpec,
  compileSecretSpec,
  type SecretSpecInput,
} from './validate-secret.js';
import { compileServiceSpec, type ServiceSpecInput, type SpecReferences } from './validate-service.js';

export interface ControlServiceOptions {
  store: MemoryStore;
  /** Ids of created services, secrets, configs and networks. @default randomIdSource */
  ids?: IdSource;
  /** Measures writes for the logs. @default systemClock */
  clock?: Clock;
  /** @default a logger that drops everything */
  logger?: Logger;
  /**
   * A read barrier awaited before every read and every write: resolves once the local store holds every
   * write committed before the call (the composition root wires it to ReadIndex). It may reject with the
   * replication layer's errors (not the leader, timeout), which reach the client as UNAVAILABLE.
   * @default resolves at once (a single manager, tests)
   */
  linearizableRead?: () => Promise<void>;
  /** Makes join tokens. @default {@link rootCAJoinTokens} over the CSPRNG */
  joinTokens?: JoinTokenGenerator;
  /**
   * The live manager status of a manager node, by its raft id (hex): who leads and who is a member come
   * from raft at read time, not from the store. @default the stored status
   */
  managerStatus?: (
    raftIdHex: string,
  ) => { leader: boolean; reachability: 'unknown' | 'unreachable' | 'reachable' } | null;
}

/** The filters every List shares: each list OR-ed within itself, the lists AND-ed; absent: no filter. */
export interface ListFilter {
  /** Exact names, case-insensitively. */
  names?: readonly string[] | undefined;
  namePrefixes?: readonly string[] | undefined;
  idPrefixes?: readonly string[] | undefined;
  /** Every key set to this value; '' means "set, to any value". */
  labels?: Readonly<Record<string, string>> | undefined;
}

export interface NodeListFilter extends ListFilter {
  roles?: readonly NodeRole[] | undefined;
  availabilities?: readonly NodeAvailability[] | undefined;
}

export interface TaskListFilter extends ListFilter {
  /** Service references (id, name, unique id prefix). */
  serviceIds?: readonly string[] | undefined;
  /** Node references. */
  nodeIds?: readonly string[] | undefined;
  desiredStates?: readonly TaskState[] | undefined;
}

export interface JoinTokens {
  worker: string;
  manager: string;
}

function nonEmpty<T>(v: readonly T[] | undefined): v is readonly T[] {
  return v !== undefined && v.length > 0;
}

/** The store selector of the shared filters. */
function selectorOf(filter: ListFilter): By<ObjectKind> {
  const parts: By<ObjectKind>[] = [];
  if (nonEmpty(filter.names)) parts.push(anyOf(...filter.names.map((n) => byName(n))));
  if (nonEmpty(filter.namePrefixes)) parts.push(anyOf(...filter.namePrefixes.map((n) => byNamePrefix(n))));
  if (nonEmpty(filter.idPrefixes)) parts.push(anyOf(...filter.idPrefixes.map((n) => byIdPrefix(n))));
  const labels = filter.labels ?? {};
  if (Object.keys(labels).length > 0) {
    const wanted: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(labels)) wanted[k] = v === '' ? null : v;
    parts.push(byLabels(wanted));
  }
  return allOf(...parts);
}

function byNameThenId<K extends ObjectKind>(kind: K): (a: ObjectOf<K>, b: ObjectOf<K>) => number {
  return (a, b) => {
    const na = objectName(kind, a);
    const nb = objectName(kind, b);
    return na < nb ? -1 : na > nb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

function compareTasks(a: Task, b: Task): number {
  const sa = a.serviceAnnotations.name;
  const sb = b.serviceAnnotations.name;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.serviceId !== b.serviceId) return a.serviceId < b.serviceId ? -1 : 1;
  if (a.slot !== b.slot) return a.slot - b.slot;
  // Global tasks (slot 0) are kept per node.
  if (a.slot === 0 && a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  if (a.meta.createdAt !== b.meta.createdAt) return b.meta.createdAt - a.meta.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The object `ref` names in `table`. */
function resolveIn<K extends ObjectKind>(table: ReadTable<K>, ref: string, op: string): ObjectOf<K> {
  if (ref === '')
    throw new InvalidRequestError(`${op} ${table.kind}`, `no ${table.kind} id or name was given`);
  const found = table.resolve(ref);
  if (found === undefined) throw new ObjectNotFoundError(op, table.kind, ref);
  return found;
}

/** Optimistic concurrency, checked before the spec so that a stale caller re-reads first. */
function checkVersion(kind: ObjectKind, object: StoreObject, version: number, op: string): void {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new InvalidRequestError(
      `${op} ${kind} "${objectName(kind, object)}"`,
      `the version read is required, got ${version}`,
    );
  if (object.meta.version !== version)
    throw new VersionConflictError(kind, object.id, version, object.meta.version);
}

/** How a spec's references are looked up in a transaction. */
function referencesIn(tx: Pick<ReadTx, 'secrets' | 'configs' | 'networks'>): SpecReferences {
  const named = <K extends 'secret' | 'config'>(table: ReadTable<K>, id: string, name: string) => {
    const o = id !== '' ? table.get(id) : table.find(byName(name))[0];
    return o === undefined ? undefined : { id: o.id, name: o.spec.annotations.name };
  };
  return {
    secret: (id, name) => named(tx.secrets, id, name),
    config: (id, name) => named(tx.configs, id, name),
    network: (target) => {
      const n = tx.networks.get(target) ?? tx.networks.find(byName(target))[0];
      return n === undefined ? undefined : { id: n.id, name: n.spec.annotations.name };
    },
  };
}

/** The cluster (there is one; the oldest if a bug made several). */
function theCluster(tx: Pick<ReadTx, 'clusters'>, op: string): Cluster {
  const all = tx.clusters.find();
  if (all.length === 0) throw new ObjectNotFoundError(op, 'cluster', '');
  all.sort((a, b) => a.meta.createdAt - b.meta.createdAt || (a.id < b.id ? -1 : 1));
  return all[0] as Cluster;
}

export class ControlService {
  readonly #store: MemoryStore;
  readonly #ids: IdSource;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #read: () => Promise<void>;
  readonly #tokens: JoinTokenGenerator;
  readonly #watches = new Set<ControlWatch>();
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  readonly #managerStatus: ControlServiceOptions['managerStatus'] | null;

  constructor(options: ControlServiceOptions) {
    if (typeof options.store?.update !== 'function') throw new TypeError('ControlService needs a store');
    this.#store = options.store;
    this.#ids = options.ids ?? randomIdSource;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? nullLogger).child({ module: 'manager/controlapi' });
    this.#read = options.linearizableRead ?? (() => Promise.resolve());
    this.#tokens = options.joinTokens ?? rootCAJoinTokens();
    this.#managerStatus = options.managerStatus ?? null;
  }

  // ---------------------------------------------------------------- plumbing

  async #begin(what: string): Promise<void> {
    if (this.#stopped) throw new ControlApiUnavailableError(what, 'the Control API is stopped');
    await this.#read();
  }

  /** A linearizable view. */
  async #view<T>(what: string, fn: (tx: ReadTx) => T): Promise<T> {
    await this.#begin(what);
    return this.#store.view(fn);
  }

  /** A write; returns what `fn` returns once applied, and logs `event` with the fields `fn` gave. */
  async #write<T>(what: string, fn: (tx: WriteTx) => T): Promise<T> {
    await this.#begin(what);
    const started = this.#clock.monotonic();
    const result = await this.#store.update(fn);
    this.#log.debug('control write applied', { op: what, durationMs: this.#clock.monotonic() - started });
    return result;
  }

  /** The committed object with this id (after a write). */
  #fetch<K extends ObjectKind>(kind: K, id: string): ObjectOf<K> {
    const o = this.#store.view((tx) => tx.table(kind).get(id));
    if (o === undefined) throw new ObjectNotFoundError('get', kind, id);
    return o;
  }

  // ---------------------------------------------------------------- services

  /**
   * Creates a service from `spec` (validated, defaults filled in); returns it as committed.
   * @throws InvalidSpecError, NameConflictError (the name is taken)
   */
  async createService(spec: ServiceSpecInput): Promise<Service> {
    const id = this.#ids.newId();
    const created = await this.#write('create service', (tx) => {
      const compiled = compileServiceSpec(spec, { refs: referencesIn(tx) });
      return tx.services.create({
        id,
        spec: compiled,
        previousSpec: null,
        specVersion: 1,
        updateStatus: null,
        endpoint: null,
      });
    });
    this.#log.info('service created', { 'service.id': id, 'service.name': created.spec.annotations.name });
    return this.#fetch('service', id);
  }

  /** @throws ObjectNotFoundError, AmbiguousReferenceError */
  async getService(ref: string): Promise<Service> {
    return this.#view('get service', (tx) => resolveIn(tx.services, ref, 'get'));
  }

  /** Services matching `filter`, sorted by name. */
  async listServices(filter: ListFilter = {}): Promise<Service[]> {
    return this.#view('list services', (tx) =>
      tx.services.find(selectorOf(filter)).sort(byNameThenId('service')),
    );
  }

  /**
   * Replaces the spec of the service `ref` (absent parts take their defaults), as read at `version`:
   * bumps `specVersion` and keeps the replaced spec as `previousSpec`. The name and the mode (replicated
   * or global) cannot change. Whether anything changed is the caller's concern.
   * @throws VersionConflictError (stale `version`), InvalidSpecError, ObjectNotFoundError
   */
  async updateService(ref: string, version: number, spec: ServiceSpecInput): Promise<Service> {
    const updated = await this.#write('update service', (tx) => {
      const current = resolveIn(tx.services, ref, 'update');
      checkVersion('service', current, version, 'update');
      const compiled = compileServiceSpec(spec, { refs: referencesIn(tx), current: current.spec });
      return tx.services.update({
        ...current,
        spec: compiled,
        previousSpec: current.spec,
        specVersion: current.specVersion + 1,
      });
    });
    this.#log.info('service updated', { 'service.id': updated.id, specVersion: updated.specVersion });
    return this.#fetch('service', updated.id);
  }

  /** Removes a service (its tasks are shut down by the orchestrator). */
  async removeService(ref: string): Promise<void> {
    const removed = await this.#write('remove service', (tx) =>
      tx.services.delete(resolveIn(tx.services, ref, 'remove').id),
    );
    this.#log.info('service removed', {
      'service.id': removed.id,
      'service.name': removed.spec.annotations.name,
    });
  }

  // ---------------------------------------------------------------- nodes

  async getNode(ref: string): Promise<Node> {
    return this.#withManagerStatus(await this.#view('get node', (tx) => resolveIn(tx.nodes, ref, 'get')));
  }

  #withManagerStatus(n: Node): Node {
    const live = n.managerStatus && this.#managerStatus?.(n.managerStatus.raftId);
    if (!live || !n.managerStatus) return n;
    return { ...n, managerStatus: { ...n.managerStatus, ...live } };
  }

  /** Nodes matching `filter`, sorted by name (hostname when unnamed), then id. */
  async listNodes(filter: NodeListFilter = {}): Promise<Node[]> {
    return this.#view('list nodes', (tx) =>
      tx.nodes
        .find(selectorOf(filter))
        .filter(
          (n) =>
            (!nonEmpty(filter.roles) || filter.roles.includes(n.role)) &&
            (!nonEmpty(filter.availabilities) || filter.availabilities.includes(n.spec.availability)),
        )
        .sort(byNameThenId('node'))
        .map((n) => this.#withManagerStatus(n)),
    );
  }

  /**
   * Replaces a node's spec (availability, desired role, name and labels) as read at `version`; an absent
   * role or availability keeps the current one. Demoting the last manager is refused.
   * @throws VersionConflictError, InvalidSpecError, FailedPreconditionError, ObjectNotFoundError
   */
  async updateNode(ref: string, version: number, spec: NodeSpecInput): Promise<Node> {
    const updated = await this.#write('update node', (tx) => {
      const node = resolveIn(tx.nodes, ref, 'update');
      checkVersion('node', node, version, 'update');
      const name = objectName('node', node);
      const compiled = compileNodeSpec(spec, { current: node.spec, name });
      if (compiled.desiredRole === 'worker' && node.spec.desiredRole === 'manager') {
        const others = tx.nodes.find().filter((n) => n.id !== node.id && n.spec.desiredRole === 'manager');
        if (others.length === 0)
          throw new FailedPreconditionError(`demote node "${name}"`, 'it is the last manager of the cluster');
      }
      return tx.nodes.update({ ...node, spec: compiled });
    });
    this.#log.info('node updated', {
      'node.id': updated.id,
      availability: updated.spec.availability,
      desiredRole: updated.spec.desiredRole,
    });
    return this.#fetch('node', updated.id);
  }

  /**
   * Removes a node from the cluster. Refused for a manager (demote it first) and, unless `force`, for a
   * node that is ready.
   * @throws FailedPreconditionError, ObjectNotFoundError
   */
  async removeNode(ref: string, force = false): Promise<void> {
    const removed = await this.#write('remove node', (tx) => {
      const node = resolveIn(tx.nodes, ref, 'remove');
      const what = `remove node "${objectName('node', node)}"`;
      if (node.role === 'manager' || node.spec.desiredRole === 'manager')
        throw new FailedPreconditionError(what, 'it is a manager; demote it first');
      if (!force && node.status.state === 'ready')
        throw new FailedPreconditionError(
          what,
          'it is ready, not down; stop it first or remove it with force',
        );
      return tx.nodes.delete(node.id);
    });
    this.#log.info('node removed', { 'node.id': removed.id, force });
  }

  // ---------------------------------------------------------------- tasks

  async getTask(ref: string): Promise<Task> {
    return this.#view('get task', (tx) => resolveIn(tx.tasks, ref, 'get'));
  }

  /** Tasks matching `filter`, sorted by service name, slot (node for global services), newest first. */
  async listTasks(filter: TaskListFilter = {}): Promise<Task[]> {
    return this.#view('list tasks', (tx) => {
      const parts: By<'task'>[] = [selectorOf(filter)];
      if (nonEmpty(filter.serviceIds))
        parts.push(
          anyOf(...filter.serviceIds.map((ref) => byServiceId(tx.services.resolve(ref)?.id ?? ref))),
        );
      if (nonEmpty(filter.nodeIds))
        parts.push(anyOf(...filter.nodeIds.map((ref) => byNodeId(tx.nodes.resolve(ref)?.id ?? ref))));
      if (nonEmpty(filter.desiredStates))
        parts.push(anyOf(...filter.desiredStates.map((s) => byDesiredState(s))));
      return tx.tasks.find(allOf(...parts)).sort(compareTasks);
    });
  }

  // ---------------------------------------------------------------- cluster

  async getCluster(ref: string): Promise<Cluster> {
    return this.#view('get cluster', (tx) => resolveIn(tx.clusters, ref, 'get'));
  }

  async listClusters(filter: ListFilter = {}): Promise<Cluster[]> {
    return this.#view('list clusters', (tx) =>
      tx.clusters.find(selectorOf(filter)).sort(byNameThenId('cluster')),
    );
  }

  /**
   * Replaces the cluster's spec (absent parts take their defaults) as read at `version`; the name cannot
   * change.
   * @throws VersionConflictError, InvalidSpecError, ObjectNotFoundError
   */
  async updateCluster(ref: string, version: number, spec: ClusterSpecInput): Promise<Cluster> {
    const updated = await this.#write('update cluster', (tx) => {
      const cluster = resolveIn(tx.clusters, ref, 'update');
      checkVersion('cluster', cluster, version, 'update');
      return tx.clusters.update({ ...cluster, spec: compileClusterSpec(spec, cluster.spec) });
    });
    this.#log.info('cluster updated', { 'cluster.id': updated.id });
    return this.#fetch('cluster', updated.id);
  }

  /** The join tokens of the cluster. */
  async getJoinTokens(): Promise<JoinTokens> {
    return this.#view('get join tokens', (tx) => ({ ...theCluster(tx, 'get join tokens of').joinTokens }));
  }

  /** The managers' unlock key ('' while autolock is off). */
  async getUnlockKey(): Promise<string> {
    return this.#view('get the unlock key', (tx) => theCluster(tx, 'get the unlock key of').unlockKey);
  }

  /** Replaces the join token of `role` with a new one; returns both tokens. */
  async rotateJoinToken(role: NodeRole): Promise<JoinTokens> {
    if (role !== 'worker' && role !== 'manager')
      throw new InvalidRequestError(
        'rotate join token',
        `the role must be worker or manager, got ${String(role)}`,
      );
    const updated = await this.#write('rotate join token', (tx) => {
      const cluster = theCluster(tx, 'rotate join token of');
      const token = this.#tokens(role, cluster);
      return tx.clusters.update({ ...cluster, joinTokens: { ...cluster.joinTokens, [role]: token } });
    });
    this.#log.info('join token rotated', { 'cluster.id': updated.id, role });
    return { ...this.#fetch('cluster', updated.id).joinTokens };
  }

  // ---------------------------------------------------------------- secrets and configs

  /** Creates a secret; returns it without its data. @throws InvalidSpecError, NameConflictError */
  async createSecret(spec: SecretSpecInput): Promise<Secret> {
    const compiled = compileSecretSpec(spec);
    const id = this.#ids.newId();
    await this.#write('create secret', (tx) => tx.secrets.create({ id, spec: compiled }));
    this.#log.info('secret created', { 'secret.id': id, 'secret.name': compiled.annotations.name });
    return redacted('secret', this.#fetch('secret', id)) as Secret;
  }

  /** The secret, without its data. */
  async getSecret(ref: string): Promise<Secret> {
    return this.#view('get secret', (tx) => redacted('secret', resolveIn(tx.secrets, ref, 'get')) as Secret);
  }

  /** Secrets matching `filter`, sorted by name, without their data. */
  async listSecrets(filter: ListFilter = {}): Promise<Secret[]> {
    return this.#view('list secrets', (tx) =>
      tx.secrets
        .find(selectorOf(filter))
        .sort(byNameThenId('secret'))
        .map((s) => redacted('secret', s) as Secret),
    );
  }

  /** Removes a secret no service refers to. @throws ObjectInUseError, ObjectNotFoundError */
  async removeSecret(ref: string): Promise<void> {
    const removed = await this.#write('remove secret', (tx) => {
      const secret = resolveIn(tx.secrets, ref, 'remove');
      const users = tx.services.find(byReferencedSecret(secret.id)).map((s) => s.spec.annotations.name);
      if (users.length > 0)
        throw new ObjectInUseError('secret', secret.spec.annotations.name, secret.id, users.sort());
      return tx.secrets.delete(secret.id);
    });
    this.#log.info('secret removed', { 'secret.id': removed.id });
  }

  /** Creates a config; returns it with its data. @throws InvalidSpecError, NameConflictError */
  async createConfig(spec: ConfigSpecInput): Promise<Config> {
    const compiled = compileConfigSpec(spec);
    const id = this.#ids.newId();
    await this.#write('create config', (tx) => tx.configs.create({ id, spec: compiled }));
    this.#log.info('config created', { 'config.id': id, 'config.name': compiled.annotations.name });
    return this.#fetch('config', id);
  }

  async getConfig(ref: string): Promise<Config> {
    return this.#view('get config', (tx) => resolveIn(tx.configs, ref, 'get'));
  }

  async listConfigs(filter: ListFilter = {}): Promise<Config[]> {
    return this.#view('list configs', (tx) =>
      tx.configs.find(selectorOf(filter)).sort(byNameThenId('config')),
    );
  }

  /** Removes a config no service refers to. @throws ObjectInUseError, ObjectNotFoundError */
  async removeConfig(ref: string): Promise<void> {
    const removed = await this.#write('remove config', (tx) => {
      const config = resolveIn(tx.configs, ref, 'remove');
      const users = tx.services.find(byReferencedConfig(config.id)).map((s) => s.spec.annotations.name);
      if (users.length > 0)
        throw new ObjectInUseError('config', config.spec.annotations.name, config.id, users.sort());
      return tx.configs.delete(config.id);
    });
    this.#log.info('config removed', { 'config.id': removed.id });
  }

  // ---------------------------------------------------------------- networks

  /** @throws InvalidSpecError, NameConflictError */
  async createNetwork(spec: NetworkSpecInput): Promise<Network> {
    const compiled = compileNetworkSpec(spec);
    const id = this.#ids.newId();
    await this.#write('create network', (tx) => tx.networks.create({ id, spec: compiled }));
    this.#log.info('network created', { 'network.id': id, 'network.name': compiled.annotations.name });
    return this.#fetch('network', id);
  }

  async getNetwork(ref: string): Promise<Network> {
    return this.#view('get network', (tx) => resolveIn(tx.networks, ref, 'get'));
  }

  async listNetworks(filter: ListFilter = {}): Promise<Network[]> {
    return this.#view('list networks', (tx) =>
      tx.networks.find(selectorOf(filter)).sort(byNameThenId('network')),
    );
  }

  /** Removes a network no service is attached to. @throws ObjectInUseError, ObjectNotFoundError */
  async removeNetwork(ref: string): Promise<void> {
    const removed = await this.#write('remove network', (tx) => {
      const network = resolveIn(tx.networks, ref, 'remove');
      const users = tx.services
        .find()
        .filter((s) => s.spec.task.networks.some((n) => n.target === network.id))
        .map((s) => s.spec.annotations.name);
      if (users.length > 0)
        throw new ObjectInUseError('network', network.spec.annotations.name, network.id, users.sort());
      return tx.networks.delete(network.id);
    });
    this.#log.info('network removed', { 'network.id': removed.id });
  }

  // ---------------------------------------------------------------- watch

  /**
   * Object events from now on (after a first `started` event); see {@link ControlWatch}. The caller MUST
   * close it when done.
   */
  watch(options: ControlWatchOptions = {}): ControlWatch {
    if (this.#stopped) throw new ControlApiUnavailableError('watch', 'the Control API is stopped');
    const w = new ControlWatch(this.#store, options, (closed) => {
      this.#watches.delete(closed);
      if (this.#watches.size === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
    this.#watches.add(w);
    return w;
  }

  /** The number of watches not closed yet. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Resolves once no watch is open (at once when none is). */
  watchesClosed(): Promise<void> {
    if (this.#watches.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Refuses further calls (UNAVAILABLE) and ends every open watch with a temporary error, so that a gRPC
   * server's graceful shutdown can complete. Idempotent; resolves once every watch was closed.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of [...this.#watches])
      w.fail(new ControlApiUnavailableError('watch', 'the Control API stopped'));
    await this.watchesClosed();
  }
}
