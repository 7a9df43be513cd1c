/**
 * The manager's composition root (design.md §2): one gRPC server on the cluster port and on
 * `<state-dir>/swarmd.sock`, the replicated store (MemoryStore as raft's state machine, proposing through
 * {@link ReplicatedProposer}), the Membership and Forwarding services, the registered services (the
 * Control API) and the leader-only work. See README.md in this folder.
 */
import { chmod, lstat, mkdir, rm, stat } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { errorCode, IllegalStateError, type Logger } from '../common/index.js';
import {
  CLIENT_CHANNEL_OPTIONS,
  generateJoinToken,
  loadNodeCredentials,
  type NodeCredentials,
  type NodeServerCredentials,
  parseNodeCertificate,
  type RenewableClientCredentials,
  renewableClientCredentials,
  serverCredentials,
} from '../pki/index.js';
import type { Cluster, managerpb, ObjectKind } from '../proto/index.js';
import { loadGrpcObject } from '../proto/index.js';
import { bindHost, formatAddress, isUnspecifiedHost, parseAddress } from './address.js';
import { followUnlockKey, keepUnlockKey } from './autolock.js';
import { registerCAServices } from './ca/index.js';
import { type ClusterAuthz, callerIdentity, clusterAuthzInterceptor } from './cluster-authz.js';
import { minimalDescription, newCluster, newManagerNode } from './cluster-objects.js';
import type { ManagerContext, ManagerLeaderInfo } from './context.js';
import { ListenFailedError, ManagerError, StateDirError } from './errors.js';
import { LeaderRouter } from './leader-router.js';
import { Leadership } from './leadership.js';
import { MembershipService } from './membership-service.js';
import { ManagerMetrics } from './metrics.js';
import {
  createFounderCredentials,
  dropFounderRootCAKey,
  joinWithToken,
  loadManagerCredentials,
  readFounderRootCAKey,
} from './node-identity.js';
import { type NodeState, readNodeState, writeNodeState } from './node-state.js';
import { type CompiledManagerOptions, compileManagerOptions, type ManagerOptions } from './options.js';
import { PeerClients } from './peer-clients.js';
import { readBarrier } from './read-barrier.js';
import { forwardingHandlers, ReplicatedProposer } from './replicated-proposer.js';
import { loadOrCreateDataKey, ReplicatedNode, readDataKeyState } from './replication/index.js';
import type { ApplyResult } from './store/index.js';
import { MemoryStore } from './store/index.js';
import { StoreStateMachine } from './store-state-machine.js';

const MiB = 1024 * 1024;
const SOCKET_FILE = 'swarmd.sock';
const RAFT_DIR = 'raft';

