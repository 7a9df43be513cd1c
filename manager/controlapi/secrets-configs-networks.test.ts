// Secrets, configs and networks through the Control API, over a real socket. Secret data never comes
// back; an object a service refers to cannot be removed.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { assertStatus, type ControlHarness, startControlHarness } from './testing/index.js';

const harnesses: ControlHarness[] = [];

async function start(): Promise<ControlHarness> {
  const h = await startControlHarness({ seed: 3 });
  harnesses.push(h);
  return h;
}

test.after.always(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

const DATA = Buffer.from('hunter2');

test('CreateSecret stores the data but no answer ever carries it', async (t) => {
  const h = await start();
  const { secret } = await h.call('CreateSecret', {
    spec: { annotations: { name: 'db-pass', labels: { app: 'db' } }, data: DATA },
  });
  const id = secret?.id ?? '';
  t.is(secret?.spec?.annotations?.name, 'db-pass');
  t.is(secret?.spec?.data.length, 0);
  t.is((await h.call('GetSecret', { secretId: 'db-pass' })).secret?.spec?.data.length, 0);
  t.is((await h.call('GetSecret', { secretId: id.slice(0, 5) })).secret?.id, id);
  const listed = (await h.call('ListSecrets', { filters: { labels: { app: 'db' } } })).secrets;
  t.deepEqual(
    listed.map((s) => [s.id, s.spec?.data.length]),
    [[id, 0]],
  );
  t.is((await h.control.getSecret(id)).spec.data.byteLength, 0, 'nor does the model-level API');
  t.is((await h.control.listSecrets())[0]?.spec.data.byteLength, 0);
  // The store has it.
  t.deepEqual(Buffer.from(h.store.view((tx) => tx.secrets.get(id)?.spec.data) ?? []), DATA);
});

test('CreateSecret refuses a taken name, empty data and data of 500 KiB', async (t) => {
  const h = await start();
  await h.call('CreateSecret', { spec: { annotations: { name: 'db-pass' }, data: DATA } });
  await assertStatus(
    t,
    h.call('CreateSecret', { spec: { annotations: { name: 'DB-PASS' }, data: DATA } }),
    grpc.status.ALREADY_EXISTS,
    'Cannot create secret "DB-PASS": name conflicts with an existing secret',
  );
  await assertStatus(
    t,
    h.call('CreateSecret', { spec: { annotations: { name: 'empty' } } }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create secret "empty": spec.data: must be 1 to 511999 bytes (less than 500 KiB), got 0 bytes',
  );
  await assertStatus(
    t,
    h.call('CreateSecret', { spec: { annotations: { name: 'big' }, data: Buffer.alloc(500 * 1024) } }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create secret "big": spec.data: must be 1 to 511999 bytes (less than 500 KiB), got 512000 bytes',
  );
  await assertStatus(
    t,
    h.call('CreateSecret', { spec: { data: DATA } }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create secret "": spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got ""',
  );
});

test('RemoveSecret is refused while a service refers to it, and works once it no longer does', async (t) => {
  const h = await start();
  await h.call('CreateSecret', { spec: { annotations: { name: 'db-pass' }, data: DATA } });
  const service = (spec: { name: string; secret: boolean }) => ({
    annotations: { name: spec.name },
    task: { container: { image: 'host', secrets: spec.secret ? [{ secretName: 'db-pass' }] : [] } },
  });
  const web = (await h.call('CreateService', { spec: service({ name: 'web', secret: true }) })).service;
  await h.call('CreateService', { spec: service({ name: 'api', secret: true }) });
  const err = await assertStatus(
    t,
    h.call('RemoveSecret', { secretId: 'db-pass' }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove secret "db-pass": it is in use by services "api", "web"',
  );
  t.is(err.metadata.get('x-swarmd-error-code')[0], 'ERR_CONTROLAPI_IN_USE');
  await h.call('RemoveService', { serviceId: 'api' });
  await assertStatus(
    t,
    h.call('RemoveSecret', { secretId: 'db-pass' }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove secret "db-pass": it is in use by service "web"',
  );
  await h.call('UpdateService', {
    serviceId: 'web',
    serviceVersion: web?.meta?.version ?? null,
    spec: service({ name: 'web', secret: false }),
  });
  await h.call('RemoveSecret', { secretId: 'db-pass' });
  t.deepEqual((await h.call('ListSecrets', {})).secrets, []);
  await assertStatus(
    t,
    h.call('RemoveSecret', { secretId: 'db-pass' }),
    grpc.status.NOT_FOUND,
    'Cannot remove secret "db-pass": no secret has this id, name or id prefix',
  );
});

test('configs: create, get and list return the data; removal is refused while in use', async (t) => {
  const h = await start();
  const { config } = await h.call('CreateConfig', {
    spec: { annotations: { name: 'app-conf' }, data: Buffer.from('port=80\n') },
  });
  t.is(config?.spec?.data.toString(), 'port=80\n');
  t.is((await h.call('GetConfig', { configId: 'app-conf' })).config?.spec?.data.toString(), 'port=80\n');
  t.deepEqual(
    (await h.call('ListConfigs', { filters: { namePrefixes: ['app'] } })).configs.map((c) =>
      c.spec?.data.toString(),
    ),
    ['port=80\n'],
  );
  await h.call('CreateService', {
    spec: {
      annotations: { name: 'web' },
      task: { container: { image: 'host', configs: [{ configId: config?.id ?? '' }] } },
    },
  });
  await assertStatus(
    t,
    h.call('RemoveConfig', { configId: config?.id ?? '' }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove config "app-conf": it is in use by service "web"',
  );
  await h.call('RemoveService', { serviceId: 'web' });
  await h.call('RemoveConfig', { configId: 'app-conf' });
  await assertStatus(t, h.call('GetConfig', { configId: 'app-conf' }), grpc.status.NOT_FOUND);
  await assertStatus(
    t,
    h.call('CreateConfig', { spec: { annotations: { name: 'big' }, data: Buffer.alloc(1000 * 1024) } }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create config "big": spec.data: must be 1 to 1023999 bytes (less than 1000 KiB), got 1024000 bytes',
  );
});

test('networks: create with defaults, get, list, refuse bad IPAM, refuse removal while attached', async (t) => {
  const h = await start();
  const { network } = await h.call('CreateNetwork', {
    spec: { annotations: { name: 'backend' }, ipam: [{ subnet: '10.0.9.0/24', gateway: '10.0.9.1' }] },
  });
  t.is(network?.spec?.driver, 'overlay');
  t.deepEqual(network?.spec?.ipam, [{ subnet: '10.0.9.0/24', gateway: '10.0.9.1' }]);
  await h.call('CreateNetwork', {
    spec: { annotations: { name: 'local' }, driver: 'bridge', attachable: true },
  });
  t.deepEqual(
    (await h.call('ListNetworks', {})).networks.map((n) => [n.spec?.annotations?.name, n.spec?.driver]),
    [
      ['backend', 'overlay'],
      ['local', 'bridge'],
    ],
  );
  t.is(
    (await h.call('GetNetwork', { networkId: network?.id ?? '' })).network?.spec?.annotations?.name,
    'backend',
  );
  await assertStatus(
    t,
    h.call('CreateNetwork', {
      spec: {
        annotations: { name: 'bad' },
        driver: 'macvlan',
        ipam: [
          { subnet: '10.1.0.0/16' },
          { subnet: '10.1.2.0/24' },
          { subnet: '10.2.0.1/24' },
          { subnet: '10.3.0.0/24', gateway: '10.4.0.1' },
          { subnet: 'ten' },
        ],
      },
    }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot create network "bad": spec.driver: must be one of bridge|overlay, got "macvlan"; ' +
      'spec.ipam[1].subnet: 10.1.2.0/24 overlaps ipam[0] (10.1.0.0/16); ' +
      'spec.ipam[2].subnet: must not have host bits set, got "10.2.0.1/24"; ' +
      'spec.ipam[3].gateway: must be an IPv4 address in 10.3.0.0/24, got "10.4.0.1"; ' +
      'spec.ipam[4].subnet: must be an IPv4 CIDR of /30 or larger, like 10.0.9.0/24, got "ten"',
  );
  await assertStatus(
    t,
    h.call('CreateNetwork', { spec: { annotations: { name: 'Backend' } } }),
    grpc.status.ALREADY_EXISTS,
    'Cannot create network "Backend": name conflicts with an existing network',
  );
  await h.call('CreateService', {
    spec: {
      annotations: { name: 'web' },
      task: { container: { image: 'host' }, networks: [{ target: 'backend' }] },
    },
  });
  await assertStatus(
    t,
    h.call('RemoveNetwork', { networkId: 'backend' }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove network "backend": it is in use by service "web"',
  );
  await h.call('RemoveNetwork', { networkId: 'local' });
  await h.call('RemoveService', { serviceId: 'web' });
  await h.call('RemoveNetwork', { networkId: 'backend' });
  t.deepEqual((await h.call('ListNetworks', {})).networks, []);
});
