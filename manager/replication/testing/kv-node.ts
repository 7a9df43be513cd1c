/**
 * A real process running one {@link ReplicatedNode} over the {@link KvStateMachine}, for the real-process
 * tests and the benchmark (`bench/raft.ts`). Not a product: a test fixture with a tiny HTTP API on loopback.
 *
 * ```
 * node kv-node.js --id 1 --dir /tmp/n1 --listen 127.0.0.1:7001 --api 127.0.0.1:8001 \
 *   --members 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003 [--join] [--tick-ms 100]
 *   [--snapshot-entries 10000] [--log-tail 500] [--request-timeout-ms 10000] [--log-level warn]
 * ```
 *
 * Prints ONE JSON line on stdout when it serves: `{"event":"ready","id":"1","raft":"…","api":"…","pid":…}`,
 * or, when it cannot start (a damaged WAL…), `{"event":"failed","error":{code,message,…fields}}` and exits
 * with code 1. Logs go to stderr as JSON lines. SIGTERM/SIGINT stop it cleanly.
 *
 * HTTP API (JSON unless said otherwise; errors: `{"error":{"code","message","leaderId"?,…}}` with 503 for
 * retryable refusals — not leader, dropped, timeout, stopped — and 400 for bad requests):
 * - `PUT /kv/KEY` (body: the value) → `{"ok","revision"}`
 * - `GET /kv/KEY[?local=1]` → the value (body) with `x-revision`, or 404; linearizable unless `local`
 * - `DELETE /kv/KEY` → `{"ok","revision"}`
 * - `POST /cas/KEY` `{"expected": base64 | null, "value": base64}` → `{"ok","revision","current"}`
 * - `GET /status` → {@link KvNodeStatus}
 * - `POST /transfer` `{"to":"ID"}`, `POST /members` `{"id","address"}`, `DELETE /members/ID`, `POST /campaign`
 */
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { createLogger, errorMessage, parseLogLevel, SwarmError } from '../../../common/index.js';
import type { MemberAddress, ReplicatedNodeStatus } from '../index.js';
import { MembershipError, ReplicatedNode } from '../index.js';
import { parseHostPort } from '../transport/index.js';
import { encodeKvCommand, KvStateMachine } from './kv-state-machine.js';

/** {@link ReplicatedNodeStatus} as JSON: ids as decimal strings. */
export interface KvNodeStatus {
  readonly id: string;
  readonly state: string;
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly isLeader: boolean;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly members: readonly { id: string; address: string | null; role: string; match: number | null }[];
  readonly removedIds: readonly string[];
  readonly isRemoved: boolean;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  readonly keys: number;
}

function statusJson(st: ReplicatedNodeStatus, keys: number): KvNodeStatus {
  return {
    id: st.id.toString(),
    state: st.state,
    role: st.role,
    term: st.term,
    leaderId: st.leaderId === null ? null : st.leaderId.toString(),
    isLeader: st.isLeader,
    commit: st.commit,
    applied: st.applied,
    firstIndex: st.firstIndex,
    lastIndex: st.lastIndex,
    snapshotIndex: st.snapshotIndex,
    members: st.members.map((m) => ({
      id: m.id.toString(),
      address: m.address,
      role: m.role,
      match: m.match,
    })),
    removedIds: st.removedIds.map(String),
    isRemoved: st.isRemoved,
    snapshotsTaken: st.snapshotsTaken,
    snapshotsInstalled: st.snapshotsInstalled,
    keys,
  };
}

function parseMembers(s: string): MemberAddress[] {
  if (s === '') return [];
  return s.split(',').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 1) throw new TypeError(`Cannot parse --members: expected ID=HOST:PORT, got "${part}"`);
    return { id: BigInt(part.slice(0, eq)), address: part.slice(eq + 1) };
  });
}

