/**
 * TLS for grpc-js (1.14): the servers' and the clients' credentials, TLS 1.3 only.
 *
 * Servers REQUEST a client certificate but do not REQUIRE one (Go's VerifyClientCertIfGiven): the CA's
 * join endpoints serve hosts that have no certificate yet, on the same port as everything else. grpc-js's
 * own `ServerCredentials.createSsl` can only require a certificate or not ask for one, so
 * {@link NodeServerCredentials} subclasses it with `requestCert: true, rejectUnauthorized: false`. Node
 * still checks a presented chain against the root CA and marks the socket `authorized`; grpc-js hands a
 * call the peer certificate (`call.getAuthContext().sslPeerCertificate`) only when it is, and every
 * protected method checks it again against the cluster, the clock and the role (authorize.ts).
 *
 * Names: every manager certificate has the DNS SAN `swarm-manager` and clients check that name whatever
 * address they dialled (`grpc.ssl_target_name_override`, {@link CLIENT_CHANNEL_OPTIONS}), so managers need
 * no per-host SANs and a worker's certificate cannot pass for a manager's.
 */
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContextOptions,
} from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { MANAGER_OU, MANAGER_TLS_NAME } from './roles.js';

const MIN_TLS_VERSION = 'TLSv1.3';

/** The PEM material a node serves with. */
export interface ServerTlsMaterial {
  rootCAPem: string;
  certPem: string;
  keyPem: string;
}

function contextOptions(m: ServerTlsMaterial): SecureContextOptions {
  return { ca: m.rootCAPem, cert: m.certPem, key: m.keyPem, minVersion: MIN_TLS_VERSION };
}

/**
 * Server credentials that ask for a client certificate without requiring one; {@link update} swaps the
 * certificate (after a renewal) for new connections without restarting the server.
 */
export class NodeServerCredentials extends grpc.ServerCredentials {
  constructor(material: ServerTlsMaterial) {
    super(
      { requestCert: true, rejectUnauthorized: false, minVersion: MIN_TLS_VERSION },
      contextOptions(material),
    );
    // Fail here, not on the first connection, when the material is unusable.
    createSecureContext(contextOptions(material));
  }

  /** Serves new connections with new material (a renewed certificate, or a new root CA). */
  update(material: ServerTlsMaterial): void {
    createSecureContext(contextOptions(material));
    this.updateSecureContextOptions(contextOptions(material));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/** Server credentials for the cluster port: see {@link NodeServerCredentials}. */
export function serverCredentials(material: ServerTlsMaterial): NodeServerCredentials {
  return new NodeServerCredentials(material);
}

/**
 * The channel options every client of a manager passes to its client or channel constructor, with the
 * credentials of {@link clientCredentials}: the TLS name checked is `swarm-manager`.
 */
export const CLIENT_CHANNEL_OPTIONS: Readonly<grpc.ChannelOptions> = Object.freeze({
  'grpc.ssl_target_name_override': MANAGER_TLS_NAME,
});

export interface ClientCredentialsOptions {
  /** The root CA to trust (PEM). */
  rootCAPem: string;
  /** The node's key and certificate (PEM); omit both to call without a client certificate. */
  keyPem?: string;
  certPem?: string;
  /** When given, the manager's certificate must name this cluster (its O). */
  clusterId?: string;
}

/**
 * Credentials to call managers: trusts only the root CA, checks the server is a manager (OU
 * `swarm-manager`, SAN `swarm-manager`; use {@link CLIENT_CHANNEL_OPTIONS}) of the cluster when
 * `clusterId` is given, and presents the node's certificate when given.
 */
export function clientCredentials(options: ClientCredentialsOptions): grpc.ChannelCredentials {
  return renewableClientCredentials(options).credentials;
}

/** Client credentials whose certificate can be replaced (a renewal) without new channels. */
export interface RenewableClientCredentials {
  readonly credentials: grpc.ChannelCredentials;
  /**
   * New connections present this key and certificate from now on; open ones keep theirs (TLS checks a
   * certificate only at the handshake, and the old one is still valid when a renewal happens).
   */
  update(material: { keyPem: string; certPem: string }): void;
}

/** {@link clientCredentials} that a renewal can update in place. */
export function renewableClientCredentials(options: ClientCredentialsOptions): RenewableClientCredentials {
  if ((options.keyPem === undefined) !== (options.certPem === undefined))
    throw new TypeError('clientCredentials: keyPem and certPem go together');
  const ctx = createSecureContext({
    ca: options.rootCAPem,
    minVersion: MIN_TLS_VERSION,
    ...(options.keyPem === undefined ? {} : { key: options.keyPem, cert: options.certPem }),
  });
  const credentials = grpc.credentials.createFromSecureContext(ctx, {
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      const err = checkServerIdentity(host, cert);
      if (err !== undefined) return err;
      if (cert.subject?.OU !== MANAGER_OU)
        return new Error(`The server's certificate is not a manager's (OU=${String(cert.subject?.OU)})`);
      if (options.clusterId !== undefined && cert.subject?.O !== options.clusterId)
        return new Error(
          `The server's certificate belongs to cluster ${String(cert.subject?.O)}, not ${options.clusterId}`,
        );
      return undefined;
    },
  });
  return {
    credentials,
    update(material) {
      // Checked first: a pair that does not go together must not half-replace the one in use.
      createSecureContext({ key: material.keyPem, cert: material.certPem });
      // The secure context grpc-js connects with is node's; replacing its certificate and key (certificate
      // first, so that the key always matches it) makes every new handshake present the renewed pair.
      const native = (ctx as unknown as { context: { setCert(c: string): void; setKey(k: string): void } })
        .context;
      native.setCert(material.certPem);
      native.setKey(material.keyPem);
    },
  };
}

/**
 * Credentials for ONE call only: fetching the root CA before the joiner trusts anything. The server is not
 * authenticated here; the joiner must check the root CA it gets against its join token (`checkRootCA`)
 * and then dial again with {@link clientCredentials}.
 */
export function bootstrapClientCredentials(): grpc.ChannelCredentials {
  return grpc.credentials.createFromSecureContext(createSecureContext({ minVersion: MIN_TLS_VERSION }), {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
}
