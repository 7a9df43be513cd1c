/**
 * swarmctl's gRPC client of the Control API (proto/control.proto): typed unary calls with a deadline, the
 * Watch and log streams, and every failure turned into an error a person can act on — the manager's own errors as
 * common's `ControlStatusError` (its code, message and fields, from the status trailers), a manager that
 * cannot be reached as a {@link ConnectionError} naming where swarmctl looked.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { type Clock, type ControlStatusError, statusToError, systemClock } from '../../common/index.js';
import { type controlpb, loadGrpcObject, type logspb } from '../../proto/index.js';
import { CliError, ConnectionError } from '../errors.js';
import type { ControlTarget } from './target.js';

type Def = controlpb.ControlDefinition;
/** The unary methods of the Control service. */
export type UnaryMethod = Exclude<keyof Def, 'Watch'>;
/** What a unary method takes. */
export type RequestOf<M extends UnaryMethod> =
  Def[M] extends MethodDefinition<infer R, infer _Res, infer _ReqOut, infer _ResOut> ? R : never;
/** What a unary method answers, as decoded (`PROTO_LOADER_OPTIONS`: int64 as strings, enums as names). */
export type ResponseOf<M extends UnaryMethod> =
  Def[M] extends MethodDefinition<infer _Req, infer _Res, infer _ReqOut, infer O> ? O : never;

/** The deadline of a unary call when the options give none. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface ControlClientOptions {
  target: ControlTarget;
  /**
   * The channel's credentials: a node certificate over TCP (`--host`), none on the Unix socket.
   * @default grpc.credentials.createInsecure()
   */
  credentials?: grpc.ChannelCredentials;
  /** Added to the channel's options (the TLS target name of the managers' certificates). */
  channelOptions?: grpc.ChannelOptions;
  /** The deadline of each unary call, in ms. @default DEFAULT_CALL_TIMEOUT_MS */
  timeoutMs?: number;
  clock?: Clock;
  /** Cancels the calls in flight when aborted (Ctrl-C); they fail with an ERR_CLI_INTERRUPTED error. */
  signal?: AbortSignal;
}

