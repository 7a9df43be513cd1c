/**
 * The CA service of every manager (swarmkit's `ca/server.go`): `CA.GetRootCACertificate` and
 * `NodeCA.IssueNodeCertificate` on the cluster port. Both accept callers without a client certificate.
 *
 * Issuing: a caller that presents a valid certificate of this cluster whose Node still exists is renewing:
 * it keeps its node id and gets the role `spec.desiredRole` of its Node (so promote/demote take effect),
 * and nothing is written. Otherwise the request must carry a join token of this cluster: its CA digest
 * must be the root CA's, its secret must be the current worker or manager token (compared in constant
 * time, both always compared), and the role it grants must be the one asked for, if any. The CSR is
 * checked (one PEM block, signature, ECDSA P-256), the certificate signed with the root CA key kept in the
 * store, and the new Node object created in a transaction that re-checks the token, so a token rotated
 * meanwhile still refuses the join. A refused request writes nothing.
 */
import * as grpc from '@grpc/grpc-js';
import { type Clock, errorMessage, type IdSource, type Logger, nullLogger } from '../../common/index.js';
import {
  DEFAULT_NODE_CERT_VALIDITY_MS,
  InvalidPkiObjectError,
  joinTokenMatches,
  type PeerIdentity,
  parseCSR,
  parseJoinToken,
  peerIdentity,
  rootCADigest,
  signNodeCertificate,
  TokenFormatError,
  UnauthenticatedError,
} from '../../pki/index.js';
import { type Cluster, type capb, loadGrpcObject, type Node, type NodeRole } from '../../proto/index.js';
import type { MemoryStore, NewObject, ReadTx } from '../store/index.js';
import {
  CANotReadyError,
  caErrorToStatus,
  InvalidCARequestError,
  NodeRemovedError,
  TokenRefusedError,
} from './errors.js';

