/**
 * What the replicated node counts, for the composition root to export (Prometheus in swarmd). The node
 * only calls these hooks; it knows nothing of the metrics library, so tests and simulations run without.
 */
export interface ReplicationMetrics {
  /** A proposal of this member (the leader) was applied. */
  proposalCommitted(): void;
  /** A proposal of this member failed: refused, dropped, superseded by a new leader or timed out. */
  proposalFailed(): void;
  /** This member learnt of a new leader (another than the last it knew). */
  leaderChanged(): void;
  /** A Ready's entries and hard state were written and fdatasynced in this many seconds. */
  walSynced(seconds: number): void;
  /** A snapshot of the state machine was saved. */
  snapshotSaved(): void;
}

export const NO_REPLICATION_METRICS: ReplicationMetrics = {
  proposalCommitted() {},
  proposalFailed() {},
  leaderChanged() {},
  walSynced() {},
  snapshotSaved() {},
};
