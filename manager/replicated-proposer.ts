/**
 * The store's {@link Proposer} over raft, and the Forwarding service that serves it on the leader.
 *
 * Forwarding happens HERE, generically, for every store write, rather than per Control API call: on the
 * leader a transaction is proposed directly (`node.propose(encodeStoreActions(actions))`); on a follower
 * the encoded actions go to the leader's `Forwarding.ForwardProposal`, which proposes them and answers
 * with the entry's index once applied there; the follower then waits until its own store applied that
 * index and resolves with its own apply result (so `update()` reads its own write on the follower). The
 * transaction's checks ran against the follower's state, and apply re-checks everything against the
 * leader's order of entries, so a follower that was behind gets the same conflict errors as a concurrent
 * writer would. While leadership moves the router retries (bounded wait, then NoLeaderError).
 */
import type { Logger } from '../common/index.js';
import type { managerpb } from '../proto/index.js';
import { toStatus } from './grpc-status.js';
import type { LeaderRouter } from './leader-router.js';
import type { PeerClients } from './peer-clients.js';
import type { ReplicatedNode } from './replication/index.js';
import { NotLeaderError } from './replication/index.js';
import type { ApplyResult, Proposer, StoreAction } from './store/index.js';
import { encodeStoreActions, StoreError } from './store/index.js';
import type { StoreStateMachine } from './store-state-machine.js';

export interface ReplicatedProposerOptions {
  readonly node: ReplicatedNode<ApplyResult>;
  readonly stateMachine: StoreStateMachine;
  readonly router: LeaderRouter;
  readonly peers: PeerClients;
  readonly logger: Logger;
  /** How long a forwarded proposal may take on the leader (its request timeout plus a margin). */
  readonly forwardTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** How long a follower waits for its own store to apply an entry the leader applied. */
  readonly applyWaitMs: number;
}

export class ReplicatedProposer implements Proposer {
  readonly #o: ReplicatedProposerOptions;

  constructor(options: ReplicatedProposerOptions) {
    this.#o = options;
  }

  propose(actions: readonly StoreAction[]): Promise<ApplyResult> {
    const data = encodeStoreActions(actions);
    const { node, router, peers } = this.#o;
    return router.route(
      'propose',
      () => node.propose(data),
      async (address) => {
        const client = peers.forwarding(address);
        const answer = await peers.call<managerpb.ForwardProposalResponse__Output>(
          client,
          address,
          (md, opts, cb) => client.ForwardProposal({ actions: data }, md, opts, cb),
          {
            what: 'forward the proposal to the leader',
            connectTimeoutMs: this.#o.connectTimeoutMs,
            timeoutMs: this.#o.forwardTimeoutMs,
          },
        );
        return this.#localResult(answer);
      },
    );
  }

  /** This manager's result for the entry the leader applied (or, when unknown here, the leader's). */
  async #localResult(answer: managerpb.ForwardProposalResponse__Output): Promise<ApplyResult> {
    const index = Number(answer.index);
    const local = await this.#o.stateMachine.waitApplied(index, this.#o.applyWaitMs);
    if (local !== null && local.ok === !answer.refused) return local;
    if (local === null)
      this.#o.logger.debug('forwarded entry not applied here in time: using the leader answer', {
        'raft.index': index,
      });
    return answer.refused
      ? { ok: false, version: index, error: new StoreError(answer.errorCode, answer.errorMessage) }
      : { ok: true, version: index };
  }
}

/**
 * The Forwarding service (served by every manager, answered only by the leader): proposes a follower's
 * encoded transaction and answers once it is applied here. A follower answers NotLeader (never relays).
 */
export function forwardingHandlers(
  node: ReplicatedNode<ApplyResult>,
  logger: Logger,
): managerpb.ForwardingHandlers {
  return {
    ForwardProposal: (call, callback) => {
      if (!node.isLeader()) {
        const info = node.leader();
        callback(toStatus(new NotLeaderError('propose', info.leaderId, info.leaderAddress)));
        return;
      }
      node.propose(call.request.actions).then(
        (result) =>
          callback(null, {
            index: result.version,
            refused: !result.ok,
            errorCode: result.ok ? '' : result.error.code,
            errorMessage: result.ok ? '' : result.error.message,
          }),
        (err: unknown) => {
          if (!(err instanceof NotLeaderError))
            logger.debug('forwarded proposal failed', { err, peer: call.getPeer() });
          callback(toStatus(err));
        },
      );
    },
  };
}
