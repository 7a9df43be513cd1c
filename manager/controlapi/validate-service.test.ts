// The validation table: each bad spec, sent as the wire message, must be refused with its exact problem,
// both by `compileServiceSpec()` directly (after the edge conversion) and by CreateService over gRPC
// (INVALID_ARGUMENT, `Cannot create service "<name>": <problem>`). Then the defaults and good specs.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { type controlpb, loadProto, type ServiceSpec } from '../../proto/index.js';
import { serviceSpecFromProto } from './convert.js';
import { InvalidSpecError } from './errors.js';
import { type ControlHarness, startControlHarness } from './testing/index.js';
import { compileServiceSpec, type SpecReferences } from './validate-service.js';

type Spec = controlpb.ServiceSpec;
type Container = controlpb.ContainerSpec;

let h: ControlHarness;
let secretId = '';
let configId = '';
let networkId = '';

test.before(async () => {
  h = await startControlHarness({ seed: 11 });
  secretId = (await h.control.createSecret({ annotations: { name: 'db-pass' }, data: Buffer.from('s3cret') }))
    .id;
  configId = (await h.control.createConfig({ annotations: { name: 'app-conf' }, data: Buffer.from('x=1') }))
    .id;
  networkId = (await h.control.createNetwork({ annotations: { name: 'backend' } })).id;
});

test.after.always(async () => {
  await h?.close();
});

/** The references of the harness's store, as the service resolves them. */
function refs(): SpecReferences {
  const known = (id: string, name: string, wantId: string, wantName: string) =>
    (id !== '' ? id === wantId : name.toLowerCase() === wantName)
      ? { id: wantId, name: wantName }
      : undefined;
  return {
    secret: (id, name) => known(id, name, secretId, 'db-pass'),
    config: (id, name) => known(id, name, configId, 'app-conf'),
    network: (target) =>
      target === networkId || target.toLowerCase() === 'backend'
        ? { id: networkId, name: 'backend' }
        : undefined,
  };
}

const wire = loadProto('control')['swarmd.control.ServiceSpec'] as unknown as {
  serialize(v: Spec): Buffer;
  deserialize(b: Buffer): controlpb.ServiceSpec__Output;
};

function good(): Spec {
  return {
    annotations: { name: 'web', labels: { tier: 'front' } },
    task: { container: { image: 'host', command: ['/bin/sh'], args: ['-c', 'sleep 1000'], env: ['A=1'] } },
    replicated: { replicas: 2 },
  };
}

/** The container of a spec made by good(). */
function ctr(s: Spec): Container {
  return s.task?.container as Container;
}

interface Row {
  name: string;
  mutate: (s: Spec) => void;
  problem: string;
}

const KNOWN =
  '(known: node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name>, engine.labels.<name>)';
const HEALTH = 'must be ["NONE"], ["CMD", command, args...] or ["CMD-SHELL", command]';
const LONG_NAME = 'a'.repeat(64);
const LONG_KEY = 'k'.repeat(129);