/** The largest IssueNodeCertificate request accepted (token + CSR + hostname + role). */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** The shortest certificate lifetime the CA issues, whatever the cluster spec says (swarmkit's minimum). */
export const MIN_NODE_CERT_EXPIRY_MS = 3600 * 1000;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export interface CAServerOptions {
  store: MemoryStore;
  clock: Clock;
  ids: IdSource;
  logger?: Logger;
}

/** What a successful IssueNodeCertificate returns. */
export interface IssuedCertificate {
  nodeId: string;
  role: NodeRole;
  certificate: string;
  rootCA: string;
}

/** The request, as handlers get it and as tests may call it. */
export interface IssueRequest {
  token: string;
  csr: string;
  hostname: string;
  role: string;
}

/** The caller of an IssueNodeCertificate: its verified certificate (if any) and its address. */
export interface IssueCaller {
  getPath(): string;
  getPeer(): string;
  getAuthContext?: () => { sslPeerCertificate?: { raw?: Buffer } | undefined };
}

function theCluster(tx: ReadTx): Cluster | undefined {
  const clusters = tx.clusters.find();
  return clusters.length === 1 ? clusters[0] : undefined;
}

function hostOfPeer(peer: string): string {
  const i = peer.lastIndexOf(':');
  const host = i < 0 ? peer : peer.slice(0, i);
  return host.startsWith('[') ? host.slice(1, -1) : host === 'unknown' ? '' : host;
}

export class CAServer {
  readonly #store: MemoryStore;
  readonly #clock: Clock;
  readonly #ids: IdSource;
  readonly #log: Logger;

  constructor(options: CAServerOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#ids = options.ids;
    this.#log = (options.logger ?? nullLogger).child({ module: 'manager/ca' });
  }

  #cluster(): Cluster {
    const cluster = this.#store.view(theCluster);
    if (cluster === undefined || cluster.rootCA.certificate === '' || cluster.rootCA.key === '')
      throw new CANotReadyError();
    return cluster;
  }

  /** The root CA certificate (PEM). */
  getRootCACertificate(): string {
    return this.#cluster().rootCA.certificate;
  }

  /** Issues a certificate: a renewal by a certificate of this cluster, else a join with a token. */
  async issueNodeCertificate(req: IssueRequest, caller: IssueCaller): Promise<IssuedCertificate> {
    checkSize(req);
    const cluster = this.#cluster();
    const now = this.#clock.now();
    let identity: PeerIdentity | null = null;
    try {
      identity = peerIdentity(caller, { rootCAPem: cluster.rootCA.certificate, clusterId: cluster.id, now });
    } catch (err) {
      // An expired or foreign certificate does not renew, but its holder may still join with a token.
      if (!(err instanceof UnauthenticatedError)) throw err;
      if (req.token === '') throw err;
    }
    if (identity !== null) {
      const node = this.#store.view((tx) => tx.nodes.get(identity.nodeId));
      if (node !== undefined) return this.#renew(cluster, node, req, now);
      if (req.token === '') throw new NodeRemovedError(identity.nodeId);
    }
    if (req.token === '')
      throw new UnauthenticatedError(
        caller.getPath(),
        'a join token is required (or a valid certificate of this cluster, to renew one)',
      );
    return this.#join(cluster, req, caller, now);
  }

  async #renew(cluster: Cluster, node: Node, req: IssueRequest, now: number): Promise<IssuedCertificate> {
    const role = node.spec.desiredRole;
    const certificate = await this.#sign(cluster, req.csr, node.id, role, now);
    this.#log.info('node certificate renewed', { 'node.id': node.id, role });
    return { nodeId: node.id, role, certificate, rootCA: cluster.rootCA.certificate };
  }

  async #join(
    cluster: Cluster,
    req: IssueRequest,
    caller: IssueCaller,
    now: number,
  ): Promise<IssuedCertificate> {
    let secretDigest: string;
    try {
      secretDigest = parseJoinToken(req.token).digest;
    } catch (err) {
      if (err instanceof TokenFormatError)
        throw new InvalidCARequestError('token', `is malformed: ${err.message}`);
      throw err;
    }
    if (!joinTokenMatches(rootCADigest(cluster.rootCA.certificate), secretDigest))
      throw new TokenRefusedError(
        "the token's CA digest is not this cluster's root CA (a token of another cluster?)",
      );
    const role = tokenRole(cluster, req.token);
    if (req.role !== '' && req.role !== 'worker' && req.role !== 'manager')
      throw new InvalidCARequestError(
        'role',
        `must be "worker", "manager" or empty, got "${req.role.slice(0, 32)}"`,
      );
    if (role !== undefined && req.role !== '' && req.role !== role)
      throw new TokenRefusedError(`the token is a ${role} token; a ${req.role} needs the ${req.role} token`);
    if (role === undefined)
      throw new TokenRefusedError(
        'the token is not a current join token of this cluster (wrong, or rotated)',
      );
    if (!HOSTNAME_RE.test(req.hostname))
      throw new InvalidCARequestError(
        'hostname',
        'must be 1-253 of [A-Za-z0-9.-], starting and ending alphanumeric',
      );
    const nodeId = this.#ids.newId();
    const certificate = await this.#sign(cluster, req.csr, nodeId, role, now);
    const node: NewObject<Node> = {
      id: nodeId,
      spec: { annotations: { name: '', labels: {} }, desiredRole: role, availability: 'active' },
      description: {
        hostname: req.hostname,
        platform: { os: '', architecture: '' },
        resources: { nanoCpus: 0, memoryBytes: 0 },
        engine: { version: '', labels: {} },
      },
      status: { state: 'unknown', message: '', addr: hostOfPeer(caller.getPeer()) },
      role,
      managerStatus: null,
    };
    await this.#store.update((tx) => {
      // The token may have been rotated while the certificate was being signed.
      const current = theCluster(tx);
      if (current === undefined || current.id !== cluster.id || tokenRole(current, req.token) !== role)
        throw new TokenRefusedError('the token was rotated while joining');
      tx.nodes.create(node);
    });
    this.#log.info('node joined', { 'node.id': nodeId, role, hostname: req.hostname });
    return { nodeId, role, certificate, rootCA: cluster.rootCA.certificate };
  }

  async #sign(cluster: Cluster, csr: string, nodeId: string, role: NodeRole, now: number): Promise<string> {
    try {
      await parseCSR(csr);
    } catch (err) {
      if (err instanceof InvalidPkiObjectError)
        throw new InvalidCARequestError('csr', err.message.replace(/^Invalid csr: /, ''));
      throw err;
    }
    return signNodeCertificate({
      rootCA: { certificatePem: cluster.rootCA.certificate, keyPem: cluster.rootCA.key },
      csrPem: csr,
      nodeId,
      role,
      clusterId: cluster.id,
      now,
      validityMs: Math.max(
        MIN_NODE_CERT_EXPIRY_MS,
        cluster.spec.caConfig.nodeCertExpiryMs || DEFAULT_NODE_CERT_VALIDITY_MS,
      ),
    });
  }
}

