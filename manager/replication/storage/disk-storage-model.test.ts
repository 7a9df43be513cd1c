import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import type { ConfState, Entry, HardState, Snapshot } from '../../raft/index.js';
import { DiskStorage } from './disk-storage.js';
import { NoUsableSnapshotError } from './errors.js';
import { snapshotName } from './snapshotter.js';
import { plain } from './testing/index.js';

/**
 * Model-based test: random sequences of saves (with suffix overwrites), snapshots of the state machine,
 * compactions, snapshots from a leader, reopens, and reopens after damaging the newest snapshot file,
 * against a model that knows only what the storage must recover: the newest usable snapshot, the log
 * after it, the last hard state. Every parameter is a number folded into the valid range when the step
 * runs, so every generated step is valid and fast-check can shrink freely. A failure prints the seed and
 * the shrunk steps.
 */

type Step =
  | {
      kind: 'append';
      back: number;
      datas: Uint8Array[];
      newTerm: boolean;
      hs: { vote: number; commit: number } | null;
      sync: boolean;
    }
  | { kind: 'snapshot'; at: number; voters: number; data: Uint8Array }
  | { kind: 'compact'; at: number }
  | { kind: 'install'; ahead: number; follow: number; voters: number }
  | { kind: 'reopen' }
  | { kind: 'damage-newest-snapshot' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat(6),
      datas: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
      newTerm: fc.boolean(),
      hs: fc.option(fc.record({ vote: fc.nat(3), commit: fc.nat(1000) })),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      at: fc.nat(1000),
      voters: fc.integer({ min: 1, max: 5 }),
      data: fc.uint8Array({ maxLength: 64 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('install' as const),
      ahead: fc.integer({ min: -4, max: 6 }),
      follow: fc.nat(3),
      voters: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'damage-newest-snapshot' as const }) },
);

interface Model {
  keep: number;
  /** The durable snapshot files the storage keeps, oldest first (at most `keep`). */
  snaps: Snapshot[];
  /** The index before `log[0]`: the latest snapshot from a leader, or 0. */
  base: number;
  /** Every entry after `base`: log[i].index === base + 1 + i (compaction does not touch the model). */
  log: Entry[];
  /** The latest snapshot from a leader (0: none): the log cannot be replayed from an older one. */
  lastInstall: number;
  /** The highest snapshot index ever taken: entries up to it are committed, raft never overwrites them. */
  floor: number;
  hardState: HardState;
  term: number;
}

const newest = (m: Model): Snapshot | null => m.snaps[m.snaps.length - 1] ?? null;
const snapIndex = (m: Model) => newest(m)?.metadata.index ?? 0;
const lastIndex = (m: Model) => m.base + m.log.length;
const after = (m: Model, index: number) => m.log.slice(index - m.base);
const confState = (n: number): ConfState => ({
  voters: Array.from({ length: n }, (_, i) => BigInt(i + 1)),
  learners: [],
});
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

function addSnapshot(m: Model, snap: Snapshot): void {
  m.floor = Math.max(m.floor, snap.metadata.index);
  m.snaps = [...m.snaps, snap].sort((a, b) => a.metadata.index - b.metadata.index).slice(-m.keep);
}

function memoryLog(s: DiskStorage): Entry[] {
  return s.lastIndex() < s.firstIndex() ? [] : s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
}

/** What raft reads now: the live storage may still hold entries before the snapshot. */
function checkLive(s: DiskStorage, m: Model, from: number): string | null {
  if (s.lastIndex() !== lastIndex(m)) return `lastIndex ${s.lastIndex()} != ${lastIndex(m)}`;
  const tail = memoryLog(s).filter((e) => e.index > from);
  if (json(plain(tail)) !== json(plain(after(m, from)))) return 'live log differs';
  if (json(s.hardState()) !== json(m.hardState)) return 'live hard state differs';
  return null;
}

/** What a reopen must give: `snap` (null: none), the log after it, the hard state. */
function checkRecovered(s: DiskStorage, m: Model, snap: Snapshot | null): string | null {
  const r = s.recovered;
  const index = snap?.metadata.index ?? 0;
  if (r.appliedIndex !== index) return `appliedIndex ${r.appliedIndex} != ${index}`;
  if (json(r.snapshot?.metadata ?? null) !== json(snap?.metadata ?? null)) return 'snapshot metadata differs';
  if (
    r.snapshot !== null &&
    snap !== null &&
    Buffer.compare(Buffer.from(r.snapshot.data), Buffer.from(snap.data)) !== 0
  )
    return 'snapshot data differs';
  if (s.firstIndex() !== index + 1) return `firstIndex ${s.firstIndex()} != ${index + 1}`;
  if (r.lastIndex !== lastIndex(m)) return `recovered lastIndex ${r.lastIndex} != ${lastIndex(m)}`;
  return checkLive(s, m, index);
}

