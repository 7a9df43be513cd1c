import test from 'ava';
import { errorCode, errorMessage, IllegalStateError, isTemporary, SwarmError } from './errors.js';

class DemoConflictError extends SwarmError {
  constructor(name: string) {
    super('ERR_DEMO_CONFLICT', `Cannot create demo "${name}": name conflicts with an existing demo`, {
      fields: { 'demo.name': name },
    });
  }
}

test('`SwarmError` subclasses keep their name, code, message and fields', (t) => {
  const err = new DemoConflictError('web');
  t.true(err instanceof SwarmError);
  t.is(err.name, 'DemoConflictError');
  t.is(err.code, 'ERR_DEMO_CONFLICT');
  t.is(err.message, 'Cannot create demo "web": name conflicts with an existing demo');
  t.deepEqual(err.toJSON(), {
    name: 'DemoConflictError',
    code: 'ERR_DEMO_CONFLICT',
    message: 'Cannot create demo "web": name conflicts with an existing demo',
    'demo.name': 'web',
  });
});

test('`SwarmError` carries its cause', (t) => {
  const cause = new Error('disk full');
  const err = new SwarmError('ERR_X', 'Cannot write: disk full', { cause });
  t.is(err.cause, cause);
});

test('`isTemporary()` is false by default and true once marked', (t) => {
  const err = new SwarmError('ERR_X', 'x');
  t.false(isTemporary(err));
  t.is(err.markTemporary(), err);
  t.true(isTemporary(err));
  t.true(isTemporary(new SwarmError('ERR_Y', 'y', { temporary: true })));
  t.false(isTemporary(new Error('plain')));
});

test('`errorCode()` reads SwarmError and system error codes', (t) => {
  t.is(errorCode(new IllegalStateError('stopped')), 'ERR_ILLEGAL_STATE');
  t.is(errorCode(Object.assign(new Error('nope'), { code: 'ENOENT' })), 'ENOENT');
  t.is(errorCode(new Error('plain')), undefined);
  t.is(errorCode('string'), undefined);
  t.is(errorMessage(new Error('m')), 'm');
  t.is(errorMessage(42), '42');
});