function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof SwarmError) {
    const out: Record<string, unknown> = { ...err.toJSON() };
    const leaderId = (err as { leaderId?: unknown }).leaderId;
    if (typeof leaderId === 'bigint') out.leaderId = leaderId.toString();
    if (err.cause !== undefined) out.cause = errorMessage(err.cause);
    return out;
  }
  return { name: err instanceof Error ? err.name : 'Error', message: errorMessage(err) };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: unknown): void {
  const bad = err instanceof RangeError || err instanceof TypeError || err instanceof MembershipError;
  send(res, bad ? 400 : 503, { error: errorJson(err) });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      dir: { type: 'string' },
      listen: { type: 'string' },
      api: { type: 'string' },
      members: { type: 'string', default: '' },
      join: { type: 'boolean', default: false },
      'tick-ms': { type: 'string', default: '100' },
      'snapshot-entries': { type: 'string', default: '10000' },
      'log-tail': { type: 'string', default: '500' },
      'request-timeout-ms': { type: 'string', default: '10000' },
      'log-level': { type: 'string', default: 'warn' },
    },
  });
  if (
    values.id === undefined ||
    values.dir === undefined ||
    values.listen === undefined ||
    values.api === undefined
  )
    throw new TypeError('usage: kv-node --id N --dir DIR --listen HOST:PORT --api HOST:PORT [--members …]');
  const logger = createLogger({ level: parseLogLevel(values['log-level']) });
  const sm = new KvStateMachine();
  const node = new ReplicatedNode({
    id: BigInt(values.id),
    dir: values.dir,
    listenAddress: values.listen,
    stateMachine: sm,
    members: parseMembers(values.members),
    join: values.join,
    tickMs: Number(values['tick-ms']),
    snapshotEntries: Number(values['snapshot-entries']),
    logTailEntries: Number(values['log-tail']),
    requestTimeoutMs: Number(values['request-timeout-ms']),
    logger,
  });
  const running = node.run();
  running.catch(() => {});
  try {
    await node.whenStarted();
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ event: 'failed', error: errorJson(err) })}\n`);
    await node.stop();
    process.exitCode = 1;
    return;
  }

  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    handle(node, sm, req, res).catch((err: unknown) => sendError(res, err));
  });
  const api = parseHostPort(values.api, true);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(api.port, api.host, () => resolve());
  });
  const bound = server.address();
  const apiAddress = typeof bound === 'object' && bound !== null ? `${api.host}:${bound.port}` : values.api;
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', id: values.id, raft: node.address, api: apiAddress, pid: process.pid })}\n`,
  );

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    void node.stop();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  try {
    await running;
  } catch (err) {
    logger.error('kv node failed', { err });
    process.exitCode = 1;
  }
  shutdown();
}

async function handle(
  node: ReplicatedNode<unknown>,
  sm: KvStateMachine,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const method = req.method ?? 'GET';
  if (path.startsWith('/kv/')) {
    const key = decodeURIComponent(path.slice(4));
    if (method === 'PUT') {
      const value = await readBody(req);
      const r = (await node.propose(encodeKvCommand({ op: 'put', key, value }))) as {
        ok: boolean;
        revision: number;
      };
      send(res, 200, { ok: r.ok, revision: r.revision });
      return;
    }
    if (method === 'DELETE') {
      await readBody(req);
      const r = (await node.propose(encodeKvCommand({ op: 'delete', key }))) as {
        ok: boolean;
        revision: number;
      };
      send(res, 200, { ok: r.ok, revision: r.revision });
      return;
    }
    if (method === 'GET') {
      await readBody(req);
      if (!/(^|&)local=1(&|$)/.test(query)) await node.readIndex();
      const v = sm.get(key);
      if (v === null) {
        send(res, 404, { error: { code: 'NOT_FOUND', message: `no key "${key}"` } });
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': v.value.byteLength,
        'x-revision': String(v.revision),
      });
      res.end(v.value);
      return;
    }
  }
  if (path.startsWith('/cas/') && method === 'POST') {
    const key = decodeURIComponent(path.slice(5));
    const body = JSON.parse((await readBody(req)).toString('utf8')) as {
      expected: string | null;
      value: string;
    };
    const r = (await node.propose(
      encodeKvCommand({
        op: 'cas',
        key,
        expected: body.expected === null ? null : Buffer.from(body.expected, 'base64'),
        value: Buffer.from(body.value, 'base64'),
      }),
    )) as { ok: boolean; revision: number; current: Uint8Array | null };
    send(res, 200, {
      ok: r.ok,
      revision: r.revision,
      current: r.current === null ? null : Buffer.from(r.current).toString('base64'),
    });
    return;
  }
  if (path === '/status' && method === 'GET') {
    await readBody(req);
    send(res, 200, statusJson(node.status(), sm.size));
    return;
  }
  if (path === '/transfer' && method === 'POST') {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as { to: string };
    await node.transferLeadership(BigInt(body.to));
    send(res, 200, {});
    return;
  }
  if (path === '/members' && method === 'POST') {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as { id: string; address: string };
    const conf = await node.addMember(BigInt(body.id), body.address);
    send(res, 200, { voters: conf.voters.map(String), learners: conf.learners.map(String) });
    return;
  }
  if (path.startsWith('/members/') && method === 'DELETE') {
    await readBody(req);
    const conf = await node.removeMember(BigInt(path.slice(9)));
    send(res, 200, { voters: conf.voters.map(String), learners: conf.learners.map(String) });
    return;
  }
  if (path === '/campaign' && method === 'POST') {
    await readBody(req);
    node.campaign();
    send(res, 200, {});
    return;
  }
  await readBody(req);
  send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${path}` } });
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ event: 'failed', error: errorJson(err) })}\n`);
  process.exitCode = 1;
});
