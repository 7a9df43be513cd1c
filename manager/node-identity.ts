/**
 * A manager's certificates (`<state-dir>/certificates/`, pki's files): made at `init` by the founder, who
 * creates the cluster's root CA and signs its own certificate (it has nobody to ask), obtained from the
 * cluster's CA at `join` with the manager token, loaded on every later start. The founder also keeps the
 * root CA key on disk until the Cluster object (which replicates it to every manager) exists, so that a
 * crash before the first leader wrote it loses nothing.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, writeFileAtomic } from '../common/index.js';
import {
  certificatesDir,
  joinCluster,
  loadNodeCredentials,
  type NodeCredentials,
  saveNodeCredentials,
} from '../pki/index.js';
import { createClusterIdentity, issueLocalCredentials } from './ca/index.js';
import { defaultClusterSpec } from './controlapi/index.js';
import { StateDirError } from './errors.js';

/** The founder's copy of the root CA key, removed once the Cluster object holds it. */
const ROOT_CA_KEY_FILE = 'root-ca.key';

/** The certificates of a node that has them. @throws StateDirError when there are none */
export async function loadManagerCredentials(dir: string): Promise<NodeCredentials> {
  const creds = await loadNodeCredentials(dir);
  if (creds === null)
    throw new StateDirError(
      dir,
      `it has no certificates (${certificatesDir(dir)}): it was made by an older swarmd; make the node again`,
    );
  return creds;
}

/** `swarmd init`: a new root CA and the founder's own manager certificate, saved. */
export async function createFounderCredentials(
  dir: string,
  ids: { nodeId: string; clusterId: string },
  now: number,
): Promise<NodeCredentials> {
  const { rootCA } = await createClusterIdentity({ clusterId: ids.clusterId, now });
  const creds = await issueLocalCredentials({
    cluster: { id: ids.clusterId, rootCA, spec: defaultClusterSpec() },
    nodeId: ids.nodeId,
    role: 'manager',
    now,
  });
  await saveNodeCredentials(dir, creds);
  await writeFileAtomic(join(certificatesDir(dir), ROOT_CA_KEY_FILE), rootCA.key);
  return creds;
}

/** The founder's root CA key, or null on any other manager (or once the cluster holds it). */
export async function readFounderRootCAKey(dir: string): Promise<string | null> {
  try {
    return await readFile(join(certificatesDir(dir), ROOT_CA_KEY_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Forgets the founder's copy of the root CA key: the replicated Cluster object has it now. */
export async function dropFounderRootCAKey(dir: string): Promise<void> {
  await rm(join(certificatesDir(dir), ROOT_CA_KEY_FILE), { force: true });
}

/**
 * `swarmd join` with a token: the root CA from `address`, checked against the token's digest, then a
 * certificate of the role the token gives (`role`, when given, must be it). Saved.
 */
export async function joinWithToken(
  dir: string,
  options: {
    address: string;
    token: string;
    hostname: string;
    role?: 'manager' | 'worker';
    timeoutMs?: number;
  },
): Promise<{ creds: NodeCredentials; nodeId: string; clusterId: string; role: 'manager' | 'worker' }> {
  const issued = await joinCluster(options);
  const creds = { keyPem: issued.keyPem, certPem: issued.certPem, rootCAPem: issued.rootCAPem };
  await saveNodeCredentials(dir, creds);
  return { creds, nodeId: issued.nodeId, clusterId: issued.clusterId, role: issued.role };
}
