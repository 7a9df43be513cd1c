import * as http from 'node:http';
import type { KvNodeStatus } from './kv-node.js';

/** An error answer from a kv-node (`code` is the driver's error code, e.g. `ERR_REPLICATION_NOT_LEADER`). */
export class KvClientError extends Error {
  readonly code: string;
  readonly status: number;
  /** The leader's id (decimal string) for a not-leader refusal, when the node knows it. */
  readonly leaderId: string | null;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const code = typeof body.code === 'string' ? body.code : `HTTP_${status}`;
    super(`kv-node answered ${status} ${code}: ${typeof body.message === 'string' ? body.message : ''}`);
    this.name = 'KvClientError';
    this.code = code;
    this.status = status;
    this.leaderId = typeof body.leaderId === 'string' ? body.leaderId : null;
    this.body = body;
  }
}

/** A write's outcome. */
export interface KvWriteResult {
  readonly ok: boolean;
  readonly revision: number;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The client of one kv-node's HTTP API (see kv-node.ts), over keep-alive connections (up to
 * `maxSockets` requests in flight). Every request has a timeout; none hangs.
 */
export class KvClient {
  readonly address: string;
  readonly #host: string;
  readonly #port: number;
  readonly #agent: http.Agent;
  readonly #timeoutMs: number;

  constructor(address: string, options: { maxSockets?: number; timeoutMs?: number } = {}) {
    this.address = address;
    const colon = address.lastIndexOf(':');
    this.#host = address.slice(0, colon);
    this.#port = Number(address.slice(colon + 1));
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async put(key: string, value: Uint8Array): Promise<KvWriteResult> {
    return this.#json(await this.#request('PUT', `/kv/${encodeURIComponent(key)}`, value)) as KvWriteResult;
  }

  async delete(key: string): Promise<KvWriteResult> {
    return this.#json(await this.#request('DELETE', `/kv/${encodeURIComponent(key)}`)) as KvWriteResult;
  }

  /** The value, or null when absent; linearizable unless `local`. */
  async get(
    key: string,
    options: { local?: boolean } = {},
  ): Promise<{ value: Buffer; revision: number } | null> {
    const r = await this.#request('GET', `/kv/${encodeURIComponent(key)}${options.local ? '?local=1' : ''}`);
    if (r.status === 404) return null;
    if (r.status !== 200) this.#json(r);
    return { value: r.body, revision: Number(r.headers['x-revision']) };
  }

  async cas(
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array,
  ): Promise<KvWriteResult & { current: Buffer | null }> {
    const body = JSON.stringify({
      expected: expected === null ? null : Buffer.from(expected).toString('base64'),
      value: Buffer.from(value).toString('base64'),
    });
    const r = this.#json(
      await this.#request('POST', `/cas/${encodeURIComponent(key)}`, Buffer.from(body)),
    ) as {
      ok: boolean;
      revision: number;
      current: string | null;
    };
    return {
      ok: r.ok,
      revision: r.revision,
      current: r.current === null ? null : Buffer.from(r.current, 'base64'),
    };
  }

  async status(): Promise<KvNodeStatus> {
    return this.#json(await this.#request('GET', '/status')) as KvNodeStatus;
  }

  async transfer(to: bigint): Promise<void> {
    this.#json(await this.#request('POST', '/transfer', Buffer.from(JSON.stringify({ to: to.toString() }))));
  }

  async addMember(id: bigint, address: string): Promise<{ voters: string[]; learners: string[] }> {
    const body = Buffer.from(JSON.stringify({ id: id.toString(), address }));
    return this.#json(await this.#request('POST', '/members', body)) as {
      voters: string[];
      learners: string[];
    };
  }

  async removeMember(id: bigint): Promise<{ voters: string[]; learners: string[] }> {
    return this.#json(await this.#request('DELETE', `/members/${id}`)) as {
      voters: string[];
      learners: string[];
    };
  }

  async campaign(): Promise<void> {
    this.#json(await this.#request('POST', '/campaign'));
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #json(r: RawResponse): unknown {
    const parsed =
      r.body.byteLength === 0 ? {} : (JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
    if (r.status !== 200) throw new KvClientError(r.status, (parsed.error ?? {}) as Record<string, unknown>);
    return parsed;
  }

  #request(method: string, path: string, body?: Uint8Array): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers: { 'content-length': body === undefined ? 0 : body.byteLength },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`kv-node ${this.address}: no answer within ${this.#timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
