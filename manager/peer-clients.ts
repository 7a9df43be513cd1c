/**
 * gRPC clients to the other managers' Membership and Forwarding services (proto/manager.proto), one channel
 * per address, reused. A call first waits (briefly) for the channel to connect: a manager that cannot be
 * reached fails with {@link LeaderUnreachableError} BEFORE anything is sent, so the router may safely try
 * another; a call that breaks after it was sent has an unknown outcome (grpc-status.ts).
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/index.js';
import type { managerpb } from '../proto/index.js';
import { loadGrpcObject } from '../proto/index.js';
import { LeaderUnreachableError } from './errors.js';
import { FORWARDED_KEY, fromStatus } from './grpc-status.js';

const MiB = 1024 * 1024;

/** Channel options: fast reconnects (a restarted leader comes back on the same address), large messages. */
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.max_receive_message_length': 64 * MiB,
  'grpc.max_send_message_length': 64 * MiB,
};

export interface CallOptions {
  /** What the call does, for errors: `join the cluster`. */
  readonly what: string;
  /** How long to wait for a connection before giving up (nothing sent). */
  readonly connectTimeoutMs: number;
  /** The call's deadline once sent. */
  readonly timeoutMs: number;
  /** Marks a call relayed by a follower: the receiver never relays it again. */
  readonly forwarded?: boolean;
}

/** Sends one unary call with the given metadata and options. */
export type Invoke<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => void;

export class PeerClients {
  readonly #clock: Clock;
  readonly #credentials: grpc.ChannelCredentials;
  readonly #channelOptions: grpc.ChannelOptions;
  readonly #membership = new Map<string, managerpb.MembershipClient>();
  readonly #forwarding = new Map<string, managerpb.ForwardingClient>();
  #closed = false;

  /** `channelOptions`: added to {@link PEER_CHANNEL_OPTIONS} (the TLS target name, say). */
  constructor(
    clock: Clock,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    channelOptions: grpc.ChannelOptions = {},
  ) {
    this.#clock = clock;
    this.#credentials = credentials;
    this.#channelOptions = { ...PEER_CHANNEL_OPTIONS, ...channelOptions };
  }

  membership(address: string): managerpb.MembershipClient {
    let c = this.#membership.get(address);
    if (c === undefined) {
      const { Membership } = loadGrpcObject('manager').swarmd.manager;
      c = new Membership(address, this.#credentials, this.#channelOptions);
      this.#membership.set(address, c);
    }
    return c;
  }

  forwarding(address: string): managerpb.ForwardingClient {
    let c = this.#forwarding.get(address);
    if (c === undefined) {
      const { Forwarding } = loadGrpcObject('manager').swarmd.manager;
      c = new Forwarding(address, this.#credentials, this.#channelOptions);
      this.#forwarding.set(address, c);
    }
    return c;
  }

  /**
   * Calls `invoke` on `client` at `address`: waits for the connection (else LeaderUnreachableError,
   * nothing sent), then sends with a deadline.
   * @throws (rejects) LeaderUnreachableError; RemoteError (grpc-status.ts)
   */
  async call<Res>(client: grpc.Client, address: string, invoke: Invoke<Res>, o: CallOptions): Promise<Res> {
    if (this.#closed) throw new LeaderUnreachableError(o.what, address);
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(this.#clock.now() + o.connectTimeoutMs, (err) =>
        err ? reject(new LeaderUnreachableError(o.what, address, { cause: err })) : resolve(),
      );
    });
    const metadata = new grpc.Metadata();
    if (o.forwarded) metadata.set(FORWARDED_KEY, '1');
    return new Promise<Res>((resolve, reject) => {
      invoke(metadata, { deadline: this.#clock.now() + o.timeoutMs }, (err, res) => {
        if (err) reject(fromStatus(o.what, address, err));
        else resolve(res as Res);
      });
    });
  }

  /** Closes every channel. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const c of [...this.#membership.values(), ...this.#forwarding.values()]) c.close();
    this.#membership.clear();
    this.#forwarding.clear();
  }
}
