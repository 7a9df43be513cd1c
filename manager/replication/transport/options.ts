import { constants as bufferConstants } from 'node:buffer';
import * as grpc from '@grpc/grpc-js';
import type { Clock, Logger, Rand } from '../../../common/index.js';
import { nullLogger, randomSeededRand, systemClock } from '../../../common/index.js';
import type { Message, SnapshotStatus } from '../../raft/index.js';

/**
 * What the transport tells the driver. Every callback is invoked asynchronously (never from inside
 * `send()`), on the event loop; none may throw (a throw is logged and swallowed).
 */
export interface RaftTransportHandler {
  /**
   * A message from a peer, validated and addressed to this member, in the order its sender sent it; a
   * MsgSnap arrives whole, once all its chunks are in. Typically `rawNode.step(message)`. A throw from a
   * MsgSnap fails the snapshot on the sender's side.
   */
  onMessage(message: Message): void;
  /** Messages to `peerId` were dropped (queue full, stream down, peer unknown): `rawNode.reportUnreachable`. */
  reportUnreachable(peerId: bigint): void;
  /** The MsgSnap sent to `peerId` was received whole (`finish`) or not (`failure`): `rawNode.reportSnapshot`. */
  reportSnapshot(peerId: bigint, status: SnapshotStatus): void;
}

/** The raft transport of one member: its gRPC server and its streams to the other members. */
export interface RaftTransportOptions {
  /** This member's raft id: non-zero, 64-bit. */
  id: bigint;
  /** `host:port` to serve peers on (`[::1]:4242` for IPv6); port 0 lets the OS choose one. */
  listenAddress: string;
  handler: RaftTransportHandler;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** Arms the connect timeouts and reconnect backoffs. @default the system clock */
  clock?: Clock;
  /** Jitters the reconnect backoff. @default a generator seeded from the CSPRNG */
  rand?: Rand;
  /**
   * A gRPC server, already bound by its owner, to register the Raft service on instead of creating one, so
   * that raft shares one port with the manager's other services. `listenAddress` is then only the address
   * reported by `start()` (the one peers reach the server at), `serverCredentials` is unused, the owner
   * should allow messages of `maxMessageBytes` (`grpc.max_receive_message_length`), and `stop()` removes the
   * service and ends the peers' open streams but leaves the server running. @default none: the transport
   * creates, binds and shuts down its own server
   */
  server?: grpc.Server;
  /** @default insecure (plain TCP); mTLS comes with the CA */
  serverCredentials?: grpc.ServerCredentials;
  /** @default insecure (plain TCP) */
  channelCredentials?: grpc.ChannelCredentials;
  /** Extra options for every channel to a peer (e.g. `grpc.ssl_target_name_override` with TLS). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * Messages waiting per peer while its stream is busy or connecting; past it, messages are dropped and
   * the peer is reported unreachable (etcd's stream buffer). @default 4096
   */
  maxQueuedMessages?: number;
  /** Messages written while the stream was busy are coalesced into frames of up to this many bytes
   * (a single larger message still goes alone). @default 4 MiB */
  maxFrameBytes?: number;
  /** The largest gRPC message sent or accepted; a message over it is dropped, never sent. @default 64 MiB */
  maxMessageBytes?: number;
  /** The largest entry data accepted from a peer; a message with a larger entry is dropped. @default 16 MiB */
  maxEntryBytes?: number;
  /** Snapshots are sent in chunks of this many bytes. @default 1 MiB */
  snapshotChunkBytes?: number;
  /** The largest snapshot accepted from a peer. @default the largest Buffer (4 GiB on Node 20) */
  maxSnapshotBytes?: number;
  /** A snapshot not acknowledged within this time fails. @default 300000 (5 min) */
  snapshotTimeoutMs?: number;
  /** A stream to a peer not accepted within this time is abandoned and retried. @default 2000 */
  connectTimeoutMs?: number;
  /** The first reconnect delay after a stream fails; it doubles on each failure. @default 100 */
  minBackoffMs?: number;
  /** The longest reconnect delay. @default 2000 */
  maxBackoffMs?: number;
  /** Pings on an idle connection to a peer, to notice a peer that vanished. @default 10000 */
  keepaliveMs?: number;
}

/** {@link RaftTransportOptions} validated, with every default filled in. */
export interface CompiledRaftTransportOptions {
  readonly id: bigint;
  readonly listenAddress: string;
  readonly handler: RaftTransportHandler;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly server: grpc.Server | null;
  readonly serverCredentials: grpc.ServerCredentials;
  readonly channelCredentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  readonly maxQueuedMessages: number;
  readonly maxFrameBytes: number;
  readonly maxMessageBytes: number;
  readonly maxEntryBytes: number;
  readonly snapshotChunkBytes: number;
  readonly maxSnapshotBytes: number;
  readonly snapshotTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly keepaliveMs: number;
}

