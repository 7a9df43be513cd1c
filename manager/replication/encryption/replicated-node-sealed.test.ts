import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { ReplicatedNode } from '../replicated-node.js';
import { WrongDataKeyError } from '../storage/index.js';
import { tempDir } from '../storage/testing/index.js';
import { InProcessCluster, KvStateMachine } from '../testing/index.js';
import { loadOrCreateDataKey } from './data-key-file.js';

const clusters = new Set<InProcessCluster>();
test.after.always(async () => {
  await Promise.all([...clusters].map((c) => c.close()));
});

async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    if ((await readFile(p)).includes(Buffer.from(needle))) out.push(p);
  }
  return out;
}

test('a ReplicatedNode given `storage.dataKey` keeps its log and snapshots sealed, restarts with it, and refuses another key', async (t) => {
  const SECRET = 'secret-value-0123456789';
  const dek = await loadOrCreateDataKey(await tempDir(t), { unlockKey: null });
  const c = await InProcessCluster.start(
    1,
    { snapshotEntries: 4, logTailEntries: 1, storage: { dataKey: dek } },
    clusters,
  );
  await c.waitForLeader();
  for (let i = 0; i < 10; i++) await c.put(1n, `k${i}`, `${SECRET}-${i}`);
  const dir = c.dir(1n);
  await c.stopMember(1n);
  t.true(
    (await readdir(join(dir, 'snap'))).some((n) => n.endsWith('.snap')),
    'a snapshot was taken',
  );
  t.deepEqual(await filesHolding(dir, SECRET), []);

  const m = await c.startMember(1n);
  const dec = new TextDecoder();
  t.is(dec.decode(m.sm.get('k0')?.value), `${SECRET}-0`);
  t.is(dec.decode(m.sm.get('k9')?.value), `${SECRET}-9`);
  await c.stopMember(1n);

  const wrong = new ReplicatedNode({
    id: 1n,
    dir,
    listenAddress: '127.0.0.1:0',
    stateMachine: new KvStateMachine(),
    storage: { dataKey: Buffer.alloc(32, 9) },
  });
  await t.throwsAsync(wrong.run(), { instanceOf: WrongDataKeyError });
});
