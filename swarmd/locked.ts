/**
 * A manager that restarts while autolock is on cannot read its Raft data until it is given the cluster's
 * unlock key: it serves only the Unlock service on its Unix socket (0600) and waits. `swarmd unlock` sends
 * the key; a wrong one is refused and the manager stays locked; the right one lets it start.
 */
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { errorToStatus, type Logger, statusToError } from '../common/index.js';
import { loadOrCreateDataKey, readDataKeyState } from '../manager/index.js';
import { loadGrpcObject, type managerpb } from '../proto/index.js';

const SOCKET_FILE = 'swarmd.sock';

/** True when the manager in `stateDir` keeps its data key sealed (it needs the unlock key to start). */
export async function isLocked(stateDir: string): Promise<boolean> {
  return (await readDataKeyState(join(stateDir, 'raft'))) === 'locked';
}

/**
 * Serves Unlock on `<stateDir>/swarmd.sock` until a key that opens the data key arrives (resolves with
 * it) or `signal` aborts (resolves null). The socket is free again when it resolves.
 */
export async function waitForUnlock(
  stateDir: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<string | null> {
  const socket = join(stateDir, SOCKET_FILE);
  const raftDir = join(stateDir, 'raft');
  await rm(socket, { force: true });
  const server = new grpc.Server();
  let opened: (key: string | null) => void = () => {};
  const done = new Promise<string | null>((resolve) => {
    opened = resolve;
  });
  const { Unlock } = loadGrpcObject('manager').swarmd.manager;
  server.addService(Unlock.service, {
    Unlock: (
      call: grpc.ServerUnaryCall<managerpb.UnlockRequest__Output, managerpb.UnlockResponse>,
      cb: grpc.sendUnaryData<managerpb.UnlockResponse>,
    ) => {
      loadOrCreateDataKey(raftDir, { unlockKey: call.request.unlockKey.trim() }).then(
        () => {
          logger.info('unlocked');
          cb(null, {});
          opened(call.request.unlockKey.trim());
        },
        (err: unknown) => {
          logger.warn('refused an unlock key', { err });
          cb(errorToStatus(err));
        },
      );
    },
  } satisfies managerpb.UnlockHandlers);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  await chmod(socket, 0o600);
  const onAbort = (): void => opened(null);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await rm(socket, { force: true });
  }
}

/** `swarmd unlock`: sends the key to the locked manager of `stateDir`. @throws its refusal */
export async function sendUnlockKey(stateDir: string, unlockKey: string): Promise<void> {
  const { Unlock } = loadGrpcObject('manager').swarmd.manager;
  const client = new Unlock(`unix:${join(stateDir, SOCKET_FILE)}`, grpc.credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) =>
      client.Unlock({ unlockKey }, { deadline: Date.now() + 30_000 }, (err) =>
        err ? reject(statusToError(err)) : resolve(),
      ),
    );
  } finally {
    client.close();
  }
}
