import test from 'ava';
import {
  ALL_CAPABILITIES,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities.js';
import { SpecInvalidError } from './errors.js';

const DOCKER_DEFAULT = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SYS_CHROOT',
  'CAP_MKNOD',
  'CAP_AUDIT_WRITE',
  'CAP_SETFCAP',
];

test("`DEFAULT_CAPABILITIES` is Docker's set in number order, CapEff 00000000a80425fb", (t) => {
  t.deepEqual(DEFAULT_CAPABILITIES, DOCKER_DEFAULT);
  t.is(capabilityMask(DEFAULT_CAPABILITIES), 0xa80425fbn);
  t.is(capabilityMask(DEFAULT_CAPABILITIES).toString(16).padStart(16, '0'), '00000000a80425fb');
});

test('`ALL_CAPABILITIES` is indexed by capability number up to CAP_CHECKPOINT_RESTORE', (t) => {
  t.is(ALL_CAPABILITIES.length, 41);
  t.is(ALL_CAPABILITIES[0], 'CAP_CHOWN');
  t.is(ALL_CAPABILITIES[21], 'CAP_SYS_ADMIN');
  t.is(ALL_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  t.is(capabilityMask(ALL_CAPABILITIES), (1n << 41n) - 1n);
});

test('`capabilityMask()` refuses unknown names', (t) => {
  t.throws(() => capabilityMask(['CAP_FOO']), {
    instanceOf: RangeError,
    message: 'Cannot compute a capability mask: unknown capability "CAP_FOO"',
  });
});

test('`normalizeCapability()` accepts the prefix or not, in any case, and ALL', (t) => {
  t.is(normalizeCapability('CAP_NET_ADMIN'), 'CAP_NET_ADMIN');
  t.is(normalizeCapability('NET_ADMIN'), 'CAP_NET_ADMIN');
  t.is(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
  t.is(normalizeCapability('cap_net_admin'), 'CAP_NET_ADMIN');
  t.is(normalizeCapability('all'), 'ALL');
  t.is(normalizeCapability('CAP_FOO'), null);
  t.is(normalizeCapability(''), null);
});

test('`resolveCapabilities()` without changes gives the defaults', (t) => {
  t.deepEqual(resolveCapabilities({}), DOCKER_DEFAULT);
  t.deepEqual(resolveCapabilities({ capAdd: [], capDrop: [] }), DOCKER_DEFAULT);
});

test('`resolveCapabilities()` adds and drops, in number order, without duplicates', (t) => {
  const caps = resolveCapabilities({
    capAdd: ['sys_admin', 'NET_ADMIN', 'CAP_NET_ADMIN', 'CHOWN'],
    capDrop: ['NET_RAW', 'mknod'],
  });
  t.deepEqual(caps, [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_FSETID',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_NET_ADMIN',
    'CAP_SYS_CHROOT',
    'CAP_SYS_ADMIN',
    'CAP_AUDIT_WRITE',
    'CAP_SETFCAP',
  ]);
});

test('`resolveCapabilities()` capAdd ALL gives every capability minus capDrop', (t) => {
  const caps = resolveCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN', 'sys_module'] });
  t.is(caps.length, 39);
  t.false(caps.includes('CAP_SYS_ADMIN'));
  t.false(caps.includes('CAP_SYS_MODULE'));
  t.deepEqual(resolveCapabilities({ capAdd: ['all'] }), [...ALL_CAPABILITIES]);
});

test('`resolveCapabilities()` capDrop ALL keeps only capAdd', (t) => {
  t.deepEqual(resolveCapabilities({ capDrop: ['ALL'] }), []);
  t.deepEqual(resolveCapabilities({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE', 'CHOWN'] }), [
    'CAP_CHOWN',
    'CAP_NET_BIND_SERVICE',
  ]);
});

test('`resolveCapabilities()` refuses unknown names and contradictions', (t) => {
  const cases: [Parameters<typeof resolveCapabilities>[0], string, string][] = [
    [{ capAdd: ['CAP_FOO'] }, 'capAdd', 'capAdd: unknown capability "CAP_FOO"'],
    [{ capDrop: ['foo'] }, 'capDrop', 'capDrop: unknown capability "foo"'],
    [{ capAdd: [''] }, 'capAdd', 'capAdd: unknown capability ""'],
    [{ capAdd: ['ALL'], capDrop: ['all'] }, 'capDrop', 'capDrop: "ALL" cannot be combined with capAdd "ALL"'],
    [
      { capAdd: ['NET_ADMIN'], capDrop: ['cap_net_admin'] },
      'capDrop',
      'capDrop: "CAP_NET_ADMIN" is also in capAdd',
    ],
    [{ capAdd: [7 as unknown as string] }, 'capAdd', 'capAdd: unknown capability 7'],
    [
      { capAdd: 'NET_ADMIN' as unknown as string[] },
      'capAdd',
      'capAdd: must be an array of capability names',
    ],
  ];
  for (const [changes, option, message] of cases) {
    const err = t.throws(() => resolveCapabilities(changes), { instanceOf: SpecInvalidError, message });
    t.is(err?.code, 'ERR_SPEC_INVALID');
    t.is(err?.option, option);
  }
});
