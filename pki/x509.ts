/**
 * The one place that loads @peculiar/x509: its dependency injection needs the `reflect-metadata` polyfill
 * evaluated first (ESM evaluates imports in order), and it signs through node's WebCrypto, set once here.
 * Every other file of pki imports `x509` from this module.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** ECDSA P-256, the only key type swarmd issues and accepts (swarmkit's default). */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** ECDSA with SHA-256: every signature swarmd makes. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export const subtle = webcrypto.subtle;
