/**
 * Node certificates: the CSR a node makes, the certificate the CA signs for it, and the checks every
 * server makes on a presented certificate. A node certificate's subject is
 * `O=<cluster id>, OU=swarm-manager|swarm-worker, CN=<node id>`; its SANs are DNS `<OU>` and DNS
 * `<node id>` (swarmkit's scheme: a client checks a manager with the fixed name `swarm-manager`, whatever
 * address it dialled); it is usable for both TLS server and client authentication.
 */
import { createPublicKey, X509Certificate as NodeX509Certificate } from 'node:crypto';
import type { NodeRole } from '../proto/index.js';
import { InvalidPkiObjectError } from './errors.js';
import { generateKeyPair, importSigningKey, privateKeyToPem } from './keys.js';
import { ouToRole, roleToOU } from './roles.js';
import { type RootCA, randomSerial } from './root-ca.js';
import { SIGNING_ALGORITHM, x509 } from './x509.js';

export const DEFAULT_NODE_CERT_VALIDITY_MS = 90 * 24 * 3600 * 1000;
/** Issued certificates start this much in the past, so that a peer whose clock lags still accepts them. */
export const DEFAULT_BACKDATE_MS = 3600 * 1000;
/** The largest CSR (PEM) accepted: a P-256 CSR is about 500 bytes. */
export const MAX_CSR_BYTES = 16 * 1024;

/** Node and cluster ids go into certificate names: only characters that need no escaping. */
const NAME_VALUE_RE = /^[0-9A-Za-z_-]{1,64}$/;

/** A node's new key and the CSR over it, PEM. */
export interface KeyAndCSR {
  keyPem: string;
  csrPem: string;
}

/**
 * A new P-256 key and a CSR over it. The subject is informational (`CN=<nodeId>` when given): the CA
 * writes the subject itself.
 */
