import type * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';

/**
 * Asserts that `call` fails with the status `code` and, when given, exactly the message `details`; returns
 * the error for more checks.
 */
export async function assertStatus(
  t: ExecutionContext,
  call: Promise<unknown>,
  code: grpc.status,
  details?: string,
): Promise<grpc.ServiceError> {
  const err = (await t.throwsAsync(call)) as grpc.ServiceError;
  t.is(err.code, code, err.details);
  if (details !== undefined) t.is(err.details, details);
  return err;
}
