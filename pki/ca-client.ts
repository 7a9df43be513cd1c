/**
 * The joining and renewing side of the CA (swarmkit's `ca.DownloadRootCA` + `GetRemoteSignedCertificate`):
 * {@link joinCluster} fetches the root CA without trusting it, checks it against the token's digest, then
 * asks for a certificate over a connection that trusts that root; {@link renewNodeCertificate} asks with
 * the node's current certificate instead of a token. Both make the key locally: it never travels.
 */
import type * as grpc from '@grpc/grpc-js';
import { statusToError } from '../common/index.js';
import { type capb, loadGrpcObject, type NodeRole } from '../proto/index.js';
import { InvalidPkiObjectError } from './errors.js';
import { checkRootCA } from './join-token.js';
import { createKeyAndCSR, parseNodeCertificate } from './node-certificate.js';
import type { NodeCredentials } from './node-credentials.js';
import { bootstrapClientCredentials, CLIENT_CHANNEL_OPTIONS, clientCredentials } from './tls.js';

/** A node's new credentials and who they say it is. */
export interface IssuedCredentials extends NodeCredentials {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

export interface CACallOptions {
  /** `host:port` of a manager. */
  address: string;
  /** Per-call deadline. @default 10000 */
  timeoutMs?: number;
  /** Extra channel options (tests: keepalive, etc.). */
  channelOptions?: grpc.ChannelOptions;
}

function deadline(options: CACallOptions): Date {
  return new Date(Date.now() + (options.timeoutMs ?? 10_000));
}

function unary<Req, Res>(
  invoke: (
    req: Req,
    opts: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: Res) => void,
  ) => unknown,
  req: Req,
  options: CACallOptions,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(req, { deadline: deadline(options) }, (err, res) => {
      if (err !== null) reject(statusToError(err));
      else if (res === undefined) reject(new Error('empty response'));
      else resolve(res);
    });
  });
}

/** Fetches the root CA WITHOUT authenticating the server: check it with `checkRootCA` before use. */
export async function fetchRootCAUnverified(options: CACallOptions): Promise<string> {
  const { swarmd } = loadGrpcObject('ca');
  // The name is not checked here, but sending one avoids an IP address as the TLS server name.
  const client = new swarmd.ca.CA(options.address, bootstrapClientCredentials(), {
    ...CLIENT_CHANNEL_OPTIONS,
    ...options.channelOptions,
  });
  try {
    const res = await unary<capb.GetRootCACertificateRequest, capb.GetRootCACertificateResponse__Output>(
      client.GetRootCACertificate.bind(client) as never,
      {},
      options,
    );
    return res.certificate;
  } finally {
    client.close();
  }
}

async function issue(
  options: CACallOptions,
  creds: grpc.ChannelCredentials,
  req: capb.IssueNodeCertificateRequest,
  keyPem: string,
  rootCAPem: string,
): Promise<IssuedCredentials> {
  const { swarmd } = loadGrpcObject('ca');
  const client = new swarmd.ca.NodeCA(options.address, creds, {
    ...CLIENT_CHANNEL_OPTIONS,
    ...options.channelOptions,
  });
  let res: capb.IssueNodeCertificateResponse__Output;
  try {
    res = await unary(client.IssueNodeCertificate.bind(client) as never, req, options);
  } finally {
    client.close();
  }
  // The root must not change under the node here: a root rotation is a separate, explicit step.
  if (res.rootCa.trim() !== rootCAPem.trim())
    throw new InvalidPkiObjectError('root CA', 'the CA answered with a root CA other than the trusted one');
  const info = parseNodeCertificate(res.certificate);
  return { keyPem, certPem: res.certificate, rootCAPem, ...info };
}

/**
 * Joins a cluster with a token: fetch and check the root CA, make a key, get a certificate.
 * @throws RootCAMismatchError when the manager's root CA is not the token's; TokenFormatError;
 *   ControlStatusError with the CA's code (ERR_CA_TOKEN_REFUSED…) when the CA refuses
 */
export async function joinCluster(
  options: CACallOptions & { token: string; hostname: string; role?: NodeRole },
): Promise<IssuedCredentials> {
  const rootCAPem = await fetchRootCAUnverified(options);
  checkRootCA(rootCAPem, options.token);
  const { keyPem, csrPem } = await createKeyAndCSR();
  return issue(
    options,
    clientCredentials({ rootCAPem }),
    { token: options.token, csr: csrPem, hostname: options.hostname, role: options.role ?? '' },
    keyPem,
    rootCAPem,
  );
}

/** Renews the node's certificate with its current one: same node id, the role the managers want. */
export async function renewNodeCertificate(
  options: CACallOptions & { credentials: NodeCredentials },
): Promise<IssuedCredentials> {
  const current = parseNodeCertificate(options.credentials.certPem);
  const { keyPem, csrPem } = await createKeyAndCSR({ nodeId: current.nodeId });
  return issue(
    options,
    clientCredentials({
      rootCAPem: options.credentials.rootCAPem,
      keyPem: options.credentials.keyPem,
      certPem: options.credentials.certPem,
      clusterId: current.clusterId,
    }),
    { token: '', csr: csrPem, hostname: '', role: '' },
    keyPem,
    options.credentials.rootCAPem,
  );
}
