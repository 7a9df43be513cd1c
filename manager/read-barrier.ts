/**
 * A ReadIndex that survives lost messages. Raft's read request and its answers travel like any message and
 * may be dropped (a peer stream still connecting after a restart, a leader change); the driver then times
 * the read out only after its request timeout. A read is idempotent, so the barrier asks again every
 * `retryEveryMs` while the earlier asks are still out, and the first answer wins.
 */
import type { Clock, Timer } from '../common/index.js';
import { ReplicationTimeoutError } from './replication/index.js';

/**
 * Resolves once one of the `readIndex()` calls resolved. Rejects at once with an error other than a
 * timeout (not the leader, stopped: the caller decides), or with the timeout once every ask timed out.
 */
export function readBarrier(
  readIndex: () => Promise<number>,
  clock: Clock,
  retryEveryMs: number,
  asks: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = 0;
    let left = asks;
    let done = false;
    let timer: Timer | null = null;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      timer?.cancel();
      if (err === undefined) resolve();
      else reject(err);
    };
    const ask = (): void => {
      out++;
      left--;
      readIndex().then(
        () => finish(),
        (err: unknown) => {
          out--;
          if (!(err instanceof ReplicationTimeoutError)) finish(err);
          else if (out === 0 && left === 0) finish(err);
        },
      );
      if (left > 0)
        timer = clock.setTimeout(() => {
          if (!done) ask();
        }, retryEveryMs);
    };
    ask();
  });
}
