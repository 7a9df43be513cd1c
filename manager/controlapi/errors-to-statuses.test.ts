// The Control API's errors (its own, the store's and the replication layer's) through the one error table of
// common/grpc-status-errors.ts: each one's status, hint and trailers, and the client's way back.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import {
  ControlStatusError,
  ERROR_CODE_METADATA,
  ERROR_FIELDS_METADATA,
  errorToStatus,
  IllegalStateError,
  SwarmError,
  statusToError,
} from '../../common/index.js';
import {
  AmbiguousReferenceError,
  NameConflictError,
  NotFoundError,
  VersionConflictError,
  WatcherOverflowError,
} from '../store/index.js';
import {
  ControlApiUnavailableError,
  FailedPreconditionError,
  InvalidRequestError,
  InvalidSpecError,
  ObjectInUseError,
  ObjectNotFoundError,
} from './errors.js';
import { startControlHarness } from './testing/index.js';

/** An error of the replication layer, as it reaches the Control API (by code only). */
function replicationError(code: string, message: string): SwarmError {
  return new SwarmError(code, message, { temporary: true });
}

const cases: [string, unknown, grpc.status, string][] = [
  [
    'invalid spec',
    new InvalidSpecError('create service "x"', 'service', ['a: b']),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create service "x": a: b',
  ],
  [
    'invalid request',
    new InvalidRequestError('watch', 'bad'),
    grpc.status.INVALID_ARGUMENT,
    'Cannot watch: bad',
  ],
  [
    'not found',
    new ObjectNotFoundError('get', 'node', 'n'),
    grpc.status.NOT_FOUND,
    'Cannot get node "n": no node has this id, name or id prefix',
  ],
  [
    'store not found',
    new NotFoundError('update', 'task', 't'),
    grpc.status.NOT_FOUND,
    'Cannot update task "t": no such task',
  ],
  [
    'in use',
    new ObjectInUseError('secret', 's', 'i', ['web']),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove secret "s": it is in use by service "web"',
  ],
  [
    'precondition',
    new FailedPreconditionError('remove node "n"', 'why'),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove node "n": why',
  ],
  [
    'name conflict',
    new NameConflictError('create', 'service', 'web', 'a', 'b'),
    grpc.status.ALREADY_EXISTS,
    'Cannot create service "web": name conflicts with an existing service',
  ],
  [
    'version conflict',
    new VersionConflictError('service', 'a', 3, 5),
    grpc.status.ABORTED,
    'Cannot update service "a": version 3 is out of date, the service is at version 5; read it again, reapply the change and retry',
  ],
  [
    'ambiguous reference',
    new AmbiguousReferenceError('node', 'h', 'name', ['n1', 'n2']),
    grpc.status.INVALID_ARGUMENT,
    'Cannot resolve node "h": 2 nodes match it by name: n1, n2',
  ],
  [
    'watcher overflow',
    new WatcherOverflowError(10),
    grpc.status.RESOURCE_EXHAUSTED,
    'Cannot deliver store events to a watcher: its queue reached 10 events, so it was closed',
  ],
  [
    'closed store',
    new IllegalStateError('Cannot update the store: it is closed'),
    grpc.status.UNAVAILABLE,
    'Cannot update the store: it is closed; retry in a moment',
  ],
  [
    'stopped',
    new ControlApiUnavailableError('watch', 'stopped'),
    grpc.status.UNAVAILABLE,
    'Cannot watch: stopped; retry in a moment',
  ],
  [
    'not the leader',
    replicationError(
      'ERR_REPLICATION_NOT_LEADER',
      'Cannot propose: this member is not the leader, no leader is known',
    ),
    grpc.status.UNAVAILABLE,
    'Cannot propose: this member is not the leader, no leader is known; retry in a moment',
  ],
  [
    'timeout',
    replicationError('ERR_REPLICATION_TIMEOUT', 'Cannot propose: no outcome within 5000 ms'),
    grpc.status.UNAVAILABLE,
    'Cannot propose: no outcome within 5000 ms; the cluster may be electing a leader or have lost its quorum, retry in a moment',
  ],
  [
    'dropped',
    replicationError('ERR_REPLICATION_PROPOSAL_DROPPED', 'Cannot propose: x'),
    grpc.status.UNAVAILABLE,
    'Cannot propose: x; retry in a moment',
  ],
  [
    'stopped node',
    replicationError('ERR_REPLICATION_STOPPED', 'Cannot propose: the node is stopped'),
    grpc.status.UNAVAILABLE,
    'Cannot propose: the node is stopped; retry in a moment',
  ],
  [
    'unknown temporary',
    new SwarmError('ERR_OTHER', 'Cannot x: y', { temporary: true }),
    grpc.status.UNAVAILABLE,
    'Cannot x: y; retry in a moment',
  ],
  ['unknown', new SwarmError('ERR_OTHER', 'Cannot x: y'), grpc.status.INTERNAL, 'Cannot x: y'],
  ['a plain error', new TypeError('boom'), grpc.status.INTERNAL, 'boom'],
  ['not an error', 'text', grpc.status.INTERNAL, 'text'],
];

for (const [name, err, code, details] of cases) {
  test(`\`errorToStatus()\`: ${name} → ${grpc.status[code]}`, (t) => {
    const status = errorToStatus(err);
    t.is(status.code, code);
    t.is(status.details, details);
    const sent = status.metadata.get(ERROR_CODE_METADATA)[0];
    t.is(sent, err instanceof SwarmError ? err.code : undefined);
  });
}

test('`statusToError()` gives back the code, the fields and retryability', (t) => {
  const err = new AmbiguousReferenceError('node', 'h', 'name', ['n1', 'n2']);
  const status = errorToStatus(err);
  t.true(Buffer.isBuffer(status.metadata.get(ERROR_FIELDS_METADATA)[0]));
  const back = statusToError(status);
  t.true(back instanceof ControlStatusError);
  t.is(back.code, 'ERR_STORE_AMBIGUOUS_REFERENCE');
  t.is(back.status, grpc.status.INVALID_ARGUMENT);
  t.is(back.message, status.details);
  t.deepEqual(back.fields.matches, ['n1', 'n2']);
  t.false(back.temporary);
  const unavailable = statusToError({ code: grpc.status.UNAVAILABLE, details: 'No connection established' });
  t.is(unavailable.code, 'ERR_GRPC_UNAVAILABLE');
  t.true(unavailable.temporary);
  t.deepEqual(unavailable.fields, {});
});

test('`statusToError()` over a real socket: a validation error keeps its problems', async (t) => {
  const h = await startControlHarness();
  try {
    const err = await t.throwsAsync(h.call('CreateService', { spec: { annotations: { name: 'web' } } }));
    const back = statusToError(err as grpc.ServiceError);
    t.is(back.code, 'ERR_CONTROLAPI_INVALID_SPEC');
    t.deepEqual(back.fields.problems, ['spec.task.container.image: must not be empty']);
    t.is(back.fields['object.kind'], 'service');
    t.is(back.message, 'Cannot create service "web": spec.task.container.image: must not be empty');
  } finally {
    await h.close();
  }
});
