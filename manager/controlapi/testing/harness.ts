/**
 * A Control API served for real, for tests: a MemoryStore without proposer, a ControlService with a
 * FakeClock and seeded ids, a gRPC server on a Unix socket in a temporary directory, and a client of it.
 * `close()` closes the client, the server, the service and the store, and removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { nullLogger, SeededRand } from '../../../common/index.js';
import { FakeClock } from '../../../common/testing/index.js';
import { type controlpb, loadGrpcObject } from '../../../proto/index.js';
import { MemoryStore } from '../../store/index.js';
import { SeededIdSource } from '../../store/testing/index.js';
import type { ControlService, ControlServiceOptions } from '../control-service.js';
import { rootCAJoinTokens } from '../join-tokens.js';
import { serveControlApi } from '../server.js';

type Def = controlpb.ControlDefinition;
/** The unary methods of the Control service. */
export type UnaryMethod = Exclude<keyof Def, 'Watch'>;
/** What a unary method takes. */
export type RequestOf<M extends UnaryMethod> =
  Def[M] extends MethodDefinition<infer R, infer _Res, infer _ReqOut, infer _ResOut> ? R : never;
/** What a unary method answers, as decoded. */
export type ResponseOf<M extends UnaryMethod> =
  Def[M] extends MethodDefinition<infer _Req, infer _Res, infer _ReqOut, infer O> ? O : never;

export interface ControlHarness {
  readonly store: MemoryStore;
  readonly control: ControlService;
  readonly clock: FakeClock;
  readonly ids: SeededIdSource;
  readonly client: controlpb.ControlClient;
  /** `unix:<dir>/swarmd.sock`. */
  readonly address: string;
  /** Calls a unary method; rejects with the `grpc.ServiceError`. */
  call<M extends UnaryMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  close(): Promise<void>;
}

export interface ControlHarnessOptions {
  /** Seeds the object ids. @default 1 */
  seed?: number;
  linearizableRead?: ControlServiceOptions['linearizableRead'];
}

type Callable = (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

/** Bytes from a seeded generator: tokens that tests can repeat. */
function seededBytes(seed: number): (n: number) => Uint8Array {
  const rand = new SeededRand(BigInt(seed));
  return (n) => Uint8Array.from({ length: n }, () => rand.int(256));
}

export async function startControlHarness(options: ControlHarnessOptions = {}): Promise<ControlHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'swarmd-controlapi-'));
  const clock = new FakeClock();
  const ids = new SeededIdSource(options.seed ?? 1);
  const store = new MemoryStore({ clock });
  const server = new grpc.Server();
  const control = serveControlApi(
    {
      server,
      store,
      clock,
      ids,
      logger: nullLogger,
      linearizableRead: options.linearizableRead ?? (() => Promise.resolve()),
    },
    { joinTokens: rootCAJoinTokens(seededBytes((options.seed ?? 1) + 1000)) },
  );
  const address = `unix:${join(dir, 'swarmd.sock')}`;
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) =>
      err === null ? resolve() : reject(err),
    ),
  );
  const { swarmd } = loadGrpcObject('control');
  const client = new swarmd.control.Control(address, grpc.credentials.createInsecure());
  let closed = false;
  return {
    store,
    control,
    clock,
    ids,
    client,
    address,
    call<M extends UnaryMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
      const fn = (client as unknown as Record<string, Callable>)[method as string] as Callable;
      return new Promise((resolve, reject) => {
        fn.call(client, request, (err, res) => (err === null ? resolve(res as ResponseOf<M>) : reject(err)));
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      client.close();
      await control.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
