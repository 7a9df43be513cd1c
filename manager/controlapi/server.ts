/**
 * Registration of the Control service on a gRPC server. The composition root creates the server, binds
 * it (the Unix socket `<state-dir>/swarmd.sock` and TCP) and shuts it down; this module only adds the
 * service, either from parts ({@link registerControlService}) or from the host's context in one call
 * ({@link serveControlApi}, which fits the manager's `ManagerService` hook).
 *
 * @example
 * ```ts
 * const control = serveControlApi(ctx, { joinTokens: joinTokenGenerator() }); // manager/ca
 * // on shutdown: await control.stop() (ends the watch streams at once), then server.tryShutdown(...)
 * ```
 */
import type * as grpc from '@grpc/grpc-js';
import type { Clock, IdSource, Logger } from '../../common/index.js';
import { loadGrpcObject } from '../../proto/index.js';
import type { MemoryStore } from '../store/index.js';
import { ControlService, type ControlServiceOptions } from './control-service.js';
import { type ControlHandlersOptions, createControlHandlers } from './grpc-handlers.js';
import type { JoinTokenGenerator } from './join-tokens.js';

/** The `swarmd.control.Control` service definition, as loaded with the project's loader options. */
export function controlServiceDefinition(): grpc.ServiceDefinition {
  return loadGrpcObject('control').swarmd.control.Control.service;
}

/**
 * Adds the Control service, served by `control`, to `server`.
 * @throws Error when the server already has it
 */
export function registerControlService(
  server: grpc.Server,
  control: ControlService,
  options: ControlHandlersOptions = {},
): void {
  server.addService(controlServiceDefinition(), createControlHandlers(control, options));
}

/** What the Control API needs from the process that hosts it (a manager's context has all of it). */
export interface ControlApiHost {
  readonly server: grpc.Server;
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ids: IdSource;
  /** The read barrier (ReadIndex); see `ControlServiceOptions.linearizableRead`. */
  linearizableRead(): Promise<void>;
  /** Who leads (raft id), and the raft members: for the live manager status of nodes. */
  leader?(): { leaderId: bigint | null };
  members?(): readonly { id: bigint }[];
}

export interface ServeControlApiOptions {
  /** @default placeholder tokens over the CSPRNG (join-tokens.ts) */
  joinTokens?: JoinTokenGenerator;
}

/**
 * Builds the {@link ControlService} over `host` and registers it on `host.server`. Returns the service:
 * `stop()` it on shutdown (closing the store also ends its watch streams, with UNAVAILABLE).
 */
/** A manager leads when its raft id is the leader's; it is reachable while it is a member of the configuration. */
function liveManagerStatus(
  leader: () => { leaderId: bigint | null },
  members: () => readonly { id: bigint }[],
): NonNullable<ControlServiceOptions['managerStatus']> {
  return (raftIdHex) => {
    let id: bigint;
    try {
      id = BigInt(`0x${raftIdHex}`);
    } catch {
      return null;
    }
    const member = members().some((m) => m.id === id);
    return { leader: leader().leaderId === id, reachability: member ? 'reachable' : 'unreachable' };
  };
}

export function serveControlApi(host: ControlApiHost, options: ServeControlApiOptions = {}): ControlService {
  const control = new ControlService({
    store: host.store,
    ids: host.ids,
    clock: host.clock,
    logger: host.logger,
    linearizableRead: () => host.linearizableRead(),
    ...(options.joinTokens === undefined ? {} : { joinTokens: options.joinTokens }),
    ...(host.leader && host.members
      ? { managerStatus: liveManagerStatus(host.leader.bind(host), host.members.bind(host)) }
      : {}),
  });
  registerControlService(host.server, control, { logger: host.logger });
  return control;
}
