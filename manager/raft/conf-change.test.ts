import test from 'ava';
import { decodeConfChange, encodeConfChange } from './conf-change.js';

test('`encodeConfChange()` round-trips every type, 64-bit ids and the context', (t) => {
  for (const type of ['addNode', 'addLearnerNode', 'removeNode'] as const) {
    t.deepEqual(decodeConfChange(encodeConfChange({ type, nodeId: 0xffff_ffff_ffff_fffen })), {
      type,
      nodeId: 0xffff_ffff_ffff_fffen,
    });
  }
  const ctx = new TextEncoder().encode('10.0.0.1:4242');
  t.deepEqual(decodeConfChange(encodeConfChange({ type: 'addNode', nodeId: 7n, context: ctx })), {
    type: 'addNode',
    nodeId: 7n,
    context: ctx,
  });
});

test('`decodeConfChange()` rejects malformed data', (t) => {
  t.throws(() => decodeConfChange(new Uint8Array([1, 2, 3])), { instanceOf: RangeError });
  t.throws(() => decodeConfChange(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0, 1])), {
    instanceOf: RangeError,
  });
  t.throws(() => decodeConfChange(new Uint8Array([1, 7, 0, 0, 0, 0, 0, 0, 0, 1])), {
    instanceOf: RangeError,
  });
});
