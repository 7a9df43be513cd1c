/**
 * The Membership service (proto/manager.proto): joining and leaving the managers, served by any manager
 * (a follower relays the call to the leader, once), carried out by the leader:
 *
 * Join: ReadIndex (the leader's store is current) → the token against the Cluster object's manager token
 * (a wrong token changes nothing) → a fresh raft id (never a member, never removed, on no Node object) →
 * `addLearner(id, advertiseAddr)` → the joiner's Node object → the members. The joiner then starts raft
 * with them; the leader-only {@link promoteLearners} task promotes each learner to voter once it has
 * caught up with the log (a new leader finishes what an old one started). Conf changes from this service
 * and the promoter go one at a time (raft allows one pending change).
 *
 * Leave: removes a node's raft member (its id is never reused) and deletes its Node object.
 */
import type { Clock, Logger } from '../common/index.js';
import { isId } from '../common/index.js';
import { joinTokenMatches } from '../pki/index.js';
import type { managerpb, Node } from '../proto/index.js';
import { isUnspecifiedHost, parseAddress } from './address.js';
import { minimalDescription, newManagerNode } from './cluster-objects.js';
import { ClusterNotReadyError, JoinRefusedError, NodeNotFoundError } from './errors.js';
import { FORWARDED_KEY, toStatus } from './grpc-status.js';
import type { LeaderRouter } from './leader-router.js';
import type { PeerClients } from './peer-clients.js';
import type { MemberStatus, ReplicatedNode } from './replication/index.js';
import { NotLeaderError } from './replication/index.js';
import type { ApplyResult, MemoryStore } from './store/index.js';

export interface MembershipServiceOptions {
  readonly node: ReplicatedNode<ApplyResult>;
  readonly store: MemoryStore;
  readonly router: LeaderRouter;
  readonly peers: PeerClients;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly clusterId: string;
  /** A ReadIndex barrier on this manager (it leads when called): see read-barrier.ts. */
  readonly read: () => Promise<void>;
  readonly newRaftId: () => bigint;
  readonly newNodeId: () => string;
  readonly connectTimeoutMs: number;
  /** The deadline of a relayed call. */
  readonly callTimeoutMs: number;
  /** How often the promoter looks at the learners. */
  readonly promoteEveryMs: number;
}

/** The members as the Join answer lists them. */
export function memberList(members: readonly MemberStatus[]): managerpb.RaftMember[] {
  return members
    .filter((m) => m.address !== null)
    .map((m) => ({ raftId: m.id.toString(), address: m.address as string, role: m.role }));
}

function raftIdOf(n: Node): bigint | null {
  const hex = n.managerStatus?.raftId;
  return typeof hex === 'string' && /^[0-9a-f]{1,16}$/.test(hex) ? BigInt(`0x${hex}`) : null;
}

export class MembershipService {
  readonly #o: MembershipServiceOptions;
  readonly #log: Logger;
  /** Conf changes made here, one at a time. */
  #confLock: Promise<unknown> = Promise.resolve();

