import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { ERROR_CODE_METADATA, ERROR_FIELDS_METADATA, statusToError } from '../../common/index.js';
import { NotFoundError } from '../store/index.js';
import {
  dispatcherErrorToStatus,
  InvalidRequestError,
  NodeRemovedError,
  NotLeaderError,
  SessionUnknownError,
  UnauthenticatedError,
} from './errors.js';
import { peerIp } from './validate.js';

test('peerIp takes the address of what grpc-js reports', (t) => {
  t.is(peerIp('127.0.0.1:53422'), '127.0.0.1');
  t.is(peerIp('::1:53422'), '::1');
  t.is(peerIp('[fe80::1]:4242'), 'fe80::1');
  t.is(peerIp('::ffff:10.0.0.7:4242'), '10.0.0.7');
  t.is(peerIp('2001:db8::5:4242'), '2001:db8::5');
  t.is(peerIp('unknown'), '');
  t.is(peerIp(''), '');
});

test('the table: each dispatcher error has its status, code and fields in the trailers', (t) => {
  const cases: Array<[unknown, grpc.status, string]> = [
    [
      new NotLeaderError('heartbeat', [{ nodeId: 'm1', addr: '10.0.0.1:4242' }]),
      grpc.status.UNAVAILABLE,
      'ERR_DISPATCHER_NOT_LEADER',
    ],
    [
      new UnauthenticatedError('no certificate'),
      grpc.status.UNAUTHENTICATED,
      'ERR_DISPATCHER_UNAUTHENTICATED',
    ],
    [new NodeRemovedError('n1'), grpc.status.PERMISSION_DENIED, 'ERR_DISPATCHER_NODE_REMOVED'],
    [new SessionUnknownError('n1', 's1', 'expired'), grpc.status.NOT_FOUND, 'ERR_DISPATCHER_SESSION_UNKNOWN'],
    [
      new InvalidRequestError('x', 'updates[0].state', 'bad'),
      grpc.status.INVALID_ARGUMENT,
      'ERR_DISPATCHER_INVALID_REQUEST',
    ],
    // Not ours: common's table.
    [new NotFoundError('update', 'task', 't1'), grpc.status.NOT_FOUND, 'ERR_STORE_NOT_FOUND'],
  ];
  for (const [err, status, code] of cases) {
    const s = dispatcherErrorToStatus(err);
    t.is(s.code, status, code);
    t.is(s.metadata.get(ERROR_CODE_METADATA)[0], code);
    const back = statusToError(s);
    t.is(back.code, code);
  }
  const notLeader = statusToError(
    dispatcherErrorToStatus(new NotLeaderError('x', [{ nodeId: 'm1', addr: 'a:1' }])),
  );
  t.deepEqual(notLeader.fields.managers, [{ nodeId: 'm1', addr: 'a:1' }]);
  t.true(notLeader.temporary);
  t.truthy(dispatcherErrorToStatus(new NodeRemovedError('n1')).metadata.get(ERROR_FIELDS_METADATA)[0]);
  t.is(dispatcherErrorToStatus(new Error('bug')).code, grpc.status.INTERNAL);
});
