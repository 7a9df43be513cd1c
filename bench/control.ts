/**
 * `npm run bench -- control [--seconds N]`: the control plane's baseline. A 3-manager cluster of real
 * `swarmd` processes on loopback (fsync on); (a) service creates per second through the Control API from
 * 32 concurrent clients spread over the three managers' sockets (followers forward to the leader); (b) the
 * p50/p99 latency of `service inspect` (GetService by name, one client, sequential, on a follower: a
 * linearizable read). No peer: this is the baseline later issues must not regress.
 *
 * The last line is one JSON object: {"bench":"control","creates_per_s":…,"inspect_p50_ms":…,
 * "inspect_p99_ms":…,…}.
 */
import * as grpc from '@grpc/grpc-js';
import { loadGrpcObject } from '../proto/index.js';
import { SwarmdCluster } from '../testing/index.js';

type Client = grpc.Client &
  Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>;

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]?.call(client, req, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function spec(name: string) {
  return {
    spec: {
      annotations: { name, labels: { bench: 'control' } },
      // Placed nowhere (no node has the label): this measures the control plane, not containers.
      task: {
        container: { image: 'host', command: ['sleep', '3600'] },
        placement: { constraints: ['node.labels.bench==control-plane-only'] },
      },
      replicated: { replicas: 1 },
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = Number(argv[argv.indexOf('--seconds') + 1] || 10) || 10;
  const { swarmd } = loadGrpcObject('control');
  const Control = swarmd.control.Control as unknown as new (
    addr: string,
    creds: grpc.ChannelCredentials,
  ) => Client;
  const cluster = await SwarmdCluster.start({ managers: 3 });
  const clients: Client[] = [];
  try {
    const leader = await cluster.leader();
    const follower = (await cluster.followers())[0] ?? leader;
    for (let i = 0; i < 32; i++) {
      const n = cluster.nodes[i % cluster.nodes.length];
      clients.push(new Control(`unix:${n?.socket}`, grpc.credentials.createInsecure()));
    }
    // (a) creates, 32 clients for `seconds`.
    let created = 0;
    let failed = 0;
    const latencies: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; performance.now() < deadline; k++) {
          const s = performance.now();
          try {
            await call(c, 'createService', spec(`svc-${i}-${k}`));
            created++;
            latencies.push(performance.now() - s);
          } catch (err) {
            failed++;
            if (failed < 5) console.error(`create failed: ${(err as Error).message}`);
          }
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const createsPerS = created / elapsed;
    console.log(
      `creates: ${created} in ${elapsed.toFixed(1)} s = ${createsPerS.toFixed(0)}/s with 32 clients (p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, ${failed} failed)`,
    );
    // (b) inspect latency, one client on a follower, sequential.
    const inspector = new Control(`unix:${follower.socket}`, grpc.credentials.createInsecure());
    clients.push(inspector);
    const inspect: number[] = [];
    for (let k = 0; k < 2000; k++) {
      const s = performance.now();
      await call(inspector, 'getService', { serviceId: `svc-${k % 32}-0` });
      inspect.push(performance.now() - s);
    }
    console.log(
      `inspect (follower, sequential): p50 ${pct(inspect, 50).toFixed(2)} ms, p99 ${pct(inspect, 99).toFixed(2)} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'control',
        managers: 3,
        clients: 32,
        creates_per_s: Number(createsPerS.toFixed(0)),
        create_p50_ms: Number(pct(latencies, 50).toFixed(2)),
        create_p99_ms: Number(pct(latencies, 99).toFixed(2)),
        creates_failed: failed,
        inspect_p50_ms: Number(pct(inspect, 50).toFixed(2)),
        inspect_p99_ms: Number(pct(inspect, 99).toFixed(2)),
      }),
    );
  } finally {
    for (const c of clients) c.close();
    await cluster.destroy();
  }
}

await main();
