import type { Clock, IdSource, Logger, Rand } from '../../common/index.js';
import type { MemoryStore } from '../store/index.js';

/** What every orchestrator component is built from (injected: tests pass fakes and seeds). */
export interface OrchestratorDeps {
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ids of the tasks the orchestrators create. */
  readonly ids: IdSource;
  /** Not drawn from yet; accepted so that the composition root wires every component alike. */
  readonly rand?: Rand;
}
