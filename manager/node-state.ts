/**
 * A manager's identity on disk: `<state-dir>/node.json`, written once when the node is created (`init`,
 * `join`) and read on every start. Written atomically (a temporary file, fsync, rename, fsync of the dir),
 * so a crash leaves the old file or the new one, never half of one.
 *
 * ```json
 * { "format": "swarmd-node", "version": 1, "nodeId": "…", "raftId": "9f3c…", "clusterId": "…",
 *   "role": "manager", "listenAddr": "0.0.0.0:4242", "advertiseAddr": "10.0.0.1:4242",
 *   "joined": false, "peers": [{ "raftId": "9f3c…", "address": "10.0.0.1:4242" }], "createdAt": 1764… }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, errorMessage, isId, writeFileAtomic } from '../common/index.js';
import { parseAddress } from './address.js';
import { StateDirError } from './errors.js';

export const NODE_FILE = 'node.json';

/** A raft member id and its cluster address. */
export interface PeerAddress {
  readonly id: bigint;
  readonly address: string;
}

export interface NodeState {
  readonly nodeId: string;
  /** The raft member id: non-zero, 64-bit, never reused in the cluster. */
  readonly raftId: bigint;
  readonly clusterId: string;
  readonly role: 'manager';
  /** Where the cluster port listens (`0.0.0.0:4242`); a concrete port (the one first bound). */
  readonly listenAddr: string;
  /** Where the other managers reach this one; recorded in the raft membership, so it does not change. */
  readonly advertiseAddr: string;
  /** false: this node created the cluster (it bootstraps raft alone); true: it joined one. */
  readonly joined: boolean;
  /**
   * The members known when the node was created (itself for a founder, the join answer for a joiner):
   * they seed raft's address book on every start; addresses learnt from the log take precedence.
   */
  readonly peers: readonly PeerAddress[];
  /** ms since the epoch. */
  readonly createdAt: number;
}

const hex = (id: bigint): string => id.toString(16);

function parseRaftId(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^[0-9a-f]{1,16}$/.test(v)) throw new TypeError(`${what} must be a hex id`);
  const id = BigInt(`0x${v}`);
  if (id === 0n) throw new TypeError(`${what} must not be 0`);
  return id;
}

function decode(text: string): NodeState {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || o.format !== 'swarmd-node')
    throw new TypeError('not a swarmd node file');
  if (o.version !== 1) throw new TypeError(`unknown version ${String(o.version)}`);
  for (const k of ['nodeId', 'clusterId'] as const)
    if (typeof o[k] !== 'string' || !isId(o[k])) throw new TypeError(`${k} must be an object id`);
  if (o.role !== 'manager') throw new TypeError(`role must be "manager", got ${String(o.role)}`);
  for (const k of ['listenAddr', 'advertiseAddr'] as const) {
    if (typeof o[k] !== 'string') throw new TypeError(`${k} must be a string`);
    parseAddress(o[k], { allowEmptyHost: k === 'listenAddr' });
  }
  if (typeof o.joined !== 'boolean') throw new TypeError('joined must be a boolean');
  if (!Array.isArray(o.peers)) throw new TypeError('peers must be a list');
  const peers = o.peers.map((p: unknown, i) => {
    const r = p as Record<string, unknown>;
    if (typeof r?.address !== 'string') throw new TypeError(`peers[${i}].address must be a string`);
    parseAddress(r.address);
    return { id: parseRaftId(r.raftId, `peers[${i}].raftId`), address: r.address };
  });
  if (typeof o.createdAt !== 'number') throw new TypeError('createdAt must be a number');
  return {
    nodeId: o.nodeId as string,
    raftId: parseRaftId(o.raftId, 'raftId'),
    clusterId: o.clusterId as string,
    role: 'manager',
    listenAddr: o.listenAddr as string,
    advertiseAddr: o.advertiseAddr as string,
    joined: o.joined,
    peers,
    createdAt: o.createdAt,
  };
}

function encode(s: NodeState): string {
  return `${JSON.stringify(
    {
      format: 'swarmd-node',
      version: 1,
      nodeId: s.nodeId,
      raftId: hex(s.raftId),
      clusterId: s.clusterId,
      role: s.role,
      listenAddr: s.listenAddr,
      advertiseAddr: s.advertiseAddr,
      joined: s.joined,
      peers: s.peers.map((p) => ({ raftId: hex(p.id), address: p.address })),
      createdAt: s.createdAt,
    },
    null,
    2,
  )}\n`;
}

/**
 * The node state of `dir`, or null when the dir has none (a new node).
 * @throws StateDirError when the file exists but cannot be read or is damaged
 */
export async function readNodeState(dir: string): Promise<NodeState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, NODE_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw new StateDirError(dir, `cannot read ${NODE_FILE}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    return decode(text);
  } catch (err) {
    throw new StateDirError(dir, `${NODE_FILE} is damaged: ${errorMessage(err)}`, { cause: err });
  }
}

/** Writes the node state of `dir` atomically (temporary file, fsync, rename, fsync of the dir). */
export async function writeNodeState(dir: string, state: NodeState): Promise<void> {
  await writeFileAtomic(join(dir, NODE_FILE), encode(state));
}
