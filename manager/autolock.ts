/**
 * Autolock (swarmkit's design/raft_encryption.md): each manager seals its Raft data at rest with its own
 * data key (replication/encryption); with `spec.encryption.autoLockManagers` on, that key is itself sealed
 * under the cluster's unlock key, which is kept in the Cluster object (replicated to the managers only), so
 * a manager's disk alone does not open its data and a restarted manager waits for `swarmd unlock`.
 *
 * Two loops: the leader makes the unlock key exist exactly while autolock is on; every manager re-seals
 * its data key whenever the cluster's unlock key changes.
 */
import { errorMessage, type Logger } from '../common/index.js';
import type { Cluster } from '../proto/index.js';
import { generateUnlockKey, rewrapDataKey } from './replication/index.js';
import type { MemoryStore } from './store/index.js';

/** Runs `onCluster` with the Cluster object now and after every change, until `signal` aborts. */
async function followCluster(
  store: MemoryStore,
  clusterId: string,
  signal: AbortSignal,
  onCluster: (c: Cluster) => Promise<void>,
): Promise<void> {
  const { result, watcher } = store.viewAndWatch((tx) => tx.clusters.get(clusterId), { kinds: ['cluster'] });
  const stop = (): void => watcher.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    if (result !== undefined) await onCluster(result);
    for await (const e of watcher) {
      if (signal.aborted) return;
      if (e.action === 'commit' || e.action === 'restore') {
        const c = store.view((tx) => tx.clusters.get(clusterId));
        if (c !== undefined) await onCluster(c);
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
    watcher.close();
  }
}

/** Leader-only: a new unlock key when autolock is turned on, none once it is off. */
export async function keepUnlockKey(options: {
  store: MemoryStore;
  clusterId: string;
  signal: AbortSignal;
  randomBytes: (n: number) => Uint8Array;
  logger: Logger;
}): Promise<void> {
  const { store, clusterId, logger } = options;
  await followCluster(store, clusterId, options.signal, async (c) => {
    const on = c.spec.encryption.autoLockManagers;
    if (on === (c.unlockKey !== '')) return;
    try {
      await store.update((tx) => {
        const now = tx.clusters.get(clusterId);
        if (now === undefined || now.spec.encryption.autoLockManagers === (now.unlockKey !== '')) return;
        tx.clusters.update({
          ...now,
          unlockKey: now.spec.encryption.autoLockManagers ? generateUnlockKey(options.randomBytes) : '',
        });
      });
      logger.info(on ? 'autolock on: made an unlock key' : 'autolock off: dropped the unlock key');
    } catch (err) {
      // A conflicting write: the next commit brings the cluster back here.
      logger.warn('cannot update the unlock key yet', { err: errorMessage(err) });
    }
  });
}

/**
 * Every manager: its data key (`<raft dir>/dek.json`) sealed under the cluster's unlock key, or stored
 * plain when there is none, following every change of the key.
 */
export async function followUnlockKey(options: {
  store: MemoryStore;
  clusterId: string;
  raftDir: string;
  dataKey: Uint8Array;
  /** The key the data key is sealed under now ('' for none). */
  sealedUnder: string;
  signal: AbortSignal;
  logger: Logger;
}): Promise<void> {
  let applied = options.sealedUnder;
  await followCluster(options.store, options.clusterId, options.signal, async (c) => {
    if (c.unlockKey === applied) return;
    try {
      await rewrapDataKey(options.raftDir, options.dataKey, c.unlockKey === '' ? null : c.unlockKey);
      applied = c.unlockKey;
      options.logger.info(
        c.unlockKey === '' ? 'data key stored unsealed' : 'data key sealed under the unlock key',
      );
    } catch (err) {
      options.logger.error('cannot re-seal the data key', { err: errorMessage(err) });
    }
  });
}
