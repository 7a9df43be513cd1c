/**
 * How a role is written in a certificate (swarmkit's `ca/config.go`): the subject's OU is `swarm-manager`
 * or `swarm-worker`, and the same string is a DNS SAN, so that a client that dials any manager, by IP or by
 * host name, verifies it with one fixed TLS name: {@link MANAGER_TLS_NAME}.
 */
import type { NodeRole } from '../proto/index.js';

export const MANAGER_OU = 'swarm-manager';
export const WORKER_OU = 'swarm-worker';
/** The subject CN of every root CA swarmd makes. */
export const ROOT_CA_CN = 'swarm-ca';
/**
 * The TLS server name every client checks on a manager (`grpc.ssl_target_name_override`): every manager
 * certificate carries it as a DNS SAN, no worker certificate does.
 */
export const MANAGER_TLS_NAME = MANAGER_OU;

export function roleToOU(role: NodeRole): string {
  return role === 'manager' ? MANAGER_OU : WORKER_OU;
}

/** The role an OU names, or undefined when it names none. */
export function ouToRole(ou: string): NodeRole | undefined {
  return ou === MANAGER_OU ? 'manager' : ou === WORKER_OU ? 'worker' : undefined;
}
