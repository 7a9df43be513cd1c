/**
 * The daemon's HTTP endpoint (design.md §1, port 4243): `/healthz` and `/metrics` (the dashboard and
 * `/events` later). `/healthz` answers 200 with the manager's status as JSON when it runs and knows a
 * leader, 503 with the same body otherwise (starting, stopping, or an election under way). `/metrics`
 * is the Prometheus text exposition of the daemon's registry.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage } from '../common/index.js';
import type { ManagerStatus } from '../manager/index.js';

export interface HealthServer {
  /** The bound port. */
  readonly port: number;
  close(): Promise<void>;
}

/** What `/healthz` says. */
export function health(st: ManagerStatus): { code: number; body: Record<string, unknown> } {
  const status = st.state !== 'running' ? st.state : st.leaderId === null ? 'no-leader' : 'ok';
  return { code: status === 'ok' ? 200 : 503, body: { status, ...st } };
}

/** A worker is healthy while its agent has a session with a manager's dispatcher. */
export function workerHealth(st: { state: string; session: { manager: string } | null }): {
  code: number;
  body: Record<string, unknown>;
} {
  const status = st.state !== 'running' ? st.state : st.session === null ? 'no-session' : 'ok';
  return { code: status === 'ok' ? 200 : 503, body: { status, role: 'worker', ...st } };
}

/**
 * Serves the HTTP endpoints on `host:port` (host '' = every interface).
 * @throws (rejects) the listen error (EADDRINUSE...)
 */
export async function startHealthServer(
  host: string,
  port: number,
  check: () => { code: number; body: Record<string, unknown> },
  registry: Registry,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown): void => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    if (path === '/healthz') {
      const h = check();
      return send(h.code, h.body);
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => send(500, { error: `cannot collect the metrics: ${errorMessage(err)}` }),
      );
      return;
    }
    return send(404, { error: `no such endpoint: ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (host === '') server.listen(port, done);
    else server.listen(port, host, done);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
