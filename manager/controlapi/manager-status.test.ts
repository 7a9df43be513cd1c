import test from 'ava';
import { MemoryStore } from '../store/index.js';
import { testNode } from '../store/testing/index.js';
import { ControlService } from './control-service.js';

test('node reads fill the live manager status (leader, reachability) from the hook', async (t) => {
  const store = new MemoryStore();
  const manager = (id: string, raftId: string) => ({
    ...testNode({ id, hostname: id, role: 'manager' }),
    managerStatus: { raftId, addr: '127.0.0.1:1', leader: false, reachability: 'unknown' as const },
  });
  await store.update((tx) => {
    tx.nodes.create(manager('n1', 'a'));
    tx.nodes.create(manager('n2', 'b'));
    tx.nodes.create(testNode({ id: 'w1', hostname: 'w1' }));
  });
  const control = new ControlService({
    store,
    managerStatus: (hex) => ({
      leader: hex === 'a',
      reachability: hex === 'a' ? 'reachable' : 'unreachable',
    }),
  });
  const nodes = await control.listNodes();
  t.deepEqual(
    nodes.map((n) => [n.id, n.managerStatus?.leader ?? null, n.managerStatus?.reachability ?? null]),
    [
      ['n1', true, 'reachable'],
      ['n2', false, 'unreachable'],
      ['w1', null, null],
    ],
  );
  t.is((await control.getNode('n1')).managerStatus?.leader, true);
  // The stored object is unchanged: the status is live, not written.
  t.is(store.view((tx) => tx.nodes.get('n1'))?.managerStatus?.leader, false);
  store.close();
});
