// The one error table, by code: each code's status and hint, the trailers, unknown codes, and the client's
// way back, in memory and over a real socket. (The Control API's own error classes through this table are
// tested in manager/controlapi/errors-to-statuses.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { loadGrpcObject } from '../proto/index.js';
import { IllegalStateError, SwarmError } from './errors.js';
import {
  ControlStatusError,
  ERROR_CODE_METADATA,
  ERROR_FIELDS_METADATA,
  errorToStatus,
  STATUS_BY_ERROR_CODE,
  statusRuleOf,
  statusToError,
} from './grpc-status-errors.js';

const err = (code: string, message: string, fields: Record<string, unknown> = {}, temporary = false) =>
  new SwarmError(code, message, { fields, temporary });

const cases: [string, unknown, grpc.status, string][] = [
  [
    'invalid spec',
    err('ERR_CONTROLAPI_INVALID_SPEC', 'Cannot x: a'),
    grpc.status.INVALID_ARGUMENT,
    'Cannot x: a',
  ],
  ['not found', err('ERR_STORE_NOT_FOUND', 'Cannot x: gone'), grpc.status.NOT_FOUND, 'Cannot x: gone'],
  [
    'in use',
    err('ERR_CONTROLAPI_IN_USE', 'Cannot x: used'),
    grpc.status.FAILED_PRECONDITION,
    'Cannot x: used',
  ],
  ['name conflict', err('ERR_STORE_NAME_CONFLICT', 'Cannot x'), grpc.status.ALREADY_EXISTS, 'Cannot x'],
  [
    'version conflict',
    err('ERR_STORE_VERSION_CONFLICT', 'Cannot update service "a": version 3 is out of date'),
    grpc.status.ABORTED,
    'Cannot update service "a": version 3 is out of date; read it again, reapply the change and retry',
  ],
  [
    'ambiguous reference lists its matches',
    err('ERR_STORE_AMBIGUOUS_REFERENCE', 'Cannot resolve node "a": 2 nodes match it by name', {
      matches: ['n1', 'n2'],
    }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot resolve node "a": 2 nodes match it by name: n1, n2',
  ],
  [
    'ambiguous reference without matches',
    err('ERR_STORE_AMBIGUOUS_REFERENCE', 'Cannot resolve node "a"'),
    grpc.status.INVALID_ARGUMENT,
    'Cannot resolve node "a"',
  ],
  ['watcher overflow', err('ERR_STORE_WATCHER_OVERFLOW', 'cut'), grpc.status.RESOURCE_EXHAUSTED, 'cut'],
  [
    'closed store',
    new IllegalStateError('Cannot update the store: it is closed'),
    grpc.status.UNAVAILABLE,
    'Cannot update the store: it is closed; retry in a moment',
  ],
  [
    'election timeout',
    err('ERR_REPLICATION_TIMEOUT', 'Cannot propose: no outcome within 5000 ms', {}, true),
    grpc.status.UNAVAILABLE,
    'Cannot propose: no outcome within 5000 ms; the cluster may be electing a leader or have lost its quorum, retry in a moment',
  ],
  [
    'not the leader',
    err('ERR_REPLICATION_NOT_LEADER', 'Cannot propose: no leader', {}, true),
    grpc.status.UNAVAILABLE,
    'Cannot propose: no leader; retry in a moment',
  ],
  [
    'unknown temporary',
    err('ERR_OTHER', 'Cannot x: y', {}, true),
    grpc.status.UNAVAILABLE,
    'Cannot x: y; retry in a moment',
  ],
  ['unknown', err('ERR_OTHER', 'Cannot x: y'), grpc.status.INTERNAL, 'Cannot x: y'],
  ['a plain error', new TypeError('boom'), grpc.status.INTERNAL, 'boom'],
  ['not an error', 'text', grpc.status.INTERNAL, 'text'],
];

for (const [name, e, code, details] of cases) {
  test(`\`errorToStatus()\`: ${name} → ${grpc.status[code]}`, (t) => {
    const status = errorToStatus(e);
    t.is(status.code, code);
    t.is(status.details, details);
    t.is(status.metadata.get(ERROR_CODE_METADATA)[0], e instanceof SwarmError ? e.code : undefined);
    t.is(statusRuleOf(e).status, code);
  });
}

test('every row of the table names a known status', (t) => {
  for (const [code, rule] of Object.entries(STATUS_BY_ERROR_CODE)) {
    t.true(code.startsWith('ERR_'), code);
    t.is(typeof grpc.status[rule.status], 'string', code);
  }
});

test('`statusToError()` gives back the code, the fields and retryability', (t) => {
  const status = errorToStatus(
    err('ERR_STORE_AMBIGUOUS_REFERENCE', 'Cannot resolve', { matches: ['a', 'b'] }),
  );
  t.true(Buffer.isBuffer(status.metadata.get(ERROR_FIELDS_METADATA)[0]));
  const back = statusToError(status);
  t.true(back instanceof ControlStatusError);
  t.is(back.code, 'ERR_STORE_AMBIGUOUS_REFERENCE');
  t.is(back.status, grpc.status.INVALID_ARGUMENT);
  t.is(back.message, 'Cannot resolve: a, b');
  t.deepEqual(back.fields.matches, ['a', 'b']);
  t.false(back.temporary);
  const unavailable = statusToError({ code: grpc.status.UNAVAILABLE, details: 'No connection established' });
  t.is(unavailable.code, 'ERR_GRPC_UNAVAILABLE');
  t.true(unavailable.temporary);
  t.deepEqual(unavailable.fields, {});
});

test('`statusToError()` ignores unreadable fields and fields that are not an object', (t) => {
  for (const raw of ['{not json', '[1,2]', '"text"', 'null']) {
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_CODE_METADATA, 'ERR_X');
    metadata.set(ERROR_FIELDS_METADATA, Buffer.from(raw, 'utf8'));
    const back = statusToError({ code: grpc.status.INTERNAL, details: 'd', metadata });
    t.is(back.code, 'ERR_X');
    t.deepEqual(back.fields, {}, raw);
  }
});

test('fields that JSON cannot hold are left out; bigints become strings', (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.deepEqual(errorToStatus(err('ERR_OTHER', 'x', { cyclic })).metadata.get(ERROR_FIELDS_METADATA), []);
  const status = errorToStatus(err('ERR_OTHER', 'x', { index: 5n }));
  t.deepEqual(statusToError(status).fields, { index: '5' });
});

test('code and non-ASCII fields cross a real socket in the trailers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmd-status-'));
  const server = new grpc.Server();
  const { swarmd } = loadGrpcObject('control');
  const failure = err('ERR_STORE_NAME_CONFLICT', 'Cannot create service "wéb": name conflicts', {
    'service.name': 'wéb ✓',
  });
  server.addService(swarmd.control.Control.service, {
    GetService: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(errorToStatus(failure)),
  });
  const address = `unix:${join(dir, 's.sock')}`;
  let client: InstanceType<typeof swarmd.control.Control> | undefined;
  try {
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
    );
    const c = new swarmd.control.Control(address, grpc.credentials.createInsecure());
    client = c;
    const received = await new Promise<grpc.ServiceError>((resolve) =>
      c.GetService({ serviceId: 'x' }, (e) => resolve(e as grpc.ServiceError)),
    );
    const back = statusToError(received);
    t.is(back.status, grpc.status.ALREADY_EXISTS);
    t.is(back.code, 'ERR_STORE_NAME_CONFLICT');
    t.is(back.message, 'Cannot create service "wéb": name conflicts');
    t.deepEqual(back.fields, { 'service.name': 'wéb ✓' });
  } finally {
    client?.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
