/** The cluster's root CA: a self-signed ECDSA P-256 certificate, `CN=swarm-ca`, 20 years by default. */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, privateKeyToPem } from './keys.js';
import { ROOT_CA_CN } from './roles.js';
import { SIGNING_ALGORITHM, x509 } from './x509.js';

export const DEFAULT_ROOT_CA_VALIDITY_MS = 20 * 365 * 24 * 3600 * 1000;

/** A CA's certificate and private key, PEM. The key never leaves the managers. */
export interface RootCA {
  certificatePem: string;
  keyPem: string;
}

export interface CreateRootCAOptions {
  /** ms since the epoch: the start of validity. */
  now: number;
  /** @default 20 years */
  validityMs?: number;
  /** Written as the subject's O when given (informational: node certificates carry the cluster id). */
  clusterId?: string;
}

/** A fresh positive 128-bit serial number, hex. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** Makes a new root CA. */
export async function createRootCA(options: CreateRootCAOptions): Promise<RootCA> {
  const validityMs = options.validityMs ?? DEFAULT_ROOT_CA_VALIDITY_MS;
  if (!(validityMs > 0)) throw new RangeError(`validityMs must be positive, got ${validityMs}`);
  const keys = await generateKeyPair();
  const name =
    options.clusterId === undefined ? `CN=${ROOT_CA_CN}` : `CN=${ROOT_CA_CN}, O=${options.clusterId}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(options.now),
    notAfter: new Date(options.now + validityMs),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: `${cert.toString('pem')}\n`, keyPem: await privateKeyToPem(keys.privateKey) };
}
