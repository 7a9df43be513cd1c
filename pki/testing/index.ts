/**
 * @module pki/testing — fixtures for tests of pki and of the services that authorize calls: credentials
 * signed by a root CA, and a tiny gRPC service (JSON over the wire) served over real TLS on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeRole } from '../../proto/index.js';
import { createKeyAndCSR, signNodeCertificate } from '../node-certificate.js';
import type { NodeCredentials } from '../node-credentials.js';
import type { RootCA } from '../root-ca.js';
import type { ServerTlsMaterial } from '../tls.js';
import { serverCredentials } from '../tls.js';

/** A key and a certificate signed by `root` for `nodeId`, with the root's PEM. */
export async function issueTestCredentials(options: {
  root: RootCA;
  clusterId: string;
  nodeId: string;
  role: NodeRole;
  now: number;
  validityMs?: number;
  backdateMs?: number;
}): Promise<NodeCredentials> {
  const { keyPem, csrPem } = await createKeyAndCSR({ nodeId: options.nodeId });
  const certPem = await signNodeCertificate({
    rootCA: options.root,
    csrPem,
    nodeId: options.nodeId,
    role: options.role,
    clusterId: options.clusterId,
    now: options.now,
    ...(options.validityMs === undefined ? {} : { validityMs: options.validityMs }),
    ...(options.backdateMs === undefined ? {} : { backdateMs: options.backdateMs }),
  });
  return { keyPem, certPem, rootCAPem: options.root.certificatePem };
}

const json = {
  serialize: (v: unknown): Buffer => Buffer.from(JSON.stringify(v ?? null)),
  deserialize: (b: Buffer): unknown => JSON.parse(b.toString('utf8')),
};

function unaryMethod(path: string): grpc.MethodDefinition<unknown, unknown> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

/** `swarmd.test.Echo`: `Echo` (open to every node) and `ManagerOnly`, both unary, JSON. */
export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Echo: unaryMethod('/swarmd.test.Echo/Echo'),
  ManagerOnly: unaryMethod('/swarmd.test.Echo/ManagerOnly'),
};

export const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

/** Calls a unary method of a generic client; resolves with the response or rejects with the ServiceError. */
export function callUnary(
  client: grpc.Client,
  method: string,
  req: unknown,
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>)[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    fn.call(
      client,
      req,
      { deadline: new Date(Date.now() + timeoutMs) },
      (err: grpc.ServiceError | null, res: unknown) => (err === null ? resolve(res) : reject(err)),
    );
  });
}

/** A gRPC server with TLS on 127.0.0.1 and an ephemeral port. */
export interface TestTlsServer {
  server: grpc.Server;
  port: number;
  address: string;
  close(): Promise<void>;
}

/** Starts a server with `register` adding services, over {@link serverCredentials} of `material`. */
export async function startTestTlsServer(
  material: ServerTlsMaterial,
  register: (server: grpc.Server) => void,
): Promise<TestTlsServer> {
  const server = new grpc.Server();
  register(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(material), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // A client that never closes its channel must not hang the test.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
