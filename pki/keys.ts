/** ECDSA P-256 key pairs and their PEM (PKCS#8) form. */
import { createPrivateKey, type webcrypto } from 'node:crypto';
import { InvalidPkiObjectError } from './errors.js';
import { EC_KEY_ALGORITHM, subtle, x509 } from './x509.js';

/** A new extractable ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** The private key as PEM (`-----BEGIN PRIVATE KEY-----`, PKCS#8). */
export async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/**
 * Imports a P-256 private key from PEM (PKCS#8, or SEC1 `EC PRIVATE KEY`) for signing.
 * @throws InvalidPkiObjectError when it does not parse or is not a P-256 key
 */
export async function importSigningKey(pem: string, what = 'private key'): Promise<webcrypto.CryptoKey> {
  let pkcs8: Buffer;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new InvalidPkiObjectError(what, 'must be an ECDSA P-256 key');
    pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  } catch (err) {
    if (err instanceof InvalidPkiObjectError) throw err;
    throw new InvalidPkiObjectError(what, 'does not parse as a PEM private key', { cause: err });
  }
  return subtle.importKey('pkcs8', pkcs8, EC_KEY_ALGORITHM, false, ['sign']) as Promise<webcrypto.CryptoKey>;
}