/** The role whose current token `token` is; both comparisons always run, in constant time each. */
function tokenRole(cluster: Cluster, token: string): NodeRole | undefined {
  const worker = joinTokenMatches(cluster.joinTokens.worker, token);
  const manager = joinTokenMatches(cluster.joinTokens.manager, token);
  return manager ? 'manager' : worker ? 'worker' : undefined;
}

function checkSize(req: IssueRequest): void {
  const sizes: [string, number][] = [
    ['token', Buffer.byteLength(req.token, 'utf8')],
    ['csr', Buffer.byteLength(req.csr, 'utf8')],
    ['hostname', Buffer.byteLength(req.hostname, 'utf8')],
    ['role', Buffer.byteLength(req.role, 'utf8')],
  ];
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  if (total > MAX_REQUEST_BYTES) {
    const [largest] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
    throw new InvalidCARequestError(
      largest,
      `makes the request ${total} bytes; a request may have at most ${MAX_REQUEST_BYTES}`,
    );
  }
}

export interface RegisterCAOptions extends CAServerOptions {}

/** Adds the CA and NodeCA services to `server`; returns the CAServer behind them. */
export function registerCAServices(server: grpc.Server, options: RegisterCAOptions): CAServer {
  const ca = new CAServer(options);
  const log = (options.logger ?? nullLogger).child({ module: 'manager/ca/grpc' });
  const { swarmd } = loadGrpcObject('ca');
  const fail = (method: string, err: unknown): ReturnType<typeof caErrorToStatus> => {
    const status = caErrorToStatus(err);
    if (status.code === grpc.status.INTERNAL) log.error('ca call failed', { method, err: errorMessage(err) });
    else log.info('ca call refused', { method, code: grpc.status[status.code], message: status.details });
    return status;
  };
  const caHandlers: capb.CAHandlers = {
    GetRootCACertificate(_call, callback) {
      try {
        callback(null, { certificate: ca.getRootCACertificate() });
      } catch (err) {
        callback(fail('GetRootCACertificate', err));
      }
    },
  };
  const nodeCAHandlers: capb.NodeCAHandlers = {
    IssueNodeCertificate(call, callback) {
      const r = call.request;
      ca.issueNodeCertificate({ token: r.token, csr: r.csr, hostname: r.hostname, role: r.role }, call).then(
        (res) =>
          callback(null, {
            nodeId: res.nodeId,
            certificate: res.certificate,
            rootCa: res.rootCA,
            role: res.role,
          }),
        (err: unknown) => callback(fail('IssueNodeCertificate', err)),
      );
    },
  };
  server.addService(swarmd.ca.CA.service, caHandlers);
  server.addService(swarmd.ca.NodeCA.service, nodeCAHandlers);
  return ca;
}
