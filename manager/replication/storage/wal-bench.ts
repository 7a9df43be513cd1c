/**
 * Micro-benchmark of the WAL, run by hand (not in CI):
 *
 *   npx tsc -p . --outDir dist-wal && node dist-wal/manager/replication/storage/wal-bench.js [dir] [seconds]
 *
 * Saves of 1 and 64 entries of 256 bytes, one after the other, each awaited (one write + one fdatasync
 * per save, as the Ready loop does); then 64 saves of 1 entry in flight at once (group commit); then the
 * CPU cost alone (sync off); then the same with a data key (entries sealed with AES-256-GCM). `dir` defaults to the system temp dir, which should be on the disk to measure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../raft/index.js';
import { Wal } from './wal.js';

const parent = process.argv[2] ?? tmpdir();
const seconds = Number(process.argv[3] ?? 3);
const payload = Buffer.alloc(256, 0x61);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function bench(
  name: string,
  batch: number,
  inFlight: number,
  sync: boolean,
  preallocateBytes: number,
  dataKey: Uint8Array | null = null,
): Promise<void> {
  const dir = await mkdtemp(join(parent, 'wal-bench-'));
  const wal = await Wal.open(dir, { preallocateBytes, dataKey });
  let index = 0;
  const next = (): Entry[] => {
    const out: Entry[] = new Array(batch);
    for (let i = 0; i < batch; i++) out[i] = { term: 1, index: ++index, type: 'normal', data: payload };
    return out;
  };
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let saves = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await wal.save({ term: 1, vote: 1n, commit: index }, next(), { sync });
      latencies.push(performance.now() - t0);
      saves++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await wal.close();
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const line = {
    bench: name,
    batch,
    inFlight,
    sync,
    preallocateBytes,
    sealed: dataKey !== null,
    saves_per_s: Math.round(saves / elapsed),
    entries_per_s: Math.round((saves * batch) / elapsed),
    MB_per_s: Number(((saves * batch * 256) / elapsed / 1e6).toFixed(1)),
    p50_ms: Number(percentile(latencies, 50).toFixed(3)),
    p99_ms: Number(percentile(latencies, 99).toFixed(3)),
  };
  console.log(JSON.stringify(line));
}

await bench('save 1 x 256 B, fdatasync', 1, 1, true, 1 << 20);
await bench('save 64 x 256 B, fdatasync', 64, 1, true, 1 << 20);
await bench('save 1 x 256 B, fdatasync, no preallocation', 1, 1, true, 0);
await bench('save 64 x 256 B, fdatasync, no preallocation', 64, 1, true, 0);
await bench('64 saves of 1 x 256 B in flight (group commit)', 1, 64, true, 1 << 20);
await bench('save 64 x 256 B, no sync (CPU only)', 64, 1, false, 1 << 20);
const key = randomBytes(32);
await bench('sealed: save 1 x 256 B, fdatasync', 1, 1, true, 1 << 20, key);
await bench('sealed: save 64 x 256 B, fdatasync', 64, 1, true, 1 << 20, key);
await bench('sealed: 64 saves of 1 x 256 B in flight (group commit)', 1, 64, true, 1 << 20, key);
await bench('sealed: save 64 x 256 B, no sync (CPU only)', 64, 1, false, 1 << 20, key);
