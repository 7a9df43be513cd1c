// The flag value readers: every kind of value, and bad values refused with the flag named.
import test from 'ava';
import { FlagError } from '../../common/index.js';
import {
  csvFields,
  envEntry,
  fileReference,
  filters,
  keyValue,
  keyValues,
  mount,
  networkAttachment,
  placementPreference,
  port,
  portMatcher,
  ratio,
  shellWords,
  wholeNumber,
} from './parse.js';

function refuses(
  t: import('ava').ExecutionContext,
  fn: () => unknown,
  flag: string,
  message: string | RegExp,
) {
  const err = t.throws(fn, { instanceOf: FlagError });
  t.is((err as FlagError).flag, flag);
  if (typeof message === 'string') t.is(err?.message, `${flag}: ${message}`);
  else t.regex(err?.message ?? '', message);
}

test('whole numbers and ratios', (t) => {
  t.is(wholeNumber('--replicas', '3'), 3);
  t.is(wholeNumber('--replicas', ' 0 '), 0);
  refuses(
    t,
    () => wholeNumber('--replicas', '-1'),
    '--replicas',
    'must be a whole number (0 or more), got "-1"',
  );
  refuses(t, () => wholeNumber('--replicas', 'three'), '--replicas', /got "three"/);
  refuses(t, () => wholeNumber('--replicas', '1.5'), '--replicas', /whole number/);
  refuses(t, () => wholeNumber('--replicas', '99999999999999999999'), '--replicas', /too large/);
  t.is(ratio('--update-max-failure-ratio', '0.25'), 0.25);
  t.is(ratio('--update-max-failure-ratio', '.5'), 0.5);
  t.is(ratio('--update-max-failure-ratio', '1'), 1);
  refuses(
    t,
    () => ratio('--update-max-failure-ratio', 'half'),
    '--update-max-failure-ratio',
    /number such as 0.2/,
  );
});

test('key=value, env entries and filters', (t) => {
  t.deepEqual(keyValue('--label', 'a=b=c'), ['a', 'b=c']);
  t.deepEqual(keyValue('--label', 'ssd'), ['ssd', '']);
  refuses(t, () => keyValue('--label', '=x'), '--label', 'must be KEY=VALUE or KEY, got "=x"');
  t.deepEqual(keyValues('--label', ['a=1', 'b', 'a=2']), { a: '2', b: '' });
  t.is(envEntry('--env', 'A=1'), 'A=1');
  t.is(envEntry('--env', 'A='), 'A=');
  refuses(t, () => envEntry('--env', 'A'), '--env', 'must be KEY=VALUE, got "A"');
  refuses(t, () => envEntry('--env', '=1'), '--env', /KEY=VALUE/);
  t.deepEqual(
    [...filters('--filter', ['name=web', 'name=api', 'label=env=prod'], ['name', 'label'])],
    [
      ['name', ['web', 'api']],
      ['label', ['env=prod']],
    ],
  );
  refuses(
    t,
    () => filters('--filter', ['colour=red'], ['name', 'id']),
    '--filter',
    /KEY one of name, id, got "colour=red"/,
  );
  refuses(t, () => filters('--filter', ['name'], ['name']), '--filter', /got "name"/);
  t.deepEqual(csvFields('--mount', 'Type=bind,ro'), [
    ['type', 'bind'],
    ['ro', ''],
  ]);
  refuses(t, () => csvFields('--mount', ''), '--mount', 'must not be empty');
});

