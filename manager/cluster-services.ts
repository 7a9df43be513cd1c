/**
 * The running cluster on a manager (issue 6): the dispatcher and the log broker served on every manager
 * (answering only while leading), and the leader-only orchestrators and scheduler, each started afresh
 * with every term from the store, which is already current.
 *
 * Node identity: until the cluster port speaks mutual TLS (pki/ and manager/ca are built; wiring them into
 * the one server is the identity issue's remaining step), an agent names its node in the call metadata
 * (`x-swarmd-node-id`) and the dispatcher accepts only nodes that exist in the store. That trusts whoever
 * can reach the cluster port, exactly as the Control API over TCP does today.
 */
import * as grpc from '@grpc/grpc-js';
import { randomSeededRand, SwarmError } from '../common/index.js';
import { loadGrpcObject, type logspb } from '../proto/index.js';
import type { ManagerContext, ManagerService } from './context.js';
import {
  Dispatcher,
  type DispatcherCall,
  type ManagerAddress,
  type NodeIdentity,
} from './dispatcher/index.js';
import { LogBroker } from './logbroker/index.js';
import { Orchestrators } from './orchestrator/index.js';
import { Scheduler } from './scheduler/index.js';

/** The metadata key in which an agent names its node (see the module comment). */
export const NODE_ID_METADATA = 'x-swarmd-node-id';

class NodeIdentityError extends SwarmError {
  constructor(reason: string) {
    super('ERR_DISPATCHER_UNAUTHENTICATED', `Cannot identify the calling node: ${reason}`);
  }
}

/** The node a call comes from: named in its metadata, and known to the store (a removed node is not). */
function callerNode(ctx: ManagerContext, call: DispatcherCall): NodeIdentity {
  const id = call.metadata.get(NODE_ID_METADATA)[0];
  if (typeof id !== 'string' || id === '') throw new NodeIdentityError(`no ${NODE_ID_METADATA} metadata`);
  const node = ctx.store.view((tx) => tx.nodes.get(id));
  return { nodeId: id, role: node?.role ?? 'worker' };
}

/** Every manager with its node id and address, for agents' failover. */
function managerAddresses(ctx: ManagerContext): ManagerAddress[] {
  const members = ctx.members();
  return ctx.store.view((tx) =>
    tx.nodes
      .find()
      .filter((n) => n.managerStatus !== null)
      .flatMap((n) => {
        const m = members.find((x) => x.id.toString(16) === n.managerStatus?.raftId);
        const addr = m?.address ?? n.managerStatus?.addr ?? '';
        return addr === '' ? [] : [{ nodeId: n.id, addr }];
      }),
  );
}

/** The dispatcher, the log broker, the orchestrators and the scheduler of a manager. */
export function serveRunningCluster(): ManagerService {
  return (ctx) => {
    const dispatcher = new Dispatcher({
      store: ctx.store,
      clock: ctx.clock,
      logger: ctx.logger,
      rand: randomSeededRand(),
      authenticate: (call) => callerNode(ctx, call),
      managers: () => managerAddresses(ctx),
    });
    dispatcher.register(ctx.server);
    ctx.runWhileLeader('dispatcher', (signal) => dispatcher.run(signal));

    let leaderClient: { addr: string; client: logspb.LogsClient } | null = null;
    const { Logs } = loadGrpcObject('logs').swarmd.logs;
    const broker = new LogBroker({
      store: ctx.store,
      ids: ctx.ids,
      logger: ctx.logger,
      isLeader: () => ctx.leader().isLeader,
      leaderClient: () => {
        const addr = ctx.leader().address;
        if (addr === null) return null;
        if (leaderClient?.addr !== addr) {
          leaderClient?.client.close();
          leaderClient = { addr, client: new Logs(addr, grpc.credentials.createInsecure()) };
        }
        return leaderClient.client;
      },
      authenticateNode: (call) => callerNode(ctx, call).nodeId,
      // The Control API's callers may read logs (the local socket, and TCP until mutual TLS).
      authorizeSubscriber: () => {},
    });
    broker.register(ctx.server);
    ctx.runWhileLeader('logbroker', (signal) => {
      signal.addEventListener('abort', () => broker.closeAll(), { once: true });
    });

    ctx.runWhileLeader('orchestrators', (signal) =>
      new Orchestrators({ store: ctx.store, clock: ctx.clock, logger: ctx.logger, ids: ctx.ids }).run(signal),
    );
    ctx.runWhileLeader('scheduler', (signal) =>
      new Scheduler({ store: ctx.store, clock: ctx.clock, logger: ctx.logger }).run(signal),
    );
  };
}
