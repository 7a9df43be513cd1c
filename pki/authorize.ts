/**
 * Who is calling, and may they: the per-call check every server of the cluster port makes. The server's
 * TLS (tls.ts) asks for a client certificate but lets a caller without one in, so each protected method
 * calls {@link authorize} (or {@link peerIdentity}) first.
 *
 * The certificate comes from `call.getAuthContext().sslPeerCertificate` (grpc-js ≥ 1.10), which grpc-js
 * fills only when node's TLS verified the chain against the root CA the server was configured with: a
 * certificate from another CA therefore looks like no certificate at all (UNAUTHENTICATED either way). The
 * certificate it does hand over is checked again here, against the root CA, the cluster id and the
 * injected clock (node's TLS used the wall clock).
 */
import type { NodeRole } from '../proto/index.js';
import { InvalidPkiObjectError, PermissionDeniedError, UnauthenticatedError } from './errors.js';
import { verifyNodeCertificate } from './node-certificate.js';

/** The caller, as its certificate names it. */
export interface PeerIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** The certificate's expiry, ms since the epoch. */
  notAfter: number;
}

/** The parts of a grpc-js server call used here (every server call type has them). */
export interface AuthorizableCall {
  getPath(): string;
  getAuthContext?: () => {
    transportSecurityType?: string;
    sslPeerCertificate?: { raw?: Buffer } | undefined;
  };
}

export interface PeerIdentityOptions {
  /** The cluster's root CA (PEM). */
  rootCAPem: string;
  /** This cluster's id: the certificate's O must be it. */
  clusterId: string;
  /** ms since the epoch. */
  now: number;
}

export interface AuthorizeOptions extends PeerIdentityOptions {
  /**
   * Whether the cluster still has this node (a Node object exists). A node removed from the cluster is
   * refused even with an unexpired certificate. @default every node exists
   */
  nodeExists?: (nodeId: string) => boolean;
  /** The method named in errors. @default the call's path */
  method?: string;
}

/** The DER of the verified peer certificate, or null when the caller presented none that TLS accepted. */
export function peerCertificate(call: AuthorizableCall): Buffer | null {
  const raw = call.getAuthContext?.().sslPeerCertificate?.raw;
  return raw !== undefined && raw.length > 0 ? raw : null;
}

function identityOf(
  call: AuthorizableCall,
  options: PeerIdentityOptions,
  method: string,
): PeerIdentity | null {
  const raw = peerCertificate(call);
  if (raw === null) return null;
  try {
    const info = verifyNodeCertificate(raw, options);
    return { nodeId: info.nodeId, role: info.role, clusterId: info.clusterId, notAfter: info.notAfter };
  } catch (err) {
    if (err instanceof InvalidPkiObjectError)
      throw new UnauthenticatedError(method, `the client certificate is not valid here (${err.message})`, {
        cause: err,
      });
    throw err;
  }
}

/**
 * The caller's identity, or null when it presented no (acceptable) certificate.
 * @throws UnauthenticatedError when it presented one that is not valid for this cluster now
 */
export function peerIdentity(call: AuthorizableCall, options: PeerIdentityOptions): PeerIdentity | null {
  return identityOf(call, options, methodOf(call));
}

function methodOf(call: AuthorizableCall, method?: string): string {
  if (method !== undefined) return method;
  try {
    return call.getPath();
  } catch {
    return 'this method';
  }
}

/**
 * The caller's identity when its role may call the method.
 * @throws UnauthenticatedError (UNAUTHENTICATED) when it has no valid certificate of this cluster
 * @throws PermissionDeniedError (PERMISSION_DENIED) when its role is not allowed or it was removed
 */
export function authorize(
  call: AuthorizableCall,
  allowedRoles: readonly NodeRole[],
  options: AuthorizeOptions,
): PeerIdentity {
  const method = methodOf(call, options.method);
  const id = identityOf(call, options, method);
  if (id === null)
    throw new UnauthenticatedError(
      method,
      "a client certificate signed by this cluster's root CA is required (none was presented, or it is not this cluster's)",
    );
  if (!allowedRoles.includes(id.role))
    throw new PermissionDeniedError(
      method,
      `node ${id.nodeId} is a ${id.role}; only ${allowedRoles.join(' or ')} nodes may call it`,
      { fields: { 'node.id': id.nodeId, role: id.role } },
    );
  if (options.nodeExists !== undefined && !options.nodeExists(id.nodeId))
    throw new PermissionDeniedError(method, `node ${id.nodeId} was removed from the cluster`, {
      fields: { 'node.id': id.nodeId },
    });
  return id;
}
