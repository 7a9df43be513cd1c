/**
 * @module manager/dispatcher — the leader's dispatcher (proto/dispatcher.proto): agents' sessions and
 * heartbeats, node liveness (ready / down), assignment sets streamed as COMPLETE then INCREMENTAL
 * messages, and task status written back in batches. See README.md.
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher({ store, clock, logger, rand, authenticate, managers });
 * dispatcher.register(ctx.server);
 * ctx.runWhileLeader('dispatcher', (signal) => dispatcher.run(signal));
 * ```
 */
export { Dispatcher } from './dispatcher.js';
export type { ManagerAddress, SessionEndReason } from './errors.js';
export {
  DISPATCHER_STATUS_BY_CODE,
  DispatcherError,
  dispatcherErrorToStatus,
  InvalidRequestError,
  NodeRemovedError,
  NotLeaderError,
  SessionUnknownError,
  UnauthenticatedError,
} from './errors.js';
export type {
  Authenticator,
  CompiledDispatcherOptions,
  DispatcherCall,
  DispatcherMetrics,
  DispatcherOptions,
  NodeIdentity,
} from './options.js';
export { compileDispatcherOptions } from './options.js';