const rows: Row[] = [
  // annotations
  {
    name: 'empty name',
    mutate: (s) => {
      s.annotations = { name: '' };
    },
    problem:
      'spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got ""',
  },
  {
    name: 'name of 64 characters',
    mutate: (s) => {
      s.annotations = { name: LONG_NAME };
    },
    problem: `spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "${LONG_NAME}"`,
  },
  {
    name: 'name starting with a dash',
    mutate: (s) => {
      s.annotations = { name: '-web' };
    },
    problem:
      'spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "-web"',
  },
  {
    name: 'name with a space',
    mutate: (s) => {
      s.annotations = { name: 'web app' };
    },
    problem:
      'spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "web app"',
  },
  {
    name: 'name with a slash',
    mutate: (s) => {
      s.annotations = { name: 'web/1' };
    },
    problem:
      'spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "web/1"',
  },
  {
    name: 'empty label key',
    mutate: (s) => {
      s.annotations = { name: 'web', labels: { '': 'x' } };
    },
    problem: 'spec.annotations.labels[""]: key must not be empty',
  },
  {
    name: 'label key with whitespace',
    mutate: (s) => {
      s.annotations = { name: 'web', labels: { 'a b': 'x' } };
    },
    problem: 'spec.annotations.labels["a b"]: key must not contain whitespace or "="',
  },
  {
    name: 'label key too long',
    mutate: (s) => {
      s.annotations = { name: 'web', labels: { [LONG_KEY]: 'x' } };
    },
    problem: `spec.annotations.labels["${LONG_KEY}"]: key must be at most 128 characters`,
  },
  // container
  {
    name: 'empty image',
    mutate: (s) => {
      ctr(s).image = '';
    },
    problem: 'spec.task.container.image: must not be empty',
  },
  {
    name: 'no task at all',
    mutate: (s) => {
      s.task = null;
    },
    problem: 'spec.task.container.image: must not be empty',
  },
  {
    name: 'image with whitespace',
    mutate: (s) => {
      ctr(s).image = 'busy box';
    },
    problem: 'spec.task.container.image: must not contain whitespace, got "busy box"',
  },
  {
    name: 'empty program',
    mutate: (s) => {
      ctr(s).command = ['', 'x'];
    },
    problem: 'spec.task.container.command[0]: must not be empty (the program to run)',
  },
  {
    name: 'NUL in an argument',
    mutate: (s) => {
      ctr(s).args = ['a\0b'];
    },
    problem: 'spec.task.container.args[0]: must not contain NUL characters, got "a\\u0000b"',
  },
  {
    name: 'env without "="',
    mutate: (s) => {
      ctr(s).env = ['FOO'];
    },
    problem: 'spec.task.container.env[0]: must be KEY=value with a non-empty KEY, got "FOO"',
  },
  {
    name: 'env with an empty key',
    mutate: (s) => {
      ctr(s).env = ['A=1', '=x'];
    },
    problem: 'spec.task.container.env[1]: must be KEY=value with a non-empty KEY, got "=x"',
  },
  {
    name: 'relative working directory',
    mutate: (s) => {
      ctr(s).dir = 'app';
    },
    problem: 'spec.task.container.dir: must be an absolute path, got "app"',
  },
  {
    name: 'user with a space',
    mutate: (s) => {
      ctr(s).user = 'root user';
    },
    problem: 'spec.task.container.user: must be user, uid, user:group or uid:gid, got "root user"',
  },
  {
    name: 'hostname with an underscore',
    mutate: (s) => {
      ctr(s).hostname = 'web_1';
    },
    problem:
      'spec.task.container.hostname: must be a hostname of dot-separated labels of [a-zA-Z0-9-], got "web_1"',
  },
  {
    name: 'container label with an empty key',
    mutate: (s) => {
      ctr(s).labels = { '': 'v' };
    },
    problem: 'spec.task.container.labels[""]: key must not be empty',
  },
  {
    name: 'negative stop grace period',
    mutate: (s) => {
      ctr(s).stopGracePeriodMs = -1;
    },
    problem: 'spec.task.container.stopGracePeriodMs: must be ≥ 0, got -1',
  },
  {
    name: 'unknown stop signal',
    mutate: (s) => {
      ctr(s).stopSignal = 'SIGFOO';
    },
    problem:
      'spec.task.container.stopSignal: must be a signal name (SIGTERM or TERM) or number 1–64, got "SIGFOO"',
  },
  {
    name: 'stop signal number out of range',
    mutate: (s) => {
      ctr(s).stopSignal = '65';
    },
    problem:
      'spec.task.container.stopSignal: must be a signal name (SIGTERM or TERM) or number 1–64, got "65"',
  },
  {
    name: 'lower-case capability',
    mutate: (s) => {
      ctr(s).capabilityAdd = ['net_admin'];
    },
    problem:
      'spec.task.container.capabilityAdd[0]: must be a capability name like CAP_NET_ADMIN or NET_ADMIN, got "net_admin"',
  },
  // mounts
  {
    name: 'mount without a type',
    mutate: (s) => {
      ctr(s).mounts = [{ source: '/srv', target: '/data' }];
    },
    problem: 'spec.task.container.mounts[0].type: must be one of bind|volume|tmpfs',
  },
  {
    name: 'mount of an unknown type',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 9 as controlpb.MountType, source: '/srv', target: '/data' }];
    },
    problem: 'spec.task.container.mounts[0].type: must be one of bind|volume|tmpfs, got 9',
  },
  {
    name: 'mount with a relative target',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 'MOUNT_TYPE_BIND', source: '/srv', target: 'data' }];
    },
    problem: 'spec.task.container.mounts[0].target: must be an absolute path, got "data"',
  },
  {
    name: 'mount over the root',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 'MOUNT_TYPE_TMPFS', target: '/' }];
    },
    problem: 'spec.task.container.mounts[0].target: must not be the root "/", got "/"',
  },
  {
    name: 'bind mount with a relative source',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 'MOUNT_TYPE_BIND', source: 'srv', target: '/data' }];
    },
    problem:
      'spec.task.container.mounts[0].source: must be an absolute host path for a bind mount, got "srv"',
  },
  {
    name: 'tmpfs mount with a source',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 'MOUNT_TYPE_TMPFS', source: '/x', target: '/tmp' }];
    },
    problem: 'spec.task.container.mounts[0].source: must be empty for a tmpfs mount, got "/x"',
  },
  {
    name: 'volume mount with a path as source',
    mutate: (s) => {
      ctr(s).mounts = [{ type: 'MOUNT_TYPE_VOLUME', source: 'a/b', target: '/data' }];
    },
    problem:
      'spec.task.container.mounts[0].source: must be empty or a volume name of [a-zA-Z0-9_.-] for a volume mount, got "a/b"',
  },
  {
    name: 'two mounts on one target',
    mutate: (s) => {
      ctr(s).mounts = [
        { type: 'MOUNT_TYPE_BIND', source: '/srv', target: '/data' },
        { type: 'MOUNT_TYPE_TMPFS', target: '/data/' },
      ];
    },
    problem: 'spec.task.container.mounts[1].target: "/data/" is already the target of mounts[0]',
  },
  // secrets
  {
    name: 'secret reference naming nothing',
    mutate: (s) => {
      ctr(s).secrets = [{}];
    },
    problem: 'spec.task.container.secrets[0]: must name a secret (secretId or secretName)',
  },
  {
    name: 'secret id that does not exist',
    mutate: (s) => {
      ctr(s).secrets = [{ secretId: 'nope' }];
    },
    problem: 'spec.task.container.secrets[0].secretId: no secret has the id "nope"',
  },
  {
    name: 'secret name that does not exist',
    mutate: (s) => {
      ctr(s).secrets = [{ secretName: 'nope' }];
    },
    problem: 'spec.task.container.secrets[0].secretName: no secret is named "nope"',
  },
  {
    name: 'secret target with a slash',
    mutate: (s) => {
      ctr(s).secrets = [{ secretName: 'db-pass', target: 'a/b' }];
    },
    problem:
      'spec.task.container.secrets[0].target: must be a file name (under /run/secrets), without "/", got "a/b"',
  },
  {
    name: 'two secrets on one target',
    mutate: (s) => {
      ctr(s).secrets = [{ secretName: 'db-pass' }, { secretId: secretId }];
    },
    problem: 'spec.task.container.secrets[1].target: "db-pass" is already the target of secrets[0]',
  },
  {
    name: 'secret file mode above 0777',
    mutate: (s) => {
      ctr(s).secrets = [{ secretName: 'db-pass', mode: 0o4777 }];
    },
    problem: 'spec.task.container.secrets[0].mode: must be between 0 and 511 (mode 0777), got 2559',
  },
  {
    name: 'secret owner by name',
    mutate: (s) => {
      ctr(s).secrets = [{ secretName: 'db-pass', uid: 'root' }];
    },
    problem: 'spec.task.container.secrets[0].uid: must be a numeric user id, got "root"',
  },
  // configs
  {
    name: 'config name that does not exist',
    mutate: (s) => {
      ctr(s).configs = [{ configName: 'nope' }];
    },
    problem: 'spec.task.container.configs[0].configName: no config is named "nope"',
  },
  {
    name: 'config with a relative target',
    mutate: (s) => {
      ctr(s).configs = [{ configName: 'app-conf', target: 'etc/app.conf' }];
    },
    problem: 'spec.task.container.configs[0].target: must be an absolute path, got "etc/app.conf"',
  },
  {
    name: 'two configs on one target',
    mutate: (s) => {
      ctr(s).configs = [{ configName: 'app-conf' }, { configId: configId, target: '/app-conf' }];
    },
    problem: 'spec.task.container.configs[1].target: "/app-conf" is already the target of configs[0]',
  },
  // healthcheck
  {
    name: 'healthcheck without a test',
    mutate: (s) => {
      ctr(s).healthcheck = { test: [] };
    },
    problem: `spec.task.container.healthcheck.test: ${HEALTH}, got []`,
  },
  {
    name: 'healthcheck CMD without a command',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD'] };
    },
    problem: `spec.task.container.healthcheck.test: ${HEALTH}, got ["CMD"]`,
  },
  {
    name: 'healthcheck CMD-SHELL with two commands',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD-SHELL', 'a', 'b'] };
    },
    problem: `spec.task.container.healthcheck.test: ${HEALTH}, got ["CMD-SHELL","a","b"]`,
  },
  {
    name: 'healthcheck NONE with arguments',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['NONE', 'x'] };
    },
    problem: `spec.task.container.healthcheck.test: ${HEALTH}, got ["NONE","x"]`,
  },
  {
    name: 'healthcheck of an unknown kind',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['SHELL', 'true'] };
    },
    problem: `spec.task.container.healthcheck.test: ${HEALTH}, got ["SHELL","true"]`,
  },
  {
    name: 'negative healthcheck interval',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD', 'true'], intervalMs: -1 };
    },
    problem: 'spec.task.container.healthcheck.intervalMs: must be ≥ 0, got -1',
  },
  {
    name: 'negative healthcheck timeout',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD', 'true'], timeoutMs: -5 };
    },
    problem: 'spec.task.container.healthcheck.timeoutMs: must be ≥ 0, got -5',
  },
  {
    name: 'negative healthcheck retries',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD', 'true'], retries: -1 };
    },
    problem: 'spec.task.container.healthcheck.retries: must be ≥ 0, got -1',
  },
  {
    name: 'negative healthcheck start period',
    mutate: (s) => {
      ctr(s).healthcheck = { test: ['CMD', 'true'], startPeriodMs: -1 };
    },
    problem: 'spec.task.container.healthcheck.startPeriodMs: must be ≥ 0, got -1',
  },
  // resources
  {
    name: 'negative CPU limit',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { nanoCpus: -1 } } };
    },
    problem: 'spec.task.resources.limits.nanoCpus: must be ≥ 0, got -1',
  },
  {
    name: 'negative memory limit',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { memoryBytes: -1 } } };
    },
    problem: 'spec.task.resources.limits.memoryBytes: must be ≥ 0, got -1',
  },
  {
    name: 'memory limit below 4 MiB',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { memoryBytes: 1024 } } };
    },
    problem:
      'spec.task.resources.limits.memoryBytes: must be 0 (unlimited) or at least 4194304 (4 MiB), got 1024',
  },
  {
    name: 'negative pids limit',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { pids: -1 } } };
    },
    problem: 'spec.task.resources.limits.pids: must be ≥ 0, got -1',
  },
  {
    name: 'negative CPU reservation',
    mutate: (s) => {
      s.task = { ...s.task, resources: { reservations: { nanoCpus: -1 } } };
    },
    problem: 'spec.task.resources.reservations.nanoCpus: must be ≥ 0, got -1',
  },
  {
    name: 'negative memory reservation',
    mutate: (s) => {
      s.task = { ...s.task, resources: { reservations: { memoryBytes: -1 } } };
    },
    problem: 'spec.task.resources.reservations.memoryBytes: must be ≥ 0, got -1',
  },
  {
    name: 'memory reservation above the limit',
    mutate: (s) => {
      s.task = {
        ...s.task,
        resources: { limits: { memoryBytes: 8 << 20 }, reservations: { memoryBytes: 16 << 20 } },
      };
    },
    problem:
      'spec.task.resources.reservations.memoryBytes: must be at most limits.memoryBytes (8388608), got 16777216',
  },
  {
    name: 'CPU reservation above the limit',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { nanoCpus: 1e9 }, reservations: { nanoCpus: 2e9 } } };
    },
    problem:
      'spec.task.resources.reservations.nanoCpus: must be at most limits.nanoCpus (1000000000), got 2000000000',
  },
  {
    name: 'CPU limit beyond a safe integer',
    mutate: (s) => {
      s.task = { ...s.task, resources: { limits: { nanoCpus: '9007199254740993' } } };
    },
    problem: 'spec.task.resources.limits.nanoCpus: must be an integer ≥ 0, got 9007199254740992',
  },
  // restart policy
  {
    name: 'unknown restart condition',
    mutate: (s) => {
      s.task = { ...s.task, restartPolicy: { condition: 7 as controlpb.RestartCondition } };
    },
    problem: 'spec.task.restartPolicy.condition: must be one of none|on-failure|any, got 7',
  },
  {
    name: 'negative restart delay',
    mutate: (s) => {
      s.task = { ...s.task, restartPolicy: { delayMs: -1 } };
    },
    problem: 'spec.task.restartPolicy.delayMs: must be ≥ 0, got -1',
  },
  {
    name: 'negative restart attempts',
    mutate: (s) => {
      s.task = { ...s.task, restartPolicy: { maxAttempts: -1 } };
    },
    problem: 'spec.task.restartPolicy.maxAttempts: must be ≥ 0, got -1',
  },
  {
    name: 'negative restart window',
    mutate: (s) => {
      s.task = { ...s.task, restartPolicy: { windowMs: -1 } };
    },
    problem: 'spec.task.restartPolicy.windowMs: must be ≥ 0, got -1',
  },
  // placement
  {
    name: 'misspelt constraint key',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.lables.zone==a'] } };
    },
    problem: `spec.task.placement.constraints[0]: "node.lables.zone==a": unknown key "node.lables" ${KNOWN}`,
  },
  {
    name: 'constraint without an operator',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.labels.zone'] } };
    },
    problem:
      'spec.task.placement.constraints[0]: "node.labels.zone": expected <key>==<value> or <key>!=<value>',
  },
  {
    name: 'constraint without a value',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.labels.zone=='] } };
    },
    problem: 'spec.task.placement.constraints[0]: "node.labels.zone==": empty value',
  },
  {
    name: 'constraint without a key',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['==a'] } };
    },
    problem: 'spec.task.placement.constraints[0]: "==a": empty key',
  },
  {
    name: 'constraint on labels without a label name',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.labels==a'] } };
    },
    problem:
      'spec.task.placement.constraints[0]: "node.labels==a": key "node.labels" needs a label name (node.labels.<name>)',
  },
  {
    name: 'constraint on an unknown role',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.role==boss'] } };
    },
    problem:
      'spec.task.placement.constraints[0]: "node.role==boss": node.role is manager or worker, got "boss"',
  },
  {
    name: 'second constraint with an unknown key',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.hostname==a', 'node.zone!=b'] } };
    },
    problem: `spec.task.placement.constraints[1]: "node.zone!=b": unknown key "node.zone" ${KNOWN}`,
  },
  {
    name: 'constraint with two operators',
    mutate: (s) => {
      s.task = { ...s.task, placement: { constraints: ['node.id==a==b'] } };
    },
    problem: 'spec.task.placement.constraints[0]: "node.id==a==b": more than one operator',
  },
  {
    name: 'spread over something else than labels',
    mutate: (s) => {
      s.task = { ...s.task, placement: { preferences: [{ spread: 'node.zone' }] } };
    },
    problem:
      'spec.task.placement.preferences[0].spread: must be node.labels.<name> or engine.labels.<name>, got "node.zone"',
  },
  {
    name: 'negative max replicas per node',
    mutate: (s) => {
      s.task = { ...s.task, placement: { maxReplicasPerNode: -1 } };
    },
    problem: 'spec.task.placement.maxReplicasPerNode: must be ≥ 0, got -1',
  },
  {
    name: 'max replicas per node on a global service',
    mutate: (s) => {
      s.replicated = null;
      s.global = {};
      s.task = { ...s.task, placement: { maxReplicasPerNode: 2 } };
    },
    problem: 'spec.task.placement.maxReplicasPerNode: applies only to replicated services, got 2',
  },
  // networks
  {
    name: 'network that does not exist',
    mutate: (s) => {
      s.task = { ...s.task, networks: [{ target: 'nope' }] };
    },
    problem: 'spec.task.networks[0].target: no network has the id or name "nope"',
  },
  {
    name: 'network attachment without a target',
    mutate: (s) => {
      s.task = { ...s.task, networks: [{ target: '' }] };
    },
    problem: 'spec.task.networks[0].target: must name a network (its id or name)',
  },
  {
    name: 'one network attached twice',
    mutate: (s) => {
      s.task = { ...s.task, networks: [{ target: 'backend' }, { target: networkId }] };
    },
    problem: 'spec.task.networks[1].target: network "backend" is already attached by networks[0]',
  },
  {
    name: 'network alias with a space',
    mutate: (s) => {
      s.task = { ...s.task, networks: [{ target: 'backend', aliases: ['a b'] }] };
    },
    problem:
      'spec.task.networks[0].aliases[0]: must be a DNS name of dot-separated labels of [a-zA-Z0-9-], got "a b"',
  },
  {
    name: 'negative force update counter',
    mutate: (s) => {
      s.task = { ...s.task, forceUpdate: -1 };
    },
    problem: 'spec.task.forceUpdate: must be ≥ 0, got -1',
  },
  // mode
  {
    name: 'too many replicas',
    mutate: (s) => {
      s.replicated = { replicas: 100001 };
    },
    problem: 'spec.mode.replicated.replicas: must be between 0 and 100000, got 100001',
  },
  {
    name: 'negative replicas',
    mutate: (s) => {
      s.replicated = { replicas: -1 };
    },
    problem: 'spec.mode.replicated.replicas: must be between 0 and 100000, got -1',
  },
  // update and rollback
  {
    name: 'negative update parallelism',
    mutate: (s) => {
      s.update = { parallelism: -1 };
    },
    problem: 'spec.update.parallelism: must be ≥ 0, got -1',
  },
  {
    name: 'negative update delay',
    mutate: (s) => {
      s.update = { delayMs: -1 };
    },
    problem: 'spec.update.delayMs: must be ≥ 0, got -1',
  },
  {
    name: 'unknown update failure action',
    mutate: (s) => {
      s.update = { failureAction: 9 as controlpb.FailureAction };
    },
    problem: 'spec.update.failureAction: must be one of pause|continue|rollback, got 9',
  },
  {
    name: 'negative update monitor',
    mutate: (s) => {
      s.update = { monitorMs: -1 };
    },
    problem: 'spec.update.monitorMs: must be ≥ 0, got -1',
  },
  {
    name: 'update failure ratio above 1',
    mutate: (s) => {
      s.update = { maxFailureRatio: 1.5 };
    },
    problem: 'spec.update.maxFailureRatio: must be between 0 and 1, got 1.5',
  },
  {
    name: 'negative update failure ratio',
    mutate: (s) => {
      s.update = { maxFailureRatio: -0.25 };
    },
    problem: 'spec.update.maxFailureRatio: must be between 0 and 1, got -0.25',
  },
  {
    name: 'unknown update order',
    mutate: (s) => {
      s.update = { order: 5 as controlpb.UpdateOrder };
    },
    problem: 'spec.update.order: must be one of stop-first|start-first, got 5',
  },
  {
    name: 'rollback that would roll back',
    mutate: (s) => {
      s.rollback = { failureAction: 'FAILURE_ACTION_ROLLBACK' };
    },
    problem: 'spec.rollback.failureAction: must be one of pause|continue, got "rollback"',
  },
  {
    name: 'negative rollback parallelism',
    mutate: (s) => {
      s.rollback = { parallelism: -2 };
    },
    problem: 'spec.rollback.parallelism: must be ≥ 0, got -2',
  },
  // ports
  {
    name: 'port without a target',
    mutate: (s) => {
      s.endpoint = { ports: [{ publishedPort: 8080 }] };
    },
    problem: 'spec.endpoint.ports[0].targetPort: must be between 1 and 65535, got 0',
  },
  {
    name: 'target port above 65535',
    mutate: (s) => {
      s.endpoint = { ports: [{ targetPort: 70000 }] };
    },
    problem: 'spec.endpoint.ports[0].targetPort: must be between 1 and 65535, got 70000',
  },
  {
    name: 'published port above 65535',
    mutate: (s) => {
      s.endpoint = { ports: [{ targetPort: 80, publishedPort: 70000 }] };
    },
    problem: 'spec.endpoint.ports[0].publishedPort: must be between 0 and 65535, got 70000',
  },
  {
    name: 'negative published port',
    mutate: (s) => {
      s.endpoint = { ports: [{ targetPort: 80, publishedPort: -1 }] };
    },
    problem: 'spec.endpoint.ports[0].publishedPort: must be between 0 and 65535, got -1',
  },
  {
    name: 'unknown protocol',
    mutate: (s) => {
      s.endpoint = { ports: [{ targetPort: 80, protocol: 9 as controlpb.PortProtocol }] };
    },
    problem: 'spec.endpoint.ports[0].protocol: must be one of tcp|udp, got 9',
  },
  {
    name: 'unknown publish mode',
    mutate: (s) => {
      s.endpoint = { ports: [{ targetPort: 80, publishMode: 7 as controlpb.PublishMode }] };
    },
    problem: 'spec.endpoint.ports[0].publishMode: must be one of host|ingress, got 7',
  },
  {
    name: 'one published port twice',
    mutate: (s) => {
      s.endpoint = {
        ports: [
          { targetPort: 80, publishedPort: 8080 },
          { targetPort: 81, publishedPort: 8080, protocol: 'PORT_PROTOCOL_TCP' },
        ],
      };
    },
    problem: 'spec.endpoint.ports[1]: published port 8080/tcp is already published by ports[0]',
  },
  {
    name: 'port name with a space',
    mutate: (s) => {
      s.endpoint = { ports: [{ name: 'http port', targetPort: 80 }] };
    },
    problem:
      'spec.endpoint.ports[0].name: must be empty or 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "http port"',
  },
];