const MiB = 1024 * 1024;
const ADDRESS_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * Splits `host:port`, checking the form (a bracketed IPv6 literal, an IPv4 literal or a host name) and
 * the port (1-65535, or 0 with `allowPortZero`).
 * @throws TypeError for a malformed address
 */
export function parseHostPort(address: string, allowPortZero = false): { host: string; port: number } {
  const m = typeof address === 'string' ? ADDRESS_RE.exec(address) : null;
  const port = m ? Number(m[2]) : Number.NaN;
  if (m === null || port > 65535 || (port === 0 && !allowPortZero))
    throw new TypeError(`Cannot use address "${String(address)}": expected host:port with a port in 1-65535`);
  return { host: m[1] as string, port };
}

/**
 * Checks a member id: non-zero and 64-bit.
 * @throws RangeError
 */
export function checkMemberId(name: string, id: bigint): bigint {
  if (typeof id !== 'bigint' || id <= 0n || id >= 1n << 64n)
    throw new RangeError(`${name} must be a non-zero 64-bit bigint, got ${String(id)}`);
  return id;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Validates the options and fills in the defaults, in one place.
 * @throws RangeError, TypeError naming the first invalid option
 */
export function compileRaftTransportOptions(options: RaftTransportOptions): CompiledRaftTransportOptions {
  const id = checkMemberId('id', options.id);
  parseHostPort(options.listenAddress, true);
  const h = options.handler;
  if (
    typeof h?.onMessage !== 'function' ||
    typeof h.reportUnreachable !== 'function' ||
    typeof h.reportSnapshot !== 'function'
  )
    throw new TypeError('handler must have onMessage, reportUnreachable and reportSnapshot methods');
  const maxMessageBytes = positiveInt('maxMessageBytes', options.maxMessageBytes ?? 64 * MiB);
  if (maxMessageBytes > 2 ** 31 - 1)
    throw new RangeError(`maxMessageBytes must be below 2 GiB, got ${maxMessageBytes}`);
  const maxFrameBytes = positiveInt(
    'maxFrameBytes',
    options.maxFrameBytes ?? Math.min(4 * MiB, maxMessageBytes),
  );
  const maxEntryBytes = positiveInt(
    'maxEntryBytes',
    options.maxEntryBytes ?? Math.min(16 * MiB, maxMessageBytes),
  );
  const snapshotChunkBytes = positiveInt('snapshotChunkBytes', options.snapshotChunkBytes ?? MiB);
  for (const [name, v] of [
    ['maxFrameBytes', maxFrameBytes],
    ['maxEntryBytes', maxEntryBytes],
    ['snapshotChunkBytes', snapshotChunkBytes],
  ] as const)
    if (v > maxMessageBytes)
      throw new RangeError(`${name} must not exceed maxMessageBytes (${maxMessageBytes}), got ${v}`);
  const minBackoffMs = positiveInt('minBackoffMs', options.minBackoffMs ?? 100);
  const maxBackoffMs = positiveInt('maxBackoffMs', options.maxBackoffMs ?? 2000);
  if (maxBackoffMs < minBackoffMs)
    throw new RangeError(`maxBackoffMs must be at least minBackoffMs, got ${maxBackoffMs} < ${minBackoffMs}`);
  return {
    id,
    listenAddress: options.listenAddress,
    handler: h,
    logger: options.logger ?? nullLogger,
    clock: options.clock ?? systemClock,
    rand: options.rand ?? randomSeededRand(),
    server: options.server ?? null,
    serverCredentials: options.serverCredentials ?? grpc.ServerCredentials.createInsecure(),
    channelCredentials: options.channelCredentials ?? grpc.credentials.createInsecure(),
    channelOptions: options.channelOptions ?? {},
    maxQueuedMessages: positiveInt('maxQueuedMessages', options.maxQueuedMessages ?? 4096),
    maxFrameBytes,
    maxMessageBytes,
    maxEntryBytes,
    snapshotChunkBytes,
    maxSnapshotBytes: positiveInt('maxSnapshotBytes', options.maxSnapshotBytes ?? bufferConstants.MAX_LENGTH),
    snapshotTimeoutMs: positiveInt('snapshotTimeoutMs', options.snapshotTimeoutMs ?? 300_000),
    connectTimeoutMs: positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 2000),
    minBackoffMs,
    maxBackoffMs,
    keepaliveMs: positiveInt('keepaliveMs', options.keepaliveMs ?? 10_000),
  };
}
