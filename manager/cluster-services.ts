/**
 * The running cluster on a manager (issue 6): the dispatcher and the log broker served on every manager
 * (answering only while leading), and the leader-only orchestrators and scheduler, each started afresh
 * with every term from the store, which is already current. Callers are nodes named by their certificates
 * (the server's interceptor already refused the roles that may not call, manager/cluster-authz.ts).
 */
import { randomSeededRand } from '../common/index.js';
import { UnauthenticatedError } from '../pki/index.js';
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

/** The node a call comes from, by its certificate; a local-socket caller is no node. */
function callerNode(ctx: ManagerContext, call: DispatcherCall): NodeIdentity {
  const peer = ctx.caller(call);
  if (peer === null)
    throw new UnauthenticatedError(call.getPath(), 'only a node with its certificate may call it');
  return { nodeId: peer.nodeId, role: peer.role };
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

/**
 * A leader hears every follower at each Raft tick (100 ms): a manager silent for this long is down or cut
 * off, and so is the agent of its host.
 */
const RAFT_SILENCE_MS = 3000;

/** Whether the node is a manager whose Raft member has been silent to this (leading) manager. */
function raftSilent(ctx: ManagerContext, nodeId: string): boolean {
  const raftId = ctx.store.view((tx) => tx.nodes.get(nodeId))?.managerStatus?.raftId;
  if (raftId === undefined || raftId === '') return false;
  const member = ctx.members().find((m) => m.id.toString(16) === raftId);
  return member?.silentMs != null && member.silentMs > RAFT_SILENCE_MS;
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
      metrics: ctx.metrics.dispatcher,
      unreachable: (nodeId) => raftSilent(ctx, nodeId),
    });
    ctx.metrics.bind({ dispatcherSessions: () => dispatcher.sessionCount });
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
          leaderClient = { addr, client: new Logs(addr, ctx.dial.credentials, ctx.dial.options) };
        }
        return leaderClient.client;
      },
      authenticateNode: (call) => callerNode(ctx, call).nodeId,
      // Only managers (and the local socket) reach SubscribeLogs: the interceptor checked the role.
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
      new Scheduler({
        store: ctx.store,
        clock: ctx.clock,
        logger: ctx.logger,
        onPlaced: ctx.metrics.placed,
      }).run(signal),
    );
  };
}