export type ManagerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** A manager at a glance (the daemon's /healthz). */
export interface ManagerStatus {
  readonly state: ManagerState;
  readonly nodeId: string | null;
  readonly clusterId: string | null;
  /** hex */
  readonly raftId: string | null;
  readonly advertiseAddr: string | null;
  readonly listenAddr: string | null;
  readonly socketPath: string | null;
  readonly isLeader: boolean;
  /** hex, null during an election */
  readonly leaderId: string | null;
  readonly leaderAddr: string | null;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly members: readonly { raftId: string; address: string | null; role: 'voter' | 'learner' }[];
  /** The store's version (the raft index of its last applied entry) and its objects, by kind. */
  readonly store: { readonly version: number; readonly objects: Readonly<Record<ObjectKind, number>> } | null;
}

function randomRaftId(randomBytes: (n: number) => Uint8Array): bigint {
  for (;;) {
    const b = randomBytes(8);
    const id = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (id !== 0n) return id;
  }
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** True when something accepts connections on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A manager of the cluster.
 *
 * @example
 * ```ts
 * const m = new Manager({ stateDir, mode: 'init', listenAddr: '0.0.0.0:4242', services: [controlApi] });
 * const done = m.run(); // resolves after stop(); rejects with what stopped it
 * await m.whenStarted();
 * const cluster = await m.waitForCluster(10_000); // its join tokens
 * await m.stop();
 * ```
 */
export class Manager {
  readonly #o: CompiledManagerOptions;
  readonly #log: Logger;
  #state: ManagerState = 'new';
  #identity: NodeState | null = null;
  #created = false;
  #listenAddr: string | null = null;
  #socketPath: string | null = null;
  #server: grpc.Server | null = null;
  #store: MemoryStore | null = null;
  #sm: StoreStateMachine | null = null;
  #node: ReplicatedNode<ApplyResult> | null = null;
  #router: LeaderRouter | null = null;
  #membership: MembershipService | null = null;
  #peers: PeerClients | null = null;
  #credentials: NodeCredentials | null = null;
  #serverCredentials: NodeServerCredentials | null = null;
  #clientTls: RenewableClientCredentials | null = null;
  /** Aborted when the manager stops: ends the loops every manager runs (not only the leader). */
  readonly #lifetime = new AbortController();
  #leadership: Leadership;
  #context: ManagerContext | null = null;
  readonly #metrics: ManagerMetrics;
  #unsubscribe: (() => void) | null = null;
  #fatal: unknown = null;
  #running: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  readonly #started: Promise<void>;
  #startedSettle!: { resolve(): void; reject(err: unknown): void };
  #stopped!: () => void;
  readonly #stoppedPromise: Promise<void>;

  /** @throws RangeError, TypeError for invalid options */
  constructor(options: ManagerOptions) {
    this.#o = compileManagerOptions(options);
    this.#log = this.#o.logger.child({ module: 'manager' });
    this.#leadership = new Leadership(this.#log);
    this.#metrics = new ManagerMetrics(this.#o.registry);
    this.#metrics.bind({
      store: () => (this.#state === 'running' ? this.#store : null),
      raft: () => {
        const st = this.#node?.status() ?? null;
        if (st === null) return null;
        const { term, isLeader, commit, applied } = st;
        return { term, isLeader, commit, applied, leaderKnown: st.leaderId !== null };
      },
    });
    this.#started = new Promise<void>((resolve, reject) => {
      this.#startedSettle = { resolve, reject };
    });
    this.#started.catch(() => {});
    this.#stoppedPromise = new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
  }

  get state(): ManagerState {
    return this.#state;
  }

  /** The node's identity (after start). @throws IllegalStateError before */
  get identity(): NodeState {
    if (this.#identity === null)
      throw new IllegalStateError('Cannot read the identity: the manager has not started');
    return this.#identity;
  }

  /** Whether this run created the node (a new cluster, a join), rather than resumed it. */
  get created(): boolean {
    return this.#created;
  }

  /** The store (after start). @throws IllegalStateError before */
  get store(): MemoryStore {
    if (this.#store === null)
      throw new IllegalStateError('Cannot read the store: the manager has not started');
    return this.#store;
  }

  /** What services get (after start). @throws IllegalStateError before */
  get context(): ManagerContext {
    if (this.#context === null)
      throw new IllegalStateError('Cannot read the context: the manager has not started');
    return this.#context;
  }

  /** This node's certificates (after start): what its agent and swarmctl --host present. */
  get credentials(): NodeCredentials {
    if (this.#credentials === null)
      throw new IllegalStateError('Cannot read the credentials: the manager has not started');
    return this.#credentials;
  }

  /**
   * The client credentials of this manager's channels to the others (its agent may dial with them too):
   * one set, so that a renewal updates every channel. @throws IllegalStateError before start
   */
  get clientTls(): RenewableClientCredentials {
    if (this.#clientTls === null)
      throw new IllegalStateError('Cannot read the client credentials: the manager has not started');
    return this.#clientTls;
  }

  /**
   * Serves and dials with renewed credentials from now on (a renewal: same node, same cluster); open
   * connections keep theirs.
   */
  useCredentials(creds: NodeCredentials): void {
    this.#serverCredentials?.update(creds);
    this.#clientTls?.update(creds);
    this.#credentials = creds;
  }

  /** The path of the Unix socket, or null without one (or before start). */
  get socketPath(): string | null {
    return this.#socketPath;
  }

  /**
   * Starts the manager (see {@link ManagerOptions.mode}) and runs until {@link stop}. Resolves once
   * stopped; rejects with what failed at start (a wrong join token, a state dir that cannot be used, a
   * port in use) or with the fatal error that stopped it (a damaged WAL).
   * @throws IllegalStateError when called twice
   */
  run(): Promise<void> {
    if (this.#running !== null)
      return Promise.reject(new IllegalStateError('Cannot run the manager: already run'));
    this.#running = this.#run();
    return this.#running;
  }

  /** Resolves once the manager serves; rejects with what stopped it first. */
  whenStarted(): Promise<void> {
    return this.#started;
  }

  async #run(): Promise<void> {
    this.#state = 'starting';
    try {
      await this.#start();
    } catch (err) {
      this.#fatal = err;
      this.#log.error('manager failed to start', { err });
      this.#startedSettle.reject(err);
      await this.stop();
      throw err;
    }
    if (this.#stopping !== null) {
      this.#startedSettle.reject(new IllegalStateError('Cannot start the manager: stopped while starting'));
    } else {
      this.#state = 'running';
      this.#startedSettle.resolve();
      this.#log.info('manager running', {
        'node.id': this.identity.nodeId,
        'cluster.id': this.identity.clusterId,
        'raft.id': this.identity.raftId.toString(16),
        address: this.identity.advertiseAddr,
        'listen.address': this.#listenAddr,
        socket: this.#socketPath,
      });
    }
    await this.#stoppedPromise;
    if (this.#fatal !== null) throw this.#fatal;
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const dir = o.stateDir;
    if (o.mode === 'run') {
      const st = await stat(dir).catch(() => null);
      if (st === null || !st.isDirectory()) throw new StateDirError(dir, 'it does not exist');
    } else {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const existing = await readNodeState(dir);
    if (existing !== null && o.mode === 'join')
      throw new StateDirError(
        dir,
        `it already belongs to cluster ${existing.clusterId} (node ${existing.nodeId}); resume it with "swarmd run --state-dir ${dir}", or join with an empty state dir`,
      );
    if (existing === null && o.mode === 'run')
      throw new StateDirError(
        dir,
        'it holds no swarmd node (no node.json): create one with "swarmd init" or "swarmd join"',
      );
    if (existing !== null && o.advertiseAddr !== null && o.advertiseAddr !== existing.advertiseAddr)
      throw new StateDirError(
        dir,
        `its node advertises ${existing.advertiseAddr}, recorded in the cluster membership: the advertise address cannot change (got ${o.advertiseAddr})`,
      );
    const socketPath = join(dir, SOCKET_FILE);
    if (o.socket) await this.#claimSocket(dir, socketPath);

    // 0. The certificates: on disk, or a new root CA (init), or from the cluster's CA (join).
    const { creds, fresh } = await this.#credentialsFor(dir, existing);
    this.#credentials = creds;
    const cert = parseNodeCertificate(creds.certPem);
    // One set of client credentials for every channel to the other managers, updated by a renewal.
    const tls = renewableClientCredentials({ ...creds, clusterId: cert.clusterId });
    this.#clientTls = tls;
    this.#peers = new PeerClients(o.clock, tls.credentials, CLIENT_CHANNEL_OPTIONS);

    // 1. The one server: the cluster port first (a joiner needs its port before it asks to join). TLS on
    // the port; every call is checked against the callers' roles (cluster-authz.ts).
    const authz: ClusterAuthz = {
      rootCAPem: () => creds.rootCAPem,
      clusterId: () => cert.clusterId,
      nodeExists: (id) => this.#store === null || this.#store.view((tx) => tx.nodes.get(id) !== undefined),
      clock: o.clock,
      logger: o.logger,
    };
    const server = new grpc.Server({
      'grpc.max_receive_message_length': 64 * MiB,
      'grpc.max_send_message_length': 64 * MiB,
      interceptors: [clusterAuthzInterceptor(authz)],
    });
    this.#server = server;
    const listen = parseAddress(o.listenAddr ?? existing?.listenAddr ?? '0.0.0.0:4242', {
      allowEmptyHost: true,
      allowPortZero: true,
    });
    const host = bindHost(listen.host);
    let port: number;
    try {
      this.#serverCredentials = serverCredentials(creds);
      port = await bind(server, formatAddress(host, listen.port), this.#serverCredentials);
    } catch (err) {
      throw new ListenFailedError(formatAddress(host, listen.port), { cause: err });
    }
    this.#listenAddr = formatAddress(host, port);
    const advertiseAddr = existing?.advertiseAddr ?? o.advertiseAddr ?? this.#defaultAdvertise(host, port);

    // 2. The identity: new cluster, joined cluster, or the one on disk.
    const identity =
      existing ??
      (o.mode === 'join' ? await this.#join(advertiseAddr, fresh) : this.#newCluster(advertiseAddr, fresh));
    if (existing === null || existing.listenAddr !== this.#listenAddr) {
      // A new node, or one told to listen elsewhere from now on.
      await writeNodeState(dir, { ...identity, listenAddr: this.#listenAddr });
      this.#created = existing === null;
    }
    this.#identity = { ...identity, listenAddr: this.#listenAddr };

    // 3. The Unix socket, private to the owner.
    if (o.socket) {
      try {
        await bind(server, `unix:${socketPath}`, grpc.ServerCredentials.createInsecure());
      } catch (err) {
        throw new ListenFailedError(`unix:${socketPath}`, { cause: err });
      }
      await chmod(socketPath, 0o600);
      this.#socketPath = socketPath;
    }

    // 4. Store, state machine, raft, routing.
    const proposerRef: { p: ReplicatedProposer | null } = { p: null };
    const store = new MemoryStore({
      proposer: { propose: (actions) => (proposerRef.p as ReplicatedProposer).propose(actions) },
      clock: o.clock,
      logger: o.logger,
    });
    this.#store = store;
    const sm = new StoreStateMachine(store, o.clock);
    this.#sm = sm;
    // Raft's data is sealed at rest with this manager's data key, itself sealed under the cluster's
    // unlock key while autolock is on (autolock.ts): without the key, a locked manager stops here.
    const raftDir = join(dir, RAFT_DIR);
    await mkdir(raftDir, { recursive: true, mode: 0o700 });
    const sealedUnder = (await readDataKeyState(raftDir)) === 'locked' ? (o.unlockKey ?? '') : '';
    const dataKey = await loadOrCreateDataKey(raftDir, { unlockKey: o.unlockKey, logger: o.logger });
    const node = new ReplicatedNode<ApplyResult>({
      id: identity.raftId,
      dir: raftDir,
      storage: { dataKey },
      listenAddress: advertiseAddr,
      stateMachine: sm,
      members: identity.peers,
      join: identity.joined,
      ...o.raft,
      transport: {
        server,
        channelCredentials: tls.credentials,
        channelOptions: CLIENT_CHANNEL_OPTIONS,
      },
      logger: o.logger,
      clock: o.clock,
      rand: o.rand,
      metrics: this.#metrics.replication,
    });
    this.#node = node;
    const router = new LeaderRouter({
      node,
      clock: o.clock,
      logger: this.#log,
      leaderWaitMs: o.leaderWaitMs,
      retryDelayMs: o.raft.tickMs,
    });
    this.#router = router;
    const forwardTimeoutMs = o.raft.requestTimeoutMs + 5000;
    proposerRef.p = new ReplicatedProposer({
      node,
      stateMachine: sm,
      router,
      peers: this.#peers,
      logger: this.#log,
      forwardTimeoutMs,
      connectTimeoutMs: Math.min(1000, o.leaderWaitMs),
      applyWaitMs: o.raft.requestTimeoutMs,
    });

    // 5. Services: membership and forwarding, then the registered ones; leader-only work.
    const membership = new MembershipService({
      node,
      store,
      router,
      peers: this.#peers,
      clock: o.clock,
      logger: o.logger,
      clusterId: identity.clusterId,
      read: () => this.#localRead(node),
      newRaftId: () => randomRaftId(o.randomBytes),
      newNodeId: () => o.ids.newId(),
      connectTimeoutMs: Math.min(1000, o.leaderWaitMs),
      callTimeoutMs: forwardTimeoutMs,
      promoteEveryMs: 2 * o.raft.tickMs,
    });
    this.#membership = membership;
    const { Membership, Forwarding } = loadGrpcObject('manager').swarmd.manager;
    server.addService(Membership.service, membership.handlers());
    server.addService(Forwarding.service, forwardingHandlers(node, this.#log));
    // The CA on every manager: joining nodes ask any of them (writes reach the leader).
    registerCAServices(server, { store, clock: o.clock, ids: o.ids, logger: o.logger });
    const ctx = this.#makeContext(server, store, node, identity, authz);
    this.#context = ctx;
    this.#leadership.add('cluster-objects', (signal) => this.#ensureClusterObjects(signal));
    this.#leadership.add('promote-learners', (signal) => membership.promoteLearners(signal));
    this.#leadership.add('unlock-key', (signal) =>
      keepUnlockKey({
        store,
        clusterId: identity.clusterId,
        signal,
        randomBytes: o.randomBytes,
        logger: this.#log,
      }),
    );
    void followUnlockKey({
      store,
      clusterId: identity.clusterId,
      raftDir,
      dataKey,
      sealedUnder,
      signal: this.#lifetime.signal,
      logger: this.#log,
    });
    for (const register of o.services) register(ctx);

    // 6. Raft.
    this.#unsubscribe = node.subscribe((e) => {
      if (e.kind === 'leader') this.#leadership.update(e.isLeader, e.term);
      else {
        this.#log.warn('this manager was removed from the cluster: stopping');
        void this.stop();
      }
    });
    node.run().then(
      () => {},
      (err: unknown) => {
        this.#fatal ??= err;
        this.#log.error('replicated node failed: stopping the manager', { err });
        void this.stop();
      },
    );
    await node.whenStarted();
    void this.#markSelfReady(node);
  }

  /**
   * A manager that joined was written into the store as `unknown` by the leader: once it runs, it marks
   * its own Node object ready (through the store, so on a follower the write goes to the leader). Retries
   * until it succeeds or the manager stops.
   */
  async #markSelfReady(node: ReplicatedNode<ApplyResult>): Promise<void> {
    const id = this.identity;
    while (this.#stopping === null) {
      try {
        await this.#localRead(node);
        if (this.#stopping !== null) return;
        const self = this.store.view((tx) => tx.nodes.get(id.nodeId));
        if (self !== undefined && self.status.state === 'ready') return;
        if (self !== undefined) {
          await this.store.update((tx) => {
            const current = tx.nodes.get(id.nodeId);
            if (current === undefined || current.status.state === 'ready') return;
            tx.nodes.update({ ...current, status: { ...current.status, state: 'ready', message: '' } });
          });
          this.#log.info('marked this manager ready', { 'node.id': id.nodeId });
          return;
        }
      } catch (err) {
        if (this.#stopping !== null) return;
        this.#log.debug('cannot mark this manager ready yet, retrying', { err });
      }
      await this.#o.clock.sleep(this.#o.raft.tickMs * 5);
    }
  }

  /** Refuses a state dir another swarmd serves; removes a stale socket left by a crash. */
  async #claimSocket(dir: string, path: string): Promise<void> {
    if (Buffer.byteLength(path) > 107)
      throw new StateDirError(
        dir,
        `the socket path ${path} is longer than the 107 bytes a Unix socket allows`,
      );
    const st = await lstat(path).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return null;
      throw err;
    });
    if (st === null) return;
    if (!st.isSocket()) throw new StateDirError(dir, `${path} exists and is not a socket`);
    if (await socketAnswers(path)) throw new StateDirError(dir, `another swarmd serves it (${path} answers)`);
    await rm(path, { force: true });
  }

  #defaultAdvertise(host: string, port: number): string {
    if (!isUnspecifiedHost(host)) return formatAddress(host, port);
    const picked = this.#o.defaultAdvertiseHost();
    if (picked === null)
      throw new ManagerError(
        'ERR_MANAGER_ADVERTISE_ADDR',
        'Cannot pick an address to advertise: the listen address is every interface and this host has no non-loopback IPv4 address; give the advertise address (--advertise-addr HOST:PORT)',
      );
    return formatAddress(picked, port);
  }

  /**
   * This node's certificates and, for a node made now, the ids they name: loaded (resume, or a join
   * retried after the CA answered), created with a new root CA (init), or issued by the cluster's CA
   * for the manager token (join).
   */
  async #credentialsFor(
    dir: string,
    existing: NodeState | null,
  ): Promise<{ creds: NodeCredentials; fresh: { nodeId: string; clusterId: string } }> {
    const o = this.#o;
    if (existing !== null) {
      const creds = await loadManagerCredentials(dir);
      return { creds, fresh: { nodeId: existing.nodeId, clusterId: existing.clusterId } };
    }
    const saved = o.mode === 'join' ? await loadNodeCredentials(dir) : null;
    if (saved !== null) {
      const c = parseNodeCertificate(saved.certPem);
      return { creds: saved, fresh: { nodeId: c.nodeId, clusterId: c.clusterId } };
    }
    if (o.mode === 'join') {
      const joined = await joinWithToken(dir, {
        address: o.joinAddr as string,
        token: o.joinToken as string,
        hostname: o.hostname,
        role: 'manager',
        timeoutMs: o.connectTimeoutMs,
      });
      return { creds: joined.creds, fresh: { nodeId: joined.nodeId, clusterId: joined.clusterId } };
    }
    const fresh = { nodeId: o.ids.newId(), clusterId: o.ids.newId() };
    return { creds: await createFounderCredentials(dir, fresh, o.clock.now()), fresh };
  }

  #newCluster(advertiseAddr: string, ids: { nodeId: string; clusterId: string }): NodeState {
    const o = this.#o;
    const raftId = randomRaftId(o.randomBytes);
    return {
      nodeId: ids.nodeId,
      raftId,
      clusterId: ids.clusterId,
      role: 'manager',
      listenAddr: '',
      advertiseAddr,
      joined: false,
      peers: [{ id: raftId, address: advertiseAddr }],
      createdAt: o.clock.now(),
    };
  }

  async #join(advertiseAddr: string, ids: { nodeId: string }): Promise<NodeState> {
    const o = this.#o;
    const address = o.joinAddr as string;
    const nodeId = ids.nodeId;
    const peers = this.#peers as PeerClients;
    const client = peers.membership(address);
    this.#log.info('joining the cluster', { 'peer.address': address, address: advertiseAddr });
    const req = { token: o.joinToken as string, advertiseAddr, nodeId, hostname: o.hostname };
    const res = await peers.call<managerpb.JoinResponse__Output>(
      client,
      address,
      (md, opts, cb) => client.Join(req, md, opts, cb),
      {
        what: 'join the cluster',
        connectTimeoutMs: o.connectTimeoutMs,
        timeoutMs: o.raft.requestTimeoutMs * 2 + 10_000,
      },
    );
    return {
      nodeId: res.nodeId,
      raftId: BigInt(res.raftId),
      clusterId: res.clusterId,
      role: 'manager',
      listenAddr: '',
      advertiseAddr,
      joined: true,
      peers: res.members.map((m) => ({ id: BigInt(m.raftId), address: m.address })),
      createdAt: o.clock.now(),
    };
  }

  #makeContext(
    server: grpc.Server,
    store: MemoryStore,
    node: ReplicatedNode<ApplyResult>,
    identity: NodeState,
    authz: ClusterAuthz,
  ): ManagerContext {
    const o = this.#o;
    return {
      server,
      store,
      clock: o.clock,
      logger: o.logger,
      ids: o.ids,
      nodeId: identity.nodeId,
      raftId: identity.raftId,
      clusterId: identity.clusterId,
      metrics: this.#metrics,
      linearizableRead: () => this.linearizableRead(),
      leader: (): ManagerLeaderInfo => {
        const l = node.leader();
        return { isLeader: l.isLeader, leaderId: l.leaderId, address: l.leaderAddress, term: l.term };
      },
      members: () => node.status().members,
      runWhileLeader: (name, task) => this.#leadership.add(name, task),
      caller: (call) => callerIdentity(authz, call),
      dial: {
        credentials: (this.#clientTls as RenewableClientCredentials).credentials,
        options: CLIENT_CHANNEL_OPTIONS,
      },
    };
  }

  /**
   * Removes this manager from the cluster (through the leader: its raft member, never to be reused, and
   * its Node object), then stops it. A removed follower may never apply its own removal (the leader stops
   * replicating to it), so the one that leaves stops itself here.
   * @throws (rejects) NoLeaderError, MembershipError (the last manager cannot leave), ...
   */
  async leave(): Promise<void> {
    const membership = this.#membership;
    if (membership === null || this.#identity === null)
      throw new IllegalStateError('Cannot leave: the manager has not started');
    await membership.leave(this.#identity.nodeId);
    await this.stop();
  }

  /** See {@link ManagerContext.linearizableRead}. */
  async linearizableRead(): Promise<void> {
    const node = this.#node;
    const router = this.#router;
    if (node === null || router === null)
      throw new IllegalStateError('Cannot read: the manager has not started');
    await router.route('read', () => this.#localRead(node), null);
  }

  /** A ReadIndex here, asked again every election timeout up to the request timeout (a lost ask is never answered). */
  #localRead(node: ReplicatedNode<ApplyResult>): Promise<void> {
    const every = this.#o.raft.tickMs * this.#o.raft.electionTicks;
    const asks = Math.max(1, Math.floor(this.#o.raft.requestTimeoutMs / every));
    return readBarrier(() => node.readIndex(), this.#o.clock, every, asks);
  }

  /** Leader task: the Cluster object and this manager's Node object, created when missing. */
  async #ensureClusterObjects(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const store = this.store;
    const id = this.identity;
    const node = this.#node as ReplicatedNode<ApplyResult>;
    while (!signal.aborted) {
      try {
        await this.#localRead(node);
        if (signal.aborted) return;
        const missing = store.view((tx) => ({
          cluster: tx.clusters.get(id.clusterId) === undefined,
          node: tx.nodes.get(id.nodeId) === undefined,
        }));
        if (!missing.cluster && !missing.node) {
          // The replicated Cluster object holds the root CA key now.
          await dropFounderRootCAKey(o.stateDir);
          return;
        }
        const rootCA = missing.cluster ? await this.#founderRootCA() : null;
        await store.update((tx) => {
          if (tx.clusters.get(id.clusterId) === undefined && rootCA !== null)
            tx.clusters.create(
              newCluster(id.clusterId, rootCA, {
                worker: generateJoinToken(rootCA.certificate, o.randomBytes),
                manager: generateJoinToken(rootCA.certificate, o.randomBytes),
              }),
            );
          if (tx.nodes.get(id.nodeId) === undefined)
            tx.nodes.create(
              newManagerNode({
                id: id.nodeId,
                raftId: id.raftId,
                advertiseAddr: id.advertiseAddr,
                description: minimalDescription(o.hostname),
                self: true,
              }),
            );
        });
        this.#log.info('created the cluster objects', { 'cluster.id': id.clusterId, 'node.id': id.nodeId });
        await dropFounderRootCAKey(o.stateDir);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn('cannot create the cluster objects yet, retrying', { err });
        await o.clock.sleep(o.raft.tickMs * 5);
      }
    }
  }

  /**
   * The root CA to write into a new Cluster object: the founder's, from its certificates folder.
   * @throws ManagerError on a manager that does not hold the key (only the founder creates the cluster)
   */
  async #founderRootCA(): Promise<{ certificate: string; key: string }> {
    const key = await readFounderRootCAKey(this.#o.stateDir);
    if (key === null)
      throw new ManagerError(
        'ERR_MANAGER_NO_ROOT_CA_KEY',
        'Cannot create the Cluster object: this manager does not hold the root CA key (only the founder does)',
      );
    return { certificate: this.credentials.rootCAPem, key };
  }

  /** The Cluster object as this manager's store has it, or null. */
  cluster(): Cluster | null {
    const id = this.#identity;
    if (id === null || this.#store === null) return null;
    return this.#store.view((tx) => tx.clusters.get(id.clusterId)) ?? null;
  }

  /**
   * Resolves with the Cluster object once this manager's store has it (a new cluster: once the first
   * leader created it).
   * @throws (rejects) ManagerError after `timeoutMs`, or when the manager stops first
   */
  waitForCluster(timeoutMs: number): Promise<Cluster> {
    const store = this.store;
    const id = this.identity.clusterId;
    const { result, watcher } = store.viewAndWatch((tx) => tx.clusters.get(id), { kinds: ['cluster'] });
    if (result !== undefined) {
      watcher.close();
      return Promise.resolve(result);
    }
    return new Promise<Cluster>((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        watcher.close();
        reject(
          new ManagerError(
            'ERR_MANAGER_TIMEOUT',
            `Cannot read the cluster: not created within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      void (async () => {
        try {
          for await (const e of watcher)
            if (e.kind === 'cluster' && e.object.id === id) {
              timer.cancel();
              watcher.close();
              resolve(e.object);
              return;
            }
          timer.cancel();
          reject(new ManagerError('ERR_MANAGER_STOPPED', 'Cannot read the cluster: the manager stopped'));
        } catch (err) {
          timer.cancel();
          reject(err);
        }
      })();
    });
  }

  status(): ManagerStatus {
    const id = this.#identity;
    const st = this.#node?.status() ?? null;
    return {
      state: this.#state,
      nodeId: id?.nodeId ?? null,
      clusterId: id?.clusterId ?? null,
      raftId: id?.raftId.toString(16) ?? null,
      advertiseAddr: id?.advertiseAddr ?? null,
      listenAddr: this.#listenAddr,
      socketPath: this.#socketPath,
      isLeader: st?.isLeader ?? false,
      leaderId: st?.leaderId?.toString(16) ?? null,
      leaderAddr: st?.leaderAddress ?? null,
      term: st?.term ?? 0,
      commit: st?.commit ?? 0,
      applied: st?.applied ?? 0,
      members: (st?.members ?? []).map((m) => ({
        raftId: m.id.toString(16),
        address: m.address,
        role: m.role,
      })),
      store: this.#storeSummary(),
    };
  }

  #storeSummary(): ManagerStatus['store'] {
    const store = this.#store;
    if (store === null || this.#state !== 'running') return null;
    return store.view((tx) => ({
      version: store.version,
      objects: {
        cluster: tx.clusters.count(),
        node: tx.nodes.count(),
        service: tx.services.count(),
        task: tx.tasks.count(),
        secret: tx.secrets.count(),
        config: tx.configs.count(),
        network: tx.networks.count(),
      },
    }));
  }

  /**
   * Stops the leader-only work, raft, the store and the server (calls in flight get a moment to finish),
   * and removes the socket. Idempotent; resolves once everything is closed.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'starting') await this.#started.catch(() => {});
    if (this.#state !== 'new') this.#state = 'stopping';
    this.#lifetime.abort();
    await this.#leadership.stop();
    this.#router?.stop();
    this.#unsubscribe?.();
    await this.#node?.stop().catch(() => {});
    this.#sm?.close();
    this.#store?.close();
    this.#peers?.close();
    const server = this.#server;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        const force = this.#o.clock.setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          force.cancel();
          resolve();
        });
      });
    }
    if (this.#socketPath !== null) await rm(this.#socketPath, { force: true });
    this.#state = this.#fatal === null ? 'stopped' : 'failed';
    this.#log.info('manager stopped');
    this.#stopped();
  }
}