  constructor(options: MembershipServiceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'manager/membership' });
  }

  handlers(): managerpb.MembershipHandlers {
    return {
      Join: (call, callback) => {
        const relayed = call.metadata.get(FORWARDED_KEY).length > 0;
        this.join(call.request, relayed).then(
          (res) => callback(null, res),
          (err: unknown) => {
            this.#log.info('join refused', { err, 'peer.address': call.request.advertiseAddr });
            callback(toStatus(err));
          },
        );
      },
      Leave: (call, callback) => {
        const relayed = call.metadata.get(FORWARDED_KEY).length > 0;
        this.leave(call.request.nodeId, relayed).then(
          () => callback(null, {}),
          (err: unknown) => callback(toStatus(err)),
        );
      },
    };
  }

  /** Joins a manager (on the leader; a follower relays to it unless `relayed`). */
  join(req: managerpb.JoinRequest__Output, relayed = false): Promise<managerpb.JoinResponse> {
    return this.#onLeader(
      'join the cluster',
      relayed,
      () => this.#join(req),
      async (address) => {
        const client = this.#o.peers.membership(address);
        return this.#o.peers.call<managerpb.JoinResponse__Output>(
          client,
          address,
          (md, opts, cb) => client.Join(req, md, opts, cb),
          {
            what: 'join the cluster through the leader',
            connectTimeoutMs: this.#o.connectTimeoutMs,
            timeoutMs: this.#o.callTimeoutMs,
            forwarded: true,
          },
        );
      },
    );
  }

  /** Removes node `nodeId` from the managers (on the leader; a follower relays unless `relayed`). */
  async leave(nodeId: string, relayed = false): Promise<void> {
    await this.#onLeader(
      'remove the manager',
      relayed,
      () => this.#leave(nodeId),
      async (address) => {
        const client = this.#o.peers.membership(address);
        await this.#o.peers.call<managerpb.LeaveResponse__Output>(
          client,
          address,
          (md, opts, cb) => client.Leave({ nodeId }, md, opts, cb),
          {
            what: 'remove the manager through the leader',
            connectTimeoutMs: this.#o.connectTimeoutMs,
            timeoutMs: this.#o.callTimeoutMs,
            forwarded: true,
          },
        );
      },
    );
  }

  #onLeader<T>(
    what: string,
    relayed: boolean,
    local: () => Promise<T>,
    remote: (address: string) => Promise<T>,
  ): Promise<T> {
    if (!relayed) return this.#o.router.route(what, local, remote);
    // A relayed call is never relayed again: no loops between managers with different views.
    if (!this.#o.node.isLeader()) {
      const info = this.#o.node.leader();
      return Promise.reject(new NotLeaderError(what, info.leaderId, info.leaderAddress));
    }
    return local();
  }

  /** Runs conf changes one at a time. */
  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#confLock.then(fn, fn);
    this.#confLock = run.catch(() => {});
    return run;
  }

  async #join(req: managerpb.JoinRequest__Output): Promise<managerpb.JoinResponse> {
    const { node, store, clusterId } = this.#o;
    let address: string;
    try {
      const hp = parseAddress(req.advertiseAddr);
      if (isUnspecifiedHost(hp.host))
        throw new TypeError(`host must be an address others can reach, not ${hp.host}`);
      address = req.advertiseAddr;
    } catch (err) {
      throw new JoinRefusedError('request', `advertise address: ${(err as Error).message}`);
    }
    if (req.nodeId !== '' && !isId(req.nodeId))
      throw new JoinRefusedError('request', `node id "${req.nodeId}" is not a 25-character base36 id`);
    await this.#o.read();
    const cluster = store.view((tx) => tx.clusters.get(clusterId));
    if (cluster === undefined) throw new ClusterNotReadyError('join the cluster');
    if (!joinTokenMatches(cluster.joinTokens.manager, req.token)) {
      if (joinTokenMatches(cluster.joinTokens.worker, req.token))
        throw new JoinRefusedError(
          'worker-token',
          'this is the worker join token: a worker joins with `swarmd join` and runs only an agent; use the manager token to join as a manager',
        );
      throw new JoinRefusedError(
        'token',
        'the join token is not valid for this cluster (print the manager token on a manager with `swarmctl join-token manager`)',
      );
    }
    return this.#serialized(async () => {
      const st = node.status();
      const found = req.nodeId === '' ? undefined : store.view((tx) => tx.nodes.get(req.nodeId));
      // The CA made this node's Node object when it issued its manager certificate: it becomes a raft
      // member now.
      const issued = found !== undefined && found.role === 'manager' && found.managerStatus === null;
      const existing = issued ? undefined : found;
      if (existing !== undefined) {
        const rid = raftIdOf(existing);
        const member = st.members.find((m) => m.id === rid);
        // A retried join whose answer was lost: the learner it got is still waiting for it.
        if (rid !== null && member?.role === 'learner' && member.address === address) {
          this.#log.info('join retried: answering with the same raft id', { 'node.id': existing.id });
          return this.#answer(rid, existing.id);
        }
        throw new JoinRefusedError('member', `node ${existing.id} is already in this cluster`);
      }
      const taken = st.members.find((m) => m.address === address);
      if (taken?.role === 'voter')
        throw new JoinRefusedError(
          'member',
          `${address} is already the address of manager ${taken.id.toString(16)}`,
        );
      if (taken !== undefined) {
        // A learner at this address never came up (its joiner died before recording the answer, and
        // retried): it does not count in quorums, so it is replaced. Its id is never reused.
        await node.removeMember(taken.id);
        await store.update((tx) => {
          for (const n of tx.nodes.find()) if (raftIdOf(n) === taken.id) tx.nodes.delete(n.id);
        });
        this.#log.warn('replaced a learner that never came up at this address', {
          'raft.member': taken.id.toString(16),
          'peer.address': address,
        });
      }
      const used = new Set<bigint>([...st.members.map((m) => m.id), ...st.removedIds]);
      for (const n of store.view((tx) => tx.nodes.find())) {
        const rid = raftIdOf(n);
        if (rid !== null) used.add(rid);
      }
      let raftId = this.#o.newRaftId();
      while (raftId === 0n || used.has(raftId)) raftId = this.#o.newRaftId();
      const nodeId = req.nodeId === '' ? this.#o.newNodeId() : req.nodeId;
      await node.addLearner(raftId, address);
      try {
        await store.update((tx) => {
          const made = newManagerNode({
            id: nodeId,
            raftId,
            advertiseAddr: address,
            description: minimalDescription(req.hostname),
            self: false,
          });
          const current = tx.nodes.get(nodeId);
          if (current === undefined) tx.nodes.create(made);
          else tx.nodes.update({ ...current, managerStatus: made.managerStatus, status: made.status });
        });
      } catch (err) {
        // Take the learner back (best effort): a join either happens whole or not at all.
        await node.removeMember(raftId).catch(() => {});
        throw err;
      }
      this.#log.info('manager joined as a learner', {
        'node.id': nodeId,
        'raft.member': raftId.toString(16),
        'peer.address': address,
        hostname: req.hostname,
      });
      return this.#answer(raftId, nodeId);
    });
  }

  #answer(raftId: bigint, nodeId: string): managerpb.JoinResponse {
    return {
      raftId: raftId.toString(),
      nodeId,
      clusterId: this.#o.clusterId,
      members: memberList(this.#o.node.status().members),
    };
  }

  async #leave(nodeId: string): Promise<void> {
    const { node, store } = this.#o;
    await this.#o.read();
    const n = store.view((tx) => tx.nodes.get(nodeId));
    if (n === undefined) throw new NodeNotFoundError('remove the manager', nodeId);
    const rid = raftIdOf(n);
    await this.#serialized(async () => {
      if (rid !== null && node.status().members.some((m) => m.id === rid)) await node.removeMember(rid);
    });
    await store.update((tx) => {
      if (tx.nodes.get(nodeId) !== undefined) tx.nodes.delete(nodeId);
    });
    this.#log.info('manager left', { 'node.id': nodeId, 'raft.member': rid?.toString(16) ?? null });
  }

  /**
   * Leader-only task: promotes each learner once its log reached the commit index of the moment this
   * leader first saw it (a caught-up learner can vote without slowing the quorum).
   */
  async promoteLearners(signal: AbortSignal): Promise<void> {
    const { node, clock } = this.#o;
    const targets = new Map<bigint, number>();
    while (!signal.aborted) {
      const st = node.status();
      if (st.isLeader)
        for (const m of st.members) {
          if (m.role !== 'learner') continue;
          let target = targets.get(m.id);
          if (target === undefined) {
            target = st.commit;
            targets.set(m.id, target);
          }
          if (m.match === null || m.match < target) continue;
          try {
            await this.#serialized(() => node.promoteMember(m.id));
            targets.delete(m.id);
            this.#log.info('promoted learner to voter', { 'raft.member': m.id.toString(16) });
          } catch (err) {
            this.#log.debug('promotion failed, will retry', { err, 'raft.member': m.id.toString(16) });
          }
        }
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(done, this.#o.promoteEveryMs);
        function done(): void {
          timer.cancel();
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done);
      });
    }
  }
}
