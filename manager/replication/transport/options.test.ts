import test from 'ava';
import { compileRaftTransportOptions, parseHostPort } from './options.js';

const handler = { onMessage() {}, reportUnreachable() {}, reportSnapshot() {} };

test('`compileRaftTransportOptions()` fills the documented defaults', (t) => {
  const o = compileRaftTransportOptions({ id: 1n, listenAddress: '0.0.0.0:4242', handler });
  t.is(o.maxQueuedMessages, 4096);
  t.is(o.maxFrameBytes, 4 * 1024 * 1024);
  t.is(o.maxMessageBytes, 64 * 1024 * 1024);
  t.is(o.maxEntryBytes, 16 * 1024 * 1024);
  t.is(o.snapshotChunkBytes, 1024 * 1024);
  t.is(o.connectTimeoutMs, 2000);
  t.is(o.minBackoffMs, 100);
  t.is(o.maxBackoffMs, 2000);
  t.is(o.snapshotTimeoutMs, 300_000);
});

test('`compileRaftTransportOptions()` names the first invalid option', (t) => {
  const base = { id: 1n, listenAddress: '127.0.0.1:0', handler };
  t.throws(() => compileRaftTransportOptions({ ...base, id: 0n }), {
    instanceOf: RangeError,
    message: 'id must be a non-zero 64-bit bigint, got 0',
  });
  t.throws(() => compileRaftTransportOptions({ ...base, id: 1n << 64n }), { instanceOf: RangeError });
  t.throws(() => compileRaftTransportOptions({ ...base, listenAddress: 'localhost' }), {
    instanceOf: TypeError,
  });
  t.throws(() => compileRaftTransportOptions({ ...base, handler: { onMessage() {} } as never }), {
    instanceOf: TypeError,
    message: 'handler must have onMessage, reportUnreachable and reportSnapshot methods',
  });
  t.throws(() => compileRaftTransportOptions({ ...base, maxBackoffMs: 50 }), {
    instanceOf: RangeError,
    message: 'maxBackoffMs must be at least minBackoffMs, got 50 < 100',
  });
  t.throws(() => compileRaftTransportOptions({ ...base, maxMessageBytes: 1024, maxEntryBytes: 2048 }), {
    instanceOf: RangeError,
    message: 'maxEntryBytes must not exceed maxMessageBytes (1024), got 2048',
  });
  t.throws(() => compileRaftTransportOptions({ ...base, maxQueuedMessages: 0 }), {
    instanceOf: RangeError,
    message: 'maxQueuedMessages must be a positive integer, got 0',
  });
});

test('`parseHostPort()` accepts host names, IPv4 and bracketed IPv6; port 0 only to listen', (t) => {
  t.deepEqual(parseHostPort('manager-1.example:4242'), { host: 'manager-1.example', port: 4242 });
  t.deepEqual(parseHostPort('10.0.0.2:1'), { host: '10.0.0.2', port: 1 });
  t.deepEqual(parseHostPort('[::1]:65535'), { host: '[::1]', port: 65535 });
  t.deepEqual(parseHostPort('127.0.0.1:0', true), { host: '127.0.0.1', port: 0 });
  for (const bad of ['127.0.0.1:0', '::1:4242', 'host:65536', 'host:', ':4242', 'a b:1', 'host:42x'])
    t.throws(() => parseHostPort(bad), { instanceOf: TypeError }, bad);
});