export async function createKeyAndCSR(options: { nodeId?: string } = {}): Promise<KeyAndCSR> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.nodeId === undefined ? 'CN=swarm-node' : `CN=${checkName('nodeId', options.nodeId)}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return { keyPem: await privateKeyToPem(keys.privateKey), csrPem: `${csr.toString('pem')}\n` };
}

function checkName(field: string, value: string): string {
  if (!NAME_VALUE_RE.test(value))
    throw new InvalidPkiObjectError(
      'certificate name',
      `${field} must be 1-64 of [0-9A-Za-z_-], got "${value}"`,
    );
  return value;
}

function isP256Spki(spki: ArrayBuffer): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Parses and checks a CSR: one PEM block of at most {@link MAX_CSR_BYTES}, a valid self-signature (the
 * requester holds the key) over an ECDSA P-256 key.
 * @throws InvalidPkiObjectError (`what` = `csr`) naming the rule broken
 */
export async function parseCSR(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  if (typeof csrPem !== 'string' || csrPem.trim() === '') throw new InvalidPkiObjectError('csr', 'is empty');
  if (Buffer.byteLength(csrPem, 'utf8') > MAX_CSR_BYTES)
    throw new InvalidPkiObjectError('csr', `is larger than ${MAX_CSR_BYTES} bytes`);
  const blocks = csrPem.match(/-----BEGIN CERTIFICATE REQUEST-----/g)?.length ?? 0;
  if (blocks !== 1)
    throw new InvalidPkiObjectError(
      'csr',
      `must be exactly one PEM "CERTIFICATE REQUEST" block, found ${blocks}`,
    );
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new InvalidPkiObjectError('csr', 'does not parse as a PKCS#10 request', { cause: err });
  }
  let p256: boolean;
  try {
    p256 = isP256Spki(csr.publicKey.rawData);
  } catch (err) {
    throw new InvalidPkiObjectError('csr', 'has an unreadable public key', { cause: err });
  }
  if (!p256) throw new InvalidPkiObjectError('csr', 'key must be ECDSA P-256');
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (err) {
    throw new InvalidPkiObjectError('csr', 'signature cannot be checked', { cause: err });
  }
  if (!valid) throw new InvalidPkiObjectError('csr', 'signature does not match its key');
  return csr;
}

export interface SignNodeCertificateOptions {
  rootCA: RootCA;
  csrPem: string;
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** ms since the epoch. */
  now: number;
  /** @default 90 days; never past the root CA's own expiry */
  validityMs?: number;
  /** @default 1 hour */
  backdateMs?: number;
}

/**
 * Signs a node certificate for the CSR's key with the root CA.
 * @throws InvalidPkiObjectError when the CSR, the root CA or a name breaks a rule
 */
export async function signNodeCertificate(options: SignNodeCertificateOptions): Promise<string> {
  const validityMs = options.validityMs ?? DEFAULT_NODE_CERT_VALIDITY_MS;
  const backdateMs = options.backdateMs ?? DEFAULT_BACKDATE_MS;
  if (!(validityMs > 0)) throw new RangeError(`validityMs must be positive, got ${validityMs}`);
  if (!(backdateMs >= 0)) throw new RangeError(`backdateMs must be ≥ 0, got ${backdateMs}`);
  const nodeId = checkName('nodeId', options.nodeId);
  const clusterId = checkName('clusterId', options.clusterId);
  const csr = await parseCSR(options.csrPem);
  let root: x509.X509Certificate;
  try {
    root = new x509.X509Certificate(options.rootCA.certificatePem);
  } catch (err) {
    throw new InvalidPkiObjectError('root CA', 'certificate does not parse', { cause: err });
  }
  const signingKey = await importSigningKey(options.rootCA.keyPem, 'root CA key');
  const ou = roleToOU(options.role);
  const notAfter = Math.min(options.now + validityMs, root.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ O: [clusterId] }, { OU: [ou] }, { CN: [nodeId] }],
    issuer: root.subjectName,
    notBefore: new Date(Math.max(options.now - backdateMs, root.notBefore.getTime())),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: csr.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: ou },
        { type: 'dns', value: nodeId },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(root.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
    ],
  });
  return `${cert.toString('pem')}\n`;
}

/** Who a node certificate names, and when it is valid. */
export interface NodeCertificateInfo {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

/** The single value of `key` in a node:crypto subject (`O=…\nOU=…\nCN=…`), or undefined. */
function subjectField(subject: string, key: string): string | undefined {
  const values = subject
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

function toNodeX509(cert: string | Uint8Array): NodeX509Certificate {
  try {
    return new NodeX509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert));
  } catch (err) {
    throw new InvalidPkiObjectError('certificate', 'does not parse as X.509 (PEM or DER)', { cause: err });
  }
}

function infoOf(cert: NodeX509Certificate): NodeCertificateInfo {
  const cn = subjectField(cert.subject, 'CN');
  const ou = subjectField(cert.subject, 'OU');
  const o = subjectField(cert.subject, 'O');
  const role = ou === undefined ? undefined : ouToRole(ou);
  if (cn === undefined || !NAME_VALUE_RE.test(cn))
    throw new InvalidPkiObjectError('certificate', 'subject must have one CN, the node id');
  if (role === undefined)
    throw new InvalidPkiObjectError('certificate', 'subject OU must be swarm-manager or swarm-worker');
  if (o === undefined || !NAME_VALUE_RE.test(o))
    throw new InvalidPkiObjectError('certificate', 'subject must have one O, the cluster id');
  return {
    nodeId: cn,
    role,
    clusterId: o,
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
  };
}

/**
 * What a node certificate says (PEM or DER), without checking who signed it.
 * @throws InvalidPkiObjectError when it does not parse or its subject is not a node's
 */
export function parseNodeCertificate(cert: string | Uint8Array): NodeCertificateInfo {
  return infoOf(toNodeX509(cert));
}

const rootCache = new Map<string, NodeX509Certificate>();

/** The parsed root CA, cached by PEM (a server checks every call against the same one). */
function rootOf(rootCAPem: string): NodeX509Certificate {
  let root = rootCache.get(rootCAPem);
  if (root === undefined) {
    try {
      root = new NodeX509Certificate(rootCAPem);
    } catch (err) {
      throw new InvalidPkiObjectError('root CA', 'certificate does not parse', { cause: err });
    }
    if (rootCache.size >= 16) rootCache.clear();
    rootCache.set(rootCAPem, root);
  }
  return root;
}

export interface VerifyNodeCertificateOptions {
  rootCAPem: string;
  /** When given, the certificate's O must be this cluster id. */
  clusterId?: string;
  /** ms since the epoch: the certificate must be valid at this time. */
  now: number;
}

/**
 * Checks that a node certificate was signed by the root CA, is valid at `now` and (when asked) belongs to
 * the cluster; returns what it says.
 * @throws InvalidPkiObjectError (`what` = `certificate`) naming the failed check
 */
export function verifyNodeCertificate(
  cert: string | Uint8Array,
  options: VerifyNodeCertificateOptions,
): NodeCertificateInfo {
  const c = toNodeX509(cert);
  const root = rootOf(options.rootCAPem);
  if (!c.checkIssued(root) || !c.verify(root.publicKey))
    throw new InvalidPkiObjectError('certificate', "is not signed by this cluster's root CA");
  const info = infoOf(c);
  if (Number.isNaN(info.notBefore) || Number.isNaN(info.notAfter))
    throw new InvalidPkiObjectError('certificate', 'has an unreadable validity period');
  if (options.now < info.notBefore)
    throw new InvalidPkiObjectError(
      'certificate',
      `is not valid before ${new Date(info.notBefore).toISOString()}`,
    );
  if (options.now > info.notAfter)
    throw new InvalidPkiObjectError('certificate', `expired at ${new Date(info.notAfter).toISOString()}`);
  if (options.clusterId !== undefined && info.clusterId !== options.clusterId)
    throw new InvalidPkiObjectError(
      'certificate',
      `belongs to cluster ${info.clusterId}, not to this cluster ${options.clusterId}`,
    );
  return info;
}
