/**
 * The errors of the raft transport. None of them escapes `send()`: a slow, dead or misbehaving peer is
 * reported to the driver (`reportUnreachable`, `reportSnapshot`) and logged with one of these as `err`.
 * Misuse (bad options, a malformed address) throws `TypeError`/`RangeError`; lifecycle misuse throws
 * common's `IllegalStateError`.
 */
import type { SwarmErrorOptions } from '../../../common/index.js';
import { SwarmError } from '../../../common/index.js';

/** The base of every transport error. */
export class TransportError extends SwarmError {}

/**
 * Thrown by the codec for bytes that are not a valid raft message: bad protobuf framing, an unknown or
 * local message type, a missing `to`/`from`/context/snapshot, a term or index past 2^53 - 1, entry data
 * over the size limit. The receiver drops the message (or the frame) with a warning and keeps serving.
 */
export class MalformedMessageError extends TransportError {
  readonly reason: string;

  constructor(reason: string, options: SwarmErrorOptions = {}) {
    super('ERR_TRANSPORT_MALFORMED_MESSAGE', `Cannot decode raft message: ${reason}`, {
      ...options,
      fields: { ...options.fields, reason },
    });
    this.reason = reason;
  }
}

/** Thrown by `addPeer()` for a member id the transport already knows: use `updatePeer()` to move it. */
export class PeerExistsError extends TransportError {
  readonly peerId: bigint;

  constructor(peerId: bigint, address: string) {
    super(
      'ERR_TRANSPORT_PEER_EXISTS',
      `Cannot add peer ${peerId.toString(16)}: it is already known at ${address}`,
      {
        fields: { 'raft.peer': peerId.toString(16), address },
      },
    );
    this.peerId = peerId;
  }
}

/** Thrown by `updatePeer()` for a member id the transport does not know. */
export class UnknownPeerError extends TransportError {
  readonly peerId: bigint;

  constructor(peerId: bigint) {
    super('ERR_TRANSPORT_UNKNOWN_PEER', `Cannot update peer ${peerId.toString(16)}: it is not a known peer`, {
      fields: { 'raft.peer': peerId.toString(16) },
    });
    this.peerId = peerId;
  }
}

/** Thrown by `start()` when the server cannot listen on the address (in use, not local, bad name). */
export class ListenError extends TransportError {
  readonly address: string;

  constructor(address: string, options: SwarmErrorOptions = {}) {
    super('ERR_TRANSPORT_LISTEN', `Cannot listen for raft peers on ${address}`, {
      ...options,
      fields: { ...options.fields, address },
    });
    this.address = address;
  }
}

/**
 * The message stream to a peer broke or could not be opened (peer down, refused, timed out, reset). The
 * transport reconnects with backoff on its own; logged, and reported to raft as unreachable. Temporary.
 */
export class PeerStreamError extends TransportError {
  readonly peerId: bigint;

  constructor(peerId: bigint, address: string, detail: string, options: SwarmErrorOptions = {}) {
    super(
      'ERR_TRANSPORT_PEER_STREAM',
      `Cannot stream raft messages to peer ${peerId.toString(16)} at ${address}: ${detail}`,
      {
        ...options,
        fields: { ...options.fields, 'raft.peer': peerId.toString(16), address },
        temporary: true,
      },
    );
    this.peerId = peerId;
  }
}

/** Sending a snapshot to a peer failed; the driver hears `reportSnapshot(peer, 'failure')`. Temporary. */
export class SnapshotSendError extends TransportError {
  readonly peerId: bigint;

  constructor(peerId: bigint, detail: string, options: SwarmErrorOptions = {}) {
    super('ERR_TRANSPORT_SNAPSHOT_SEND', `Cannot send snapshot to peer ${peerId.toString(16)}: ${detail}`, {
      ...options,
      fields: { ...options.fields, 'raft.peer': peerId.toString(16) },
      temporary: true,
    });
    this.peerId = peerId;
  }
}
