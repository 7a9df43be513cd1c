// The client's failures, as people read them: no socket, connection refused, bad --host, a manager that
// is unavailable (retryable), one that does not answer in time, and Ctrl-C during a call.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ControlStatusError, FlagError, SwarmError } from '../../common/index.js';
import { startControlHarness } from '../../testing/index.js';
import { ConnectionError } from '../errors.js';
import { describeError } from '../main.js';
import { ControlClient } from './control-client.js';
import { hostTarget, socketTarget } from './target.js';

const open: { close(): unknown }[] = [];
const dirs: string[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function client(
  target: ReturnType<typeof socketTarget>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
) {
  const c = new ControlClient({ target, ...options });
  open.push(c);
  return c;
}

test('targets: sockets are made absolute; --host takes HOST:PORT or [IPv6]:PORT', (t) => {
  t.deepEqual(socketTarget('state/swarmd.sock', '/work'), {
    kind: 'unix',
    address: 'unix:/work/state/swarmd.sock',
    description: 'the socket /work/state/swarmd.sock',
  });
  t.deepEqual(hostTarget('10.0.0.1:4242'), {
    kind: 'tcp',
    address: 'dns:10.0.0.1:4242',
    description: '10.0.0.1:4242',
  });
  t.deepEqual(hostTarget('[::1]:4242'), {
    kind: 'tcp',
    address: 'ipv6:[::1]:4242',
    description: '[::1]:4242',
  });
  t.is(hostTarget('mgr-1.example:4242').address, 'dns:mgr-1.example:4242');
  for (const bad of ['10.0.0.1', ':4242', 'host:port', 'a b:1', '::1:4242'])
    t.throws(() => hostTarget(bad), {
      instanceOf: FlagError,
      message: new RegExp(`^--host: must be HOST:PORT .*got "${bad}"$`),
    });
  t.throws(() => hostTarget('h:70000'), {
    message: '--host: the port must be between 1 and 65535, got "70000"',
  });
  t.throws(() => socketTarget('', '/'), {
    message: '--socket: must be the path of the manager\'s socket, got ""',
  });
});

test('no socket at the path: the error names it and says how to point elsewhere', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmctl-'));
  dirs.push(dir);
  const path = join(dir, 'swarmd.sock');
  const err = await t.throwsAsync(client(socketTarget(path, '/')).call('ListServices', {}), {
    instanceOf: ConnectionError,
  });
  t.is(
    err?.message,
    `Cannot connect to the manager at the socket ${path}: there is no socket there; is swarmd running with this state dir? Point swarmctl at a manager with --socket PATH (or $SWARM_SOCKET) or --host HOST:PORT`,
  );
  t.is((err as ConnectionError).target, `the socket ${path}`);
});

test('nothing listening at --host: connection refused, and how to point elsewhere', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const err = await t.throwsAsync(client(hostTarget(`127.0.0.1:${port}`)).call('ListNodes', {}), {
    instanceOf: ConnectionError,
  });
  t.is(
    err?.message,
    `Cannot connect to the manager at 127.0.0.1:${port}: the connection was refused; is a manager listening there? Point swarmctl at a manager with --host HOST:PORT or --socket PATH`,
  );
});

test('a manager that is unavailable answers with a retryable error that says so', async (t) => {
  const h = await startControlHarness({
    linearizableRead: () =>
      Promise.reject(
        new SwarmError('ERR_REPLICATION_TIMEOUT', 'Cannot read: no leader within 5000 ms', {
          temporary: true,
        }),
      ),
  });
  open.push(h);
  const err = await t.throwsAsync(client(socketTarget(h.address.slice(5), '/')).call('ListServices', {}), {
    instanceOf: ControlStatusError,
  });
  t.true((err as ControlStatusError).temporary);
  t.is(
    describeError(err),
    'Cannot read: no leader within 5000 ms; the cluster may be electing a leader or have lost its quorum, retry in a moment',
  );
  // A temporary error whose message does not say so gets the hint from swarmctl.
  const bare = new ControlStatusError(14, 'ERR_GRPC_UNAVAILABLE', 'Connection dropped', {});
  t.is(
    describeError(bare),
    'Connection dropped; this is temporary (the cluster may be electing a leader), retry in a moment',
  );
});

test('a manager that does not answer in time, and Ctrl-C during a call', async (t) => {
  let release: () => void = () => {};
  const hanging = new Promise<void>((resolve) => {
    release = resolve;
  });
  const h = await startControlHarness({ linearizableRead: () => hanging });
  open.push(h);
  open.push({ close: () => release() }); // closed first (the list is closed in reverse)
  const target = socketTarget(h.address.slice(5), '/');
  const err = await t.throwsAsync(client(target, { timeoutMs: 300 }).call('ListServices', {}));
  t.is((err as SwarmError).code, 'ERR_CLI_TIMEOUT');
  t.is(
    err?.message,
    `The manager at ${target.description} did not answer within 0.3s; it may be busy or electing a leader, retry in a moment (or give more time with --timeout)`,
  );
  const abort = new AbortController();
  const call = client(target, { signal: abort.signal }).call('ListServices', {});
  setTimeout(() => abort.abort(), 50);
  const interrupted = await t.throwsAsync(call);
  t.is((interrupted as SwarmError).code, 'ERR_CLI_INTERRUPTED');
});
