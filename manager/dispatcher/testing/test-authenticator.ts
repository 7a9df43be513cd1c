/**
 * An Authenticator for tests: the caller names itself in request metadata (`x-swarmd-test-node-id`, and
 * optionally `x-swarmd-test-node-role`) instead of presenting a certificate. Never for production.
 */
import * as grpc from '@grpc/grpc-js';
import { UnauthenticatedError } from '../errors.js';
import type { Authenticator, DispatcherCall, NodeIdentity } from '../options.js';

export const TEST_NODE_ID_METADATA = 'x-swarmd-test-node-id';
export const TEST_NODE_ROLE_METADATA = 'x-swarmd-test-node-role';

/** Reads the caller's identity from the test metadata; refuses a call without it. */
export const testAuthenticator: Authenticator = (call: DispatcherCall): NodeIdentity => {
  const id = call.metadata.get(TEST_NODE_ID_METADATA)[0];
  if (typeof id !== 'string' || id === '')
    throw new UnauthenticatedError(`the call has no ${TEST_NODE_ID_METADATA} metadata`);
  const role = call.metadata.get(TEST_NODE_ROLE_METADATA)[0];
  return { nodeId: id, role: role === 'manager' ? 'manager' : 'worker' };
};

/** The metadata a test client sends to be `nodeId`. */
export function testNodeMetadata(nodeId: string, role: 'worker' | 'manager' = 'worker'): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(TEST_NODE_ID_METADATA, nodeId);
  md.set(TEST_NODE_ROLE_METADATA, role);
  return md;
}
