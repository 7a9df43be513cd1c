/**
 * A node's TLS credentials on disk: `<state-dir>/certificates/` (mode 0700) holds `node.key`, `node.crt`
 * and `root-ca.crt`, each 0600 and written atomically (a temporary file, fsync, rename, then fsync of the
 * folder), so a crash leaves either the old file or the new one. Loading checks that the three belong
 * together (the key is the certificate's, the root CA signed it).
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, syncDirectory, writeFileAtomic } from '../common/index.js';
import { CredentialsFileError } from './errors.js';
import { parseNodeCertificate } from './node-certificate.js';

export const CERTIFICATES_DIR = 'certificates';
export const NODE_KEY_FILE = 'node.key';
export const NODE_CERT_FILE = 'node.crt';
export const ROOT_CA_FILE = 'root-ca.crt';

/** A node's key, certificate and the root CA, PEM. */
export interface NodeCredentials {
  keyPem: string;
  certPem: string;
  rootCAPem: string;
}

/** `<stateDir>/certificates`. */
export function certificatesDir(stateDir: string): string {
  return join(stateDir, CERTIFICATES_DIR);
}

/** Writes the node's credentials (checked first: see {@link checkNodeCredentials}). */
export async function saveNodeCredentials(stateDir: string, creds: NodeCredentials): Promise<void> {
  const dir = certificatesDir(stateDir);
  checkNodeCredentials(dir, creds);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  // The root first and the key last: a crash in between leaves a pair that load() refuses, not a key
  // that silently does not match its certificate.
  const once = { syncDir: false };
  await writeFileAtomic(join(dir, ROOT_CA_FILE), creds.rootCAPem, once);
  await writeFileAtomic(join(dir, NODE_CERT_FILE), creds.certPem, once);
  await writeFileAtomic(join(dir, NODE_KEY_FILE), creds.keyPem, once);
  await syncDirectory(dir);
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw new CredentialsFileError(path, 'cannot read it', { cause: err });
  }
}

/**
 * The node's credentials, or null when it has none yet (a host that has not joined).
 * @throws CredentialsFileError when only some files exist or they do not belong together
 */
export async function loadNodeCredentials(stateDir: string): Promise<NodeCredentials | null> {
  return loadCredentialsDir(certificatesDir(stateDir));
}

/** {@link loadNodeCredentials} from the certificates folder itself (swarmctl's `--tls-dir`). */
export async function loadCredentialsDir(dir: string): Promise<NodeCredentials | null> {
  const [keyPem, certPem, rootCAPem] = await Promise.all([
    readOptional(join(dir, NODE_KEY_FILE)),
    readOptional(join(dir, NODE_CERT_FILE)),
    readOptional(join(dir, ROOT_CA_FILE)),
  ]);
  if (keyPem === null && certPem === null && rootCAPem === null) return null;
  if (keyPem === null || certPem === null || rootCAPem === null) {
    const missing = [
      keyPem === null ? NODE_KEY_FILE : '',
      certPem === null ? NODE_CERT_FILE : '',
      rootCAPem === null ? ROOT_CA_FILE : '',
    ].filter((f) => f !== '');
    throw new CredentialsFileError(dir, `${missing.join(', ')} missing (remove the folder to join again)`);
  }
  const creds = { keyPem, certPem, rootCAPem };
  checkNodeCredentials(dir, creds);
  return creds;
}

/**
 * Checks that the key is the certificate's and that the root CA signed the certificate.
 * @throws CredentialsFileError naming the failed check
 */
export function checkNodeCredentials(where: string, creds: NodeCredentials): void {
  let cert: X509Certificate;
  let root: X509Certificate;
  try {
    cert = new X509Certificate(creds.certPem);
    parseNodeCertificate(creds.certPem);
  } catch (err) {
    throw new CredentialsFileError(where, `${NODE_CERT_FILE} is not a node certificate`, { cause: err });
  }
  try {
    root = new X509Certificate(creds.rootCAPem);
  } catch (err) {
    throw new CredentialsFileError(where, `${ROOT_CA_FILE} is not a certificate`, { cause: err });
  }
  let keySpki: Buffer;
  try {
    keySpki = createPublicKey(createPrivateKey(creds.keyPem)).export({ format: 'der', type: 'spki' });
  } catch (err) {
    throw new CredentialsFileError(where, `${NODE_KEY_FILE} is not a private key`, { cause: err });
  }
  if (!keySpki.equals(cert.publicKey.export({ format: 'der', type: 'spki' })))
    throw new CredentialsFileError(where, `${NODE_KEY_FILE} is not the key of ${NODE_CERT_FILE}`);
  if (!cert.checkIssued(root) || !cert.verify(root.publicKey))
    throw new CredentialsFileError(where, `${NODE_CERT_FILE} is not signed by ${ROOT_CA_FILE}`);
}
