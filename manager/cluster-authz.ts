/**
 * Who may call what on the cluster port (design.md §1, swarmkit's `tls_authorization`): ONE server
 * interceptor checks every call against the table below before any handler runs, so no service can
 * forget it. The cluster port speaks only TLS; a call without TLS can only have come through the Unix
 * socket (`swarmd.sock`, 0600, root's), whose caller is the host's administrator and may call anything.
 */
import * as grpc from '@grpc/grpc-js';
import { type Clock, errorToStatus, type Logger } from '../common/index.js';
import { authorize, type PeerIdentity, PermissionDeniedError, peerIdentity } from '../pki/index.js';
import type { NodeRole } from '../proto/index.js';

/** Each service's callers by role; `anyone` needs no certificate (joining nodes have none yet). */
const ROLES: Record<string, readonly NodeRole[] | 'anyone'> = {
  'swarmd.raft.Raft': ['manager'],
  'swarmd.manager.Membership': ['manager'],
  'swarmd.manager.Forwarding': ['manager'],
  'swarmd.control.Control': ['manager'],
  'swarmd.logs.Logs': ['manager'],
  'swarmd.dispatcher.Dispatcher': ['worker', 'manager'],
  'swarmd.logs.LogBroker': ['worker', 'manager'],
  'swarmd.ca.CA': 'anyone',
  'swarmd.ca.NodeCA': 'anyone',
};
export const SERVICE_ROLES: Readonly<Record<string, readonly NodeRole[] | 'anyone'>> = Object.freeze(ROLES);

export interface ClusterAuthz {
  /** This cluster's root CA (PEM) and id: what a caller's certificate must chain to and name. */
  readonly rootCAPem: () => string | null;
  readonly clusterId: () => string | null;
  /** Whether the node still belongs to the cluster (a removed node is refused). */
  readonly nodeExists: (nodeId: string) => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The service part of `/swarmd.raft.Raft/Send`. */
function serviceOf(path: string): string {
  return path.slice(1, path.lastIndexOf('/'));
}

/** True when the call came through TLS (the cluster port), false for the local socket. */
export function isRemoteCall(call: { getAuthContext?: () => { transportSecurityType?: string } }): boolean {
  return call.getAuthContext?.().transportSecurityType === 'ssl';
}

/**
 * The caller's identity from its certificate, or null for a local-socket caller. Handlers that need the
 * node (the dispatcher, the log broker) call this after the interceptor let the call in.
 */
export function callerIdentity(
  authz: ClusterAuthz,
  call: Parameters<typeof peerIdentity>[0],
): PeerIdentity | null {
  const rootCAPem = authz.rootCAPem();
  const clusterId = authz.clusterId();
  if (rootCAPem === null || clusterId === null) return null;
  return peerIdentity(call, { rootCAPem, clusterId, now: authz.clock.now() });
}

/** The interceptor that enforces {@link SERVICE_ROLES} on every call. */
export function clusterAuthzInterceptor(authz: ClusterAuthz): grpc.ServerInterceptor {
  const log = authz.logger.child({ module: 'authz' });
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const path = method.path;
            const roles = SERVICE_ROLES[serviceOf(path)];
            if (roles === 'anyone' || (roles !== undefined && !isRemoteCall(call))) {
              pass(metadata);
              return;
            }
            try {
              const rootCAPem = authz.rootCAPem();
              const clusterId = authz.clusterId();
              if (roles === undefined || rootCAPem === null || clusterId === null)
                throw new PermissionDeniedError(path, 'it is not served to other nodes');
              authorize({ getPath: () => path, getAuthContext: () => call.getAuthContext() }, roles, {
                rootCAPem,
                clusterId,
                now: authz.clock.now(),
                // Raft peers are checked by raft's own membership (a removed member's messages are dropped).
                ...(serviceOf(path) === 'swarmd.raft.Raft' ? {} : { nodeExists: authz.nodeExists }),
              });
              pass(metadata);
            } catch (err) {
              const status = errorToStatus(err);
              log.info('refused a call', { method: path, peer: call.getPeer(), reason: status.details });
              call.sendStatus(status);
            }
          },
        });
      },
    });
}
