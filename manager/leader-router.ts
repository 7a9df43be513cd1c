/**
 * "Any manager answers": runs a request on the leader, wherever this manager stands. On the leader it runs
 * the local function; on a follower the remote one, against the leader's address. When the attempt says
 * the request was certainly NOT carried out because leadership moved (not the leader, a dropped proposal,
 * the leader unreachable before anything was sent), it waits for the next leader and tries again. All the
 * waiting of one request is bounded by `leaderWaitMs` (5 s by default); then it fails with
 * {@link NoLeaderError} (temporary: gRPC UNAVAILABLE at the API edge).
 */
import type { Clock, Logger, Timer } from '../common/index.js';
import { errorMessage } from '../common/index.js';
import { LeaderUnreachableError, NO_LEADER, NoLeaderError, RemoteError } from './errors.js';
import type { LeaderInfo, ReplicationEvent } from './replication/index.js';
import { NotLeaderError, ProposalDroppedError, StoppedError } from './replication/index.js';

/** What the router needs of the replicated node. */
export interface LeaderSource {
  leader(): LeaderInfo;
  subscribe(listener: (event: ReplicationEvent) => void): () => void;
}

export interface LeaderRouterOptions {
  readonly node: LeaderSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The longest a request waits for a leader, in total. */
  readonly leaderWaitMs: number;
  /** The pause before retrying when the leader answered that it moved (unless a new leader shows first). */
  readonly retryDelayMs: number;
}

/** Drop reasons after which the same request may go to the (next) leader. */
const RETRY_DROPS = new Set(['superseded', 'transferring-leadership', 'conf-change-pending', 'not-a-member']);
const RETRY_REMOTE = new Set([
  'ERR_REPLICATION_NOT_LEADER',
  'ERR_MANAGER_NO_LEADER',
  'ERR_MANAGER_LEADER_UNREACHABLE',
  'ERR_MANAGER_NOT_IMPLEMENTED',
]);

/** True when `err` says the request was not carried out because of where leadership stands. */
export function leadershipMoved(err: unknown): boolean {
  if (err instanceof NotLeaderError || err instanceof LeaderUnreachableError) return true;
  if (err instanceof ProposalDroppedError) return RETRY_DROPS.has(err.reason);
  if (err instanceof RemoteError && err.outcome === 'not-done') {
    if (RETRY_REMOTE.has(err.code)) return true;
    if (err.code === 'ERR_REPLICATION_PROPOSAL_DROPPED')
      return RETRY_DROPS.has(String(err.fields.reason ?? ''));
  }
  return false;
}

const knowsLeader = (l: LeaderInfo): boolean =>
  l.isLeader || (l.leaderId !== null && l.leaderAddress !== null);

export class LeaderRouter {
  readonly #o: LeaderRouterOptions;
  /** Waits in progress: stop() ends them. */
  readonly #waits = new Set<() => void>();
  #stopped = false;

  constructor(options: LeaderRouterOptions) {
    this.#o = options;
  }

  /**
   * Runs `local()` on the leader or `remote(leaderAddress)` on a follower, retrying while leadership moves.
   * With `remote` null, `local()` runs on any member once a leader is known (a ReadIndex: raft itself
   * asks the leader).
   * @throws NoLeaderError when no leader took the request within `leaderWaitMs` of waiting
   * @throws StoppedError once the router is stopped
   * @throws whatever `local`/`remote` throw otherwise
   */
  async route<T>(
    what: string,
    local: () => Promise<T>,
    remote: ((leaderAddress: string) => Promise<T>) | null,
  ): Promise<T> {
    const { clock, node, leaderWaitMs } = this.#o;
    const deadline = clock.monotonic() + leaderWaitMs;
    let last: unknown = null;
    for (;;) {
      if (this.#stopped) throw new StoppedError(what);
      const info = node.leader();
      if (knowsLeader(info)) {
        try {
          return info.isLeader || remote === null
            ? await local()
            : await remote(info.leaderAddress as string);
        } catch (err) {
          if (!leadershipMoved(err)) throw err;
          last = err;
          this.#o.logger.debug('leadership moved, retrying', { what, err });
        }
        await this.#wait(deadline, (l) => knowsLeader(l) && l.leaderId !== info.leaderId, true);
      } else {
        await this.#wait(deadline, knowsLeader, false);
      }
      if (this.#stopped) throw new StoppedError(what);
      if (clock.monotonic() >= deadline && !(last === null && knowsLeader(node.leader())))
        throw new NoLeaderError(
          what,
          leaderWaitMs,
          last instanceof LeaderUnreachableError
            ? `the leader at ${last.address} does not answer`
            : last === null
              ? NO_LEADER
              : `no leader took it (${errorMessage(last)})`,
          { cause: last ?? undefined },
        );
    }
  }

  /**
   * Resolves when a leader event satisfies `until`, or after `retryDelayMs` when `pause`, or at the
   * deadline, whichever is first.
   */
  #wait(deadline: number, until: (l: LeaderInfo) => boolean, pause: boolean): Promise<void> {
    const { clock, node } = this.#o;
    if (!pause && until(node.leader())) return Promise.resolve();
    const left = Math.max(0, deadline - clock.monotonic());
    const ms = pause ? Math.min(left, this.#o.retryDelayMs) : left;
    return new Promise<void>((resolve) => {
      let timer: Timer | null = null;
      let unsubscribe: (() => void) | null = null;
      const done = (): void => {
        timer?.cancel();
        unsubscribe?.();
        this.#waits.delete(done);
        resolve();
      };
      this.#waits.add(done);
      unsubscribe = node.subscribe((e) => {
        if (e.kind === 'leader' && until(e)) done();
        if (e.kind === 'removed') done();
      });
      timer = clock.setTimeout(done, ms);
    });
  }

  /** Ends the waits in progress (their requests fail with StoppedError) and refuses new requests. */
  stop(): void {
    this.#stopped = true;
    for (const done of [...this.#waits]) done();
  }
}