test('ports: short and long forms, protocols, ranges', (t) => {
  t.deepEqual(port('--publish', '8080:80'), { targetPort: 80, publishedPort: 8080 });
  t.deepEqual(port('--publish', '53:53/udp'), {
    targetPort: 53,
    publishedPort: 53,
    protocol: 'PORT_PROTOCOL_UDP',
  });
  t.deepEqual(port('--publish', '80'), { targetPort: 80 });
  t.deepEqual(port('--publish', '80/TCP'), { targetPort: 80, protocol: 'PORT_PROTOCOL_TCP' });
  t.deepEqual(port('--publish', 'published=8443,target=443,protocol=tcp,mode=ingress'), {
    publishedPort: 8443,
    targetPort: 443,
    protocol: 'PORT_PROTOCOL_TCP',
    publishMode: 'PUBLISH_MODE_INGRESS',
  });
  refuses(t, () => port('--publish', '8080-80'), '--publish', /PUBLISHED:TARGET/);
  refuses(
    t,
    () => port('--publish', '8080:0'),
    '--publish',
    'a port must be a number between 1 and 65535, got "0"',
  );
  refuses(t, () => port('--publish', '70000:80'), '--publish', /between 0 and 65535, got "70000"/);
  refuses(t, () => port('--publish', '80/sctp'), '--publish', 'the protocol must be tcp or udp, got "sctp"');
  refuses(t, () => port('--publish', 'published=80'), '--publish', /target=PORT is required/);
  refuses(t, () => port('--publish', 'target=80,mode=vip'), '--publish', /mode must be host or ingress/);
  refuses(t, () => port('--publish', 'target=80,colour=red'), '--publish', /unknown field "colour"/);
  const m = portMatcher('--publish-rm', '80');
  t.true(m({ targetPort: 80, publishedPort: 8080 }));
  t.false(m({ targetPort: 81 }));
  t.false(portMatcher('--publish-rm', '80/udp')({ targetPort: 80, protocol: 'PORT_PROTOCOL_TCP' }));
  t.true(portMatcher('--publish-rm', '80/tcp')({ targetPort: 80, protocol: 'PORT_PROTOCOL_UNSPECIFIED' }));
  t.false(portMatcher('--publish-rm', '9090:80')({ targetPort: 80, publishedPort: 8080 }));
});

test('mounts: fields, aliases, booleans, required target', (t) => {
  t.deepEqual(mount('--mount', 'type=bind,source=/a,target=/b,readonly'), {
    type: 'MOUNT_TYPE_BIND',
    source: '/a',
    target: '/b',
    readOnly: true,
  });
  t.deepEqual(mount('--mount', 'type=tmpfs,dst=/tmp'), { type: 'MOUNT_TYPE_TMPFS', target: '/tmp' });
  t.deepEqual(mount('--mount', 'src=data,destination=/data,ro=false'), {
    type: 'MOUNT_TYPE_VOLUME',
    source: 'data',
    target: '/data',
    readOnly: false,
  });
  refuses(
    t,
    () => mount('--mount', 'type=nfs,target=/x'),
    '--mount',
    'type must be bind, volume or tmpfs, got "nfs"',
  );
  refuses(t, () => mount('--mount', 'type=bind,source=/a'), '--mount', /target=PATH is required/);
  refuses(
    t,
    () => mount('--mount', 'target=/x,readonly=maybe'),
    '--mount',
    'readonly must be true or false, got "maybe"',
  );
  refuses(
    t,
    () => mount('--mount', 'target=/x,propagation=shared'),
    '--mount',
    /unknown field "propagation"/,
  );
});

test('secret and config references', (t) => {
  t.deepEqual(fileReference('--secret', 'DbPass'), { name: 'DbPass' });
  t.deepEqual(fileReference('--secret', 'db,target=pw,uid=10,gid=20,mode=0400'), {
    name: 'db',
    target: 'pw',
    uid: '10',
    gid: '20',
    mode: 0o400,
  });
  t.deepEqual(fileReference('--config', 'source=app,target=/etc/app.conf'), {
    name: 'app',
    target: '/etc/app.conf',
  });
  refuses(
    t,
    () => fileReference('--secret', 'db,mode=999'),
    '--secret',
    'mode must be octal such as 0440, got "999"',
  );
  refuses(t, () => fileReference('--secret', 'db,colour=red'), '--secret', /unknown field "colour"/);
  refuses(t, () => fileReference('--secret', 'target=x'), '--secret', /must name a secret or config/);
});

test('placement preferences, networks and shell words', (t) => {
  t.deepEqual(placementPreference('--placement-pref', 'spread=node.labels.zone'), {
    spread: 'node.labels.zone',
  });
  refuses(
    t,
    () => placementPreference('--placement-pref', 'binpack=x'),
    '--placement-pref',
    /spread=<label>/,
  );
  t.deepEqual(networkAttachment('--network', 'backend'), { target: 'backend', aliases: [] });
  t.deepEqual(networkAttachment('--network', 'name=backend,alias=db,alias=pg'), {
    target: 'backend',
    aliases: ['db', 'pg'],
  });
  refuses(t, () => networkAttachment('--network', 'alias=db'), '--network', /name=NETWORK is required/);
  t.deepEqual(shellWords('--entrypoint', `sh -c 'echo "hi there"' a\\ b "x\\"y"`), [
    'sh',
    '-c',
    'echo "hi there"',
    'a b',
    'x"y',
  ]);
  t.deepEqual(shellWords('--entrypoint', ''), []);
  refuses(t, () => shellWords('--entrypoint', `sh -c 'oops`), '--entrypoint', /unterminated ' quote/);
});