type Callable = (
  req: unknown,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;

/** The errno-like word in grpc-js's "No connection established. Last error: connect ENOENT …". */
const REASONS: readonly [RegExp, string, string][] = [
  [/\bENOENT\b/, 'there is no socket there', 'there is no socket there'],
  [/\bECONNREFUSED\b/, 'nothing listens on it (is swarmd running?)', 'the connection was refused'],
  [/\bEACCES\b/, 'permission denied (the socket belongs to the user running swarmd)', 'permission denied'],
  [/\bENOTDIR\b/, 'a part of the path is not a directory', 'not a directory'],
  [/\b(ENOTFOUND|EAI_AGAIN)\b/, 'the host name does not resolve', 'the host name does not resolve'],
  [/\b(EHOSTUNREACH|ENETUNREACH)\b/, 'the host cannot be reached', 'the host cannot be reached'],
  [/\bETIMEDOUT\b/, 'the connection timed out', 'the connection timed out'],
  [/\bECONNRESET\b/, 'the connection was reset', 'the connection was reset'],
];

function interrupted(): CliError {
  return new CliError('ERR_CLI_INTERRUPTED', 'Interrupted');
}

export class ControlClient {
  readonly #client: controlpb.ControlClient;
  readonly #target: ControlTarget;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #signal: AbortSignal | undefined;
  #logs: logspb.LogsClient | null = null;

  constructor(options: ControlClientOptions) {
    const { swarmd } = loadGrpcObject('control');
    this.#target = options.target;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#signal = options.signal;
    this.#client = new swarmd.control.Control(
      options.target.address,
      options.credentials ?? grpc.credentials.createInsecure(),
      options.channelOptions ?? {},
    );
  }

  get target(): ControlTarget {
    return this.#target;
  }

  /**
   * Calls a unary method.
   * @throws ControlStatusError (the manager's error), ConnectionError, CliError (no answer in time)
   */
  call<M extends UnaryMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const fn = (this.#client as unknown as Record<string, Callable>)[method as string] as Callable;
    const deadline = new Date(this.#clock.now() + this.#timeoutMs);
    const signal = this.#signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(interrupted());
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = fn.call(this.#client, request, { deadline }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve(res as ResponseOf<M>);
        else reject(this.#failure(err));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Streams object events to `onEvent` until `signal` aborts (then resolves) or the stream fails.
   * @throws what {@link call} throws; an error thrown by `onEvent` ends the stream and is rethrown
   */
  watch(
    request: controlpb.WatchRequest,
    onEvent: (event: controlpb.WatchEvent__Output) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return this.#follow(this.#client.Watch(request), onEvent, signal);
  }

  /**
   * Streams containers' output (Logs.SubscribeLogs, on the same connection) to `onMessage` until the
   * manager ends the stream (everything sent, not following) or `signal` aborts (then resolves).
   * @throws what {@link call} throws
   */
  logs(
    request: logspb.SubscribeLogsRequest,
    onMessage: (message: logspb.SubscribeLogsMessage__Output) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    this.#logs ??= new (loadGrpcObject('logs').swarmd.logs.Logs)(
      this.#target.address,
      grpc.credentials.createInsecure(),
      { channelOverride: this.#client.getChannel() },
    );
    return this.#follow(this.#logs.SubscribeLogs(request), onMessage, signal);
  }

  /**
   * Hands a server stream's messages to `onData` until it ends, fails, or `signal` aborts (then it is
   * cancelled and the promise resolves); an error thrown by `onData` ends the stream and is rethrown.
   */
  #follow<T>(
    stream: grpc.ClientReadableStream<T>,
    onData: (m: T) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => {
        stream.cancel();
        settle();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (m: T) => {
        if (settled) return;
        try {
          onData(m);
        } catch (err) {
          stream.cancel();
          settle(err);
        }
      });
      stream.on('error', (err: grpc.ServiceError) => {
        if (err.code === grpc.status.CANCELLED && (signal.aborted || settled)) settle();
        else settle(this.#failure(err));
      });
      stream.on('end', () => settle());
    });
  }

  close(): void {
    this.#logs?.close();
    this.#client.close();
  }

  /** The error for a failed call: the manager's, or one that says the manager was not reached. */
  #failure(err: grpc.ServiceError): Error {
    if (err.code === grpc.status.CANCELLED && this.#signal?.aborted) return interrupted();
    const received = statusToError(err);
    const fromServer = !received.code.startsWith('ERR_GRPC_');
    if (fromServer) return received;
    const state = this.#client.getChannel().getConnectivityState(false);
    if (err.code === grpc.status.UNAVAILABLE && state !== grpc.connectivityState.READY)
      return this.#connectionError(err.details, received);
    if (err.code === grpc.status.DEADLINE_EXCEEDED) {
      const seconds = `${this.#timeoutMs / 1000}s`;
      if (state !== grpc.connectivityState.READY)
        return this.#connectionError(`no connection within ${seconds}`, received);
      return new CliError(
        'ERR_CLI_TIMEOUT',
        `The manager at ${this.#target.description} did not answer within ${seconds}; it may be busy or electing a leader, retry in a moment (or give more time with --timeout)`,
        { cause: received, temporary: true },
      );
    }
    return received;
  }

  #connectionError(details: string, cause: ControlStatusError): ConnectionError {
    const unix = this.#target.kind === 'unix';
    const known = REASONS.find(([re]) => re.test(details));
    const reason = known === undefined ? details : unix ? known[1] : known[2];
    const hint = unix
      ? 'is swarmd running with this state dir? Point swarmctl at a manager with --socket PATH (or $SWARM_SOCKET) or --host HOST:PORT'
      : 'is a manager listening there? Point swarmctl at a manager with --host HOST:PORT or --socket PATH';
    return new ConnectionError(this.#target.description, reason, hint, { cause });
  }
}
