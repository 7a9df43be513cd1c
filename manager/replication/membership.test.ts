import test from 'ava';
import { SnapshotDecodeError } from './errors.js';
import { encodeMemberContext, Membership, memberContextAddress } from './membership.js';

const conf = (voters: bigint[], learners: bigint[] = []) => ({ voters, learners });

test('`membership.apply()` records addresses from conf-change contexts and removed ids', (t) => {
  const m = new Membership([{ id: 1n, address: '127.0.0.1:1' }]);
  t.is(m.apply({ type: 'addNode', nodeId: 1n }, conf([1n])), null, 'a founding member has no context');
  t.is(m.address(1n), '127.0.0.1:1');
  t.deepEqual(
    m.apply(
      { type: 'addLearnerNode', nodeId: 2n, context: encodeMemberContext('127.0.0.1:2') },
      conf([1n], [2n]),
    ),
    { id: 2n, address: '127.0.0.1:2' },
  );
  t.true(m.isLearner(2n));
  t.is(
    m.apply({ type: 'addNode', nodeId: 2n, context: encodeMemberContext('127.0.0.1:2') }, conf([1n, 2n])),
    null,
    'same address: nothing for the transport',
  );
  t.true(m.isVoter(2n));
  t.deepEqual(m.apply({ type: 'removeNode', nodeId: 1n }, conf([2n])), { id: 1n, address: null });
  t.true(m.isRemoved(1n));
  t.false(m.isMember(1n));
  t.is(m.address(1n), null);
  t.deepEqual(m.removed, [1n]);
  t.is(memberContextAddress({ type: 'addNode', nodeId: 3n, context: Uint8Array.of(0xff) }), null);
});

test('`membership.encodeSnapshot()` carries addresses and removed ids through `restoreSnapshot()`', (t) => {
  const big = (1n << 64n) - 1n;
  const m = new Membership();
  m.apply({ type: 'addNode', nodeId: big, context: encodeMemberContext('[::1]:4242') }, conf([big]));
  m.apply(
    { type: 'addLearnerNode', nodeId: 7n, context: encodeMemberContext('10.0.0.7:4242') },
    conf([big], [7n]),
  );
  m.apply({ type: 'addLearnerNode', nodeId: 8n, context: encodeMemberContext('h:1') }, conf([big], [7n, 8n]));
  m.apply({ type: 'removeNode', nodeId: 8n }, conf([big], [7n]));
  const app = Uint8Array.of(1, 2, 3);
  const data = m.encodeSnapshot(app);

  const r = new Membership([{ id: 9n, address: 'joiner:1' }]);
  t.deepEqual(r.restoreSnapshot(10, data, conf([big], [7n])), app);
  t.is(r.address(big), '[::1]:4242');
  t.is(r.address(7n), '10.0.0.7:4242');
  t.is(r.address(9n), 'joiner:1', 'configured addresses the snapshot does not know are kept');
  t.deepEqual(r.removed, [8n]);
  t.deepEqual(r.confState, conf([big], [7n]));

  t.throws(() => r.restoreSnapshot(11, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), conf([])), {
    instanceOf: SnapshotDecodeError,
    code: 'ERR_REPLICATION_SNAPSHOT_DECODE',
    message: 'Cannot restore snapshot 11: not a replication snapshot (bad magic or version)',
  });
  t.throws(() => r.restoreSnapshot(12, data.subarray(0, 20), conf([])), {
    instanceOf: SnapshotDecodeError,
    message: /truncated/,
  });
});