async function run(keep: number, steps: Step[], dataKey: Uint8Array | null = null): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-storage-model-'));
  const opts = { segmentBytes: 1024, preallocateBytes: 0, keepSnapshots: keep, dataKey };
  let s: DiskStorage | null = await DiskStorage.open(dir, opts);
  const m: Model = {
    keep,
    snaps: [],
    base: 0,
    log: [],
    lastInstall: 0,
    floor: 0,
    hardState: { term: 0, vote: 0n, commit: 0 },
    term: 1,
  };
  try {
    for (const [n, st] of steps.entries()) {
      const where = `step ${n} (${st.kind})`;
      switch (st.kind) {
        case 'append': {
          if (st.newTerm) m.term++;
          const first = Math.max(m.floor + 1, lastIndex(m) + 1 - st.back);
          const entries: Entry[] = st.datas.map((data, i) => ({
            index: first + i,
            term: m.term,
            type: 'normal',
            data,
          }));
          const hs: HardState | null =
            st.hs === null ? null : { term: m.term, vote: BigInt(st.hs.vote), commit: st.hs.commit };
          await s.save(hs, entries, null, { sync: st.sync });
          if (entries.length > 0) m.log = [...m.log.slice(0, first - m.base - 1), ...entries];
          if (hs !== null) m.hardState = hs;
          break;
        }
        case 'snapshot': {
          const span = lastIndex(m) - snapIndex(m);
          if (span === 0) break;
          const index = snapIndex(m) + 1 + (st.at % span);
          const snap = await s.createSnapshot(index, confState(st.voters), st.data);
          const term = (m.log[index - m.base - 1] as Entry).term;
          if (snap.metadata.term !== term)
            throw new Error(`${where}: snapshot term ${snap.metadata.term} != ${term}`);
          addSnapshot(m, snap);
          break;
        }
        case 'compact': {
          const lo = s.firstIndex() - 1;
          const hi = snapIndex(m);
          if (hi <= lo) break;
          const index = lo + 1 + (st.at % (hi - lo));
          await s.compact(index);
          if (s.firstIndex() !== index + 1)
            throw new Error(`${where}: firstIndex ${s.firstIndex()} after compact(${index})`);
          break;
        }
        case 'install': {
          m.term++;
          // Raft installs only a snapshot past its commit index, which is at least every snapshot taken.
          const index = Math.max(m.floor + 1, lastIndex(m) + st.ahead);
          const snap: Snapshot = {
            metadata: { index, term: m.term, confState: confState(st.voters) },
            data: Buffer.from(`leader ${index}`),
          };
          const follow: Entry[] = Array.from({ length: st.follow }, (_, i) => ({
            index: index + 1 + i,
            term: m.term,
            type: 'normal',
            data: Buffer.from(`after ${index}`),
          }));
          const hs: HardState = { term: m.term, vote: 0n, commit: index };
          await s.persist({ hardState: hs, entries: follow, snapshot: snap, mustSync: true });
          addSnapshot(m, snap);
          m.base = index;
          m.log = follow;
          m.lastInstall = index;
          m.hardState = hs;
          break;
        }
        case 'reopen': {
          await s.close();
          s = null;
          s = await DiskStorage.open(dir, opts);
          const bad = checkRecovered(s, m, newest(m));
          if (bad !== null) throw new Error(`${where}: after reopen: ${bad}`);
          continue;
        }
        case 'damage-newest-snapshot': {
          await s.close();
          s = null;
          const damaged = newest(m);
          if (damaged !== null) {
            const path = join(dir, 'snap', snapshotName(damaged.metadata.term, damaged.metadata.index));
            const buf = await readFile(path);
            buf[buf.length - 1] = (buf[buf.length - 1] as number) ^ 0x40;
            await writeFile(path, buf);
            m.snaps = m.snaps.slice(0, -1);
          }
          const fallback = newest(m);
          // The guarantee: the log replays from any kept snapshot not older than a leader's snapshot.
          const mustOpen = fallback !== null ? fallback.metadata.index >= m.lastInstall : m.lastInstall === 0;
          try {
            s = await DiskStorage.open(dir, opts);
          } catch (err) {
            if (mustOpen || !(err instanceof NoUsableSnapshotError))
              throw new Error(`${where}: ${String(err)}`);
            return; // legitimately unrecoverable: nothing more to check
          }
          if (!mustOpen && fallback !== null)
            throw new Error(`${where}: opened from a snapshot the log was reset after`);
          const bad = checkRecovered(s, m, fallback);
          if (bad !== null) throw new Error(`${where}: after reopen: ${bad}`);
          continue;
        }
      }
      const bad = checkLive(s, m, snapIndex(m));
      if (bad !== null) throw new Error(`${where}: ${bad}`);
    }
    await s.close();
    s = null;
    s = await DiskStorage.open(dir, opts);
    const bad = checkRecovered(s, m, newest(m));
    if (bad !== null) throw new Error(`final reopen: ${bad}`);
  } finally {
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('random saves, overwrites, snapshots, compactions, leader snapshots and damaged snapshots, then a reopen, give what the model says', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(step, { minLength: 1, maxLength: 50 }),
      (keep, steps) => run(keep, steps),
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('the same with every entry and snapshot sealed with a data key', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(step, { minLength: 1, maxLength: 50 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (keep, steps, key) => run(keep, steps, key),
    ),
    { numRuns: 60 },
  );
  t.pass();
});