test('the table has at least 60 bad specs, each with a distinct name', (t) => {
  t.true(rows.length >= 60, `${rows.length} rows`);
  t.is(new Set(rows.map((r) => r.name)).size, rows.length);
});

for (const row of rows) {
  test(`bad spec: ${row.name}`, async (t) => {
    const spec = good();
    row.mutate(spec);
    const received = wire.deserialize(wire.serialize(spec));
    const err = t.throws(() => compileServiceSpec(serviceSpecFromProto(received), { refs: refs() }), {
      instanceOf: InvalidSpecError,
    });
    t.deepEqual(err?.problems, [row.problem]);
    t.is(err?.code, 'ERR_CONTROLAPI_INVALID_SPEC');

    const name = spec.annotations?.name ?? '';
    const status = await t.throwsAsync(h.call('CreateService', { spec }));
    t.is((status as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
    t.is(
      (status as grpc.ServiceError).details,
      `Cannot create service ${JSON.stringify(name)}: ${row.problem}`,
    );
  });
}

test('`compileServiceSpec()` lists every problem, in field order, in one error', async (t) => {
  const spec = good();
  spec.replicated = { replicas: -1 };
  ctr(spec).image = '';
  spec.update = { maxFailureRatio: 2 };
  const err = t.throws(
    () => compileServiceSpec(serviceSpecFromProto(wire.deserialize(wire.serialize(spec))), { refs: refs() }),
    {
      instanceOf: InvalidSpecError,
    },
  );
  t.deepEqual(err?.problems, [
    'spec.task.container.image: must not be empty',
    'spec.mode.replicated.replicas: must be between 0 and 100000, got -1',
    'spec.update.maxFailureRatio: must be between 0 and 1, got 2',
  ]);
  const status = (await t.throwsAsync(h.call('CreateService', { spec }))) as grpc.ServiceError;
  t.is(
    status.details,
    'Cannot create service "web": spec.task.container.image: must not be empty; ' +
      'spec.mode.replicated.replicas: must be between 0 and 100000, got -1; ' +
      'spec.update.maxFailureRatio: must be between 0 and 1, got 2',
  );
});

test('`compileServiceSpec()` fills in the defaults of a minimal spec', (t) => {
  const spec = compileServiceSpec(
    { annotations: { name: 'web' }, task: { container: { image: 'host' } } },
    { refs: refs() },
  );
  const update = {
    parallelism: 1,
    delayMs: 0,
    failureAction: 'pause',
    monitorMs: 5000,
    maxFailureRatio: 0,
    order: 'stop-first',
  } as const;
  const expected: ServiceSpec = {
    annotations: { name: 'web', labels: {} },
    task: {
      container: {
        image: 'host',
        command: [],
        args: [],
        env: [],
        dir: '',
        user: '',
        hostname: '',
        labels: {},
        mounts: [],
        secrets: [],
        configs: [],
        stopGracePeriodMs: 10_000,
        stopSignal: '',
        healthcheck: null,
        readOnly: false,
        capabilityAdd: [],
        capabilityDrop: [],
      },
      resources: {
        limits: { nanoCpus: 0, memoryBytes: 0, pids: 0 },
        reservations: { nanoCpus: 0, memoryBytes: 0 },
      },
      restartPolicy: { condition: 'any', delayMs: null, maxAttempts: 0, windowMs: 0 },
      placement: { constraints: [], preferences: [], maxReplicasPerNode: 0 },
      networks: [],
      forceUpdate: 0,
    },
    mode: { replicated: { replicas: 1 } },
    update,
    rollback: update,
    endpoint: { ports: [] },
  };
  t.deepEqual(spec, expected);
});

test('CreateService returns the spec with its defaults filled in', async (t) => {
  const { service } = await h.call('CreateService', {
    spec: {
      annotations: { name: 'defaults' },
      task: { container: { image: 'host', healthcheck: { test: ['CMD', 'true'] } }, restartPolicy: {} },
      replicated: {},
      update: { delayMs: 2000 },
    },
  });
  const spec = service?.spec;
  t.is(spec?.mode, 'replicated');
  t.is(spec?.replicated?.replicas, '1');
  t.is(spec?.task?.container?.stopGracePeriodMs, '10000');
  t.deepEqual(spec?.task?.container?.healthcheck, {
    test: ['CMD', 'true'],
    intervalMs: '30000',
    timeoutMs: '30000',
    retries: '3',
    startPeriodMs: '0',
  });
  t.is(spec?.task?.restartPolicy?.condition, 'RESTART_CONDITION_ANY');
  t.is(spec?.task?.restartPolicy?.delayMs, undefined, 'no fixed delay: the default backoff');
  t.deepEqual(spec?.update, {
    parallelism: '1',
    delayMs: '2000',
    failureAction: 'FAILURE_ACTION_PAUSE',
    monitorMs: '5000',
    maxFailureRatio: 0,
    order: 'UPDATE_ORDER_STOP_FIRST',
    _parallelism: 'parallelism',
    _monitorMs: 'monitorMs',
  });
  t.is(spec?.rollback?.failureAction, 'FAILURE_ACTION_PAUSE');
  t.is(service?.specVersion, '1');
  t.is(service?.previousSpec, null);
});

test('a spec using every field is accepted, with references stored by id', async (t) => {
  const spec: Spec = {
    annotations: { name: 'full', labels: { tier: 'front', empty: '' } },
    task: {
      container: {
        image: 'registry.example.com/app:1.2',
        command: ['/app'],
        args: ['--port', '80'],
        env: ['A=1', 'EMPTY='],
        dir: '/srv',
        user: '1000:1000',
        hostname: 'web-1.example',
        labels: { 'com.example.x': 'y' },
        mounts: [
          { type: 'MOUNT_TYPE_BIND', source: '/var/data', target: '/data', readOnly: true },
          { type: 'MOUNT_TYPE_VOLUME', source: 'cache', target: '/cache' },
          { type: 'MOUNT_TYPE_VOLUME', target: '/anon' },
          { type: 'MOUNT_TYPE_TMPFS', target: '/tmp' },
        ],
        secrets: [
          { secretName: 'DB-PASS', mode: 0o400 },
          { secretId, target: 'again', uid: '1000', gid: '1000' },
        ],
        configs: [{ configName: 'app-conf' }, { configId, target: '/etc/app.conf' }],
        stopGracePeriodMs: 0,
        stopSignal: 'SIGQUIT',
        healthcheck: {
          test: ['CMD-SHELL', 'curl -f localhost'],
          intervalMs: 1000,
          timeoutMs: 500,
          retries: 2,
        },
        readOnly: true,
        capabilityAdd: ['CAP_NET_ADMIN', 'SYS_TIME'],
        capabilityDrop: ['ALL'],
      },
      resources: {
        limits: { nanoCpus: 1.5e9, memoryBytes: 512 << 20, pids: 100 },
        reservations: { nanoCpus: 5e8, memoryBytes: 128 << 20 },
      },
      restartPolicy: {
        condition: 'RESTART_CONDITION_ON_FAILURE',
        delayMs: 0,
        maxAttempts: 3,
        windowMs: 60_000,
      },
      placement: {
        constraints: [
          'node.labels.zone==a',
          'node.role != manager',
          'engine.labels.ssd==true',
          'node.platform.os==linux',
        ],
        preferences: [{ spread: 'node.labels.rack' }],
        maxReplicasPerNode: 2,
      },
      networks: [{ target: 'backend', aliases: ['web', 'www.web'] }],
      forceUpdate: 3,
    },
    replicated: { replicas: 100000 },
    update: {
      parallelism: 0,
      delayMs: 1000,
      failureAction: 'FAILURE_ACTION_ROLLBACK',
      monitorMs: 0,
      maxFailureRatio: 0.5,
      order: 'UPDATE_ORDER_START_FIRST',
    },
    rollback: { parallelism: 2, failureAction: 'FAILURE_ACTION_CONTINUE' },
    endpoint: {
      ports: [
        { name: 'http', targetPort: 80, publishedPort: 8080 },
        { targetPort: 80, publishedPort: 8080, protocol: 'PORT_PROTOCOL_UDP' },
        { targetPort: 9090, publishMode: 'PUBLISH_MODE_INGRESS' },
      ],
    },
  };
  const { service } = await h.call('CreateService', { spec });
  const stored = await h.control.getService(service?.id ?? '');
  const c = stored.spec.task.container;
  t.deepEqual(c.secrets, [
    { secretId, secretName: 'db-pass', target: 'db-pass', uid: '0', gid: '0', mode: 0o400 },
    { secretId, secretName: 'db-pass', target: 'again', uid: '1000', gid: '1000', mode: 0o444 },
  ]);
  t.deepEqual(
    c.configs.map((r) => [r.configId, r.configName, r.target]),
    [
      [configId, 'app-conf', '/app-conf'],
      [configId, 'app-conf', '/etc/app.conf'],
    ],
  );
  t.deepEqual(stored.spec.task.networks, [{ target: networkId, aliases: ['web', 'www.web'] }]);
  t.deepEqual(stored.spec.mode, { replicated: { replicas: 100000 } });
  t.deepEqual(stored.spec.task.restartPolicy, {
    condition: 'on-failure',
    delayMs: 0,
    maxAttempts: 3,
    windowMs: 60_000,
  });
  t.is(stored.spec.update.parallelism, 0);
  t.is(stored.spec.update.monitorMs, 0);
  t.is(stored.spec.update.failureAction, 'rollback');
  t.is(stored.spec.rollback.failureAction, 'continue');
  t.deepEqual(stored.spec.rollback.order, 'stop-first');
  t.deepEqual(
    stored.spec.endpoint.ports.map(
      (p) => `${p.name}:${p.targetPort}:${p.publishedPort}/${p.protocol}:${p.publishMode}`,
    ),
    ['http:80:8080/tcp:host', ':80:8080/udp:host', ':9090:0/tcp:ingress'],
  );
  t.deepEqual(stored.spec.annotations.labels, { empty: '', tier: 'front' });
  t.is(c.healthcheck?.intervalMs, 1000);
  t.is(c.healthcheck?.startPeriodMs, 0);
});

test('a global service with no replicas field and zero replicas are both accepted', async (t) => {
  const global = await h.call('CreateService', {
    spec: { annotations: { name: 'agent' }, task: { container: { image: 'host' } }, global: {} },
  });
  t.is(global.service?.spec?.mode, 'global');
  const zero = await h.call('CreateService', {
    spec: {
      annotations: { name: 'idle' },
      task: { container: { image: 'host' } },
      replicated: { replicas: 0 },
    },
  });
  t.is(zero.service?.spec?.replicated?.replicas, '0');
});
