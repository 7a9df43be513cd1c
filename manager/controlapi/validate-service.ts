/**
 * The ONE place that validates a service spec and fills in its defaults: {@link compileServiceSpec} takes
 * what a client sent ({@link ServiceSpecInput}: the model's shape with every field optional and enums
 * loose) and returns a complete {@link ServiceSpec}, or throws an {@link InvalidSpecError} listing every
 * problem as `<field>: <rule>, got <value>`. References to secrets, configs and networks are looked up
 * through {@link SpecReferences} (the caller's store transaction) and stored by id.
 */
import type {
  ConfigReference,
  ContainerSpec,
  FailureAction,
  HealthConfig,
  Mount,
  Placement,
  PortConfig,
  ResourceRequirements,
  RestartCondition,
  RestartPolicy,
  SecretReference,
  ServiceMode,
  ServiceSpec,
  TaskSpec,
  UpdateConfig,
} from '../../proto/index.js';
import { checkSpreadKey, parseConstraint } from '../../proto/index.js';
import { DEFAULT_UPDATE_CONFIG, SERVICE_DEFAULTS } from './defaults.js';
import { InvalidSpecError } from './errors.js';
import {
  type AnnotationsInput,
  compileAnnotations,
  compileLabels,
  type Loose,
  NAME_RULE,
  type Opt,
  Problems,
  shown,
} from './validate-common.js';

// ---------------------------------------------------------------- input

export interface MountInput {
  type?: Opt<Loose<Mount['type']>>;
  source?: Opt<string>;
  target?: Opt<string>;
  readOnly?: Opt<boolean>;
}

export interface FileReferenceInput {
  /** Secrets: `secretId`/`secretName`; configs: `configId`/`configName` (see the two types below). */
  target?: Opt<string>;
  uid?: Opt<string>;
  gid?: Opt<string>;
  /** Absent: 0444. */
  mode?: Opt<number>;
}

export interface SecretReferenceInput extends FileReferenceInput {
  secretId?: Opt<string>;
  secretName?: Opt<string>;
}

export interface ConfigReferenceInput extends FileReferenceInput {
  configId?: Opt<string>;
  configName?: Opt<string>;
}

export interface HealthConfigInput {
  test?: Opt<readonly string[]>;
  intervalMs?: Opt<number>;
  timeoutMs?: Opt<number>;
  retries?: Opt<number>;
  startPeriodMs?: Opt<number>;
}

export interface ContainerSpecInput {
  image?: Opt<string>;
  command?: Opt<readonly string[]>;
  args?: Opt<readonly string[]>;
  env?: Opt<readonly string[]>;
  dir?: Opt<string>;
  user?: Opt<string>;
  hostname?: Opt<string>;
  labels?: Opt<Readonly<Record<string, string>>>;
  mounts?: Opt<readonly MountInput[]>;
  secrets?: Opt<readonly SecretReferenceInput[]>;
  configs?: Opt<readonly ConfigReferenceInput[]>;
  /** Absent: 10 s. */
  stopGracePeriodMs?: Opt<number>;
  stopSignal?: Opt<string>;
  healthcheck?: Opt<HealthConfigInput>;
  readOnly?: Opt<boolean>;
  capabilityAdd?: Opt<readonly string[]>;
  capabilityDrop?: Opt<readonly string[]>;
}

export interface ResourcesInput {
  nanoCpus?: Opt<number>;
  memoryBytes?: Opt<number>;
}

export interface ResourceRequirementsInput {
  limits?: Opt<ResourcesInput & { pids?: Opt<number> }>;
  reservations?: Opt<ResourcesInput>;
}

export interface RestartPolicyInput {
  /** Absent: any. */
  condition?: Opt<Loose<RestartCondition>>;
  /** Absent: null, the default backoff. */
  delayMs?: Opt<number>;
  maxAttempts?: Opt<number>;
  windowMs?: Opt<number>;
}

export interface PlacementInput {
  constraints?: Opt<readonly string[]>;
  preferences?: Opt<readonly { spread?: Opt<string> }[]>;
  maxReplicasPerNode?: Opt<number>;
}

export interface NetworkAttachmentInput {
  /** A network id or name. */
  target?: Opt<string>;
  aliases?: Opt<readonly string[]>;
}

export interface TaskSpecInput {
  container?: Opt<ContainerSpecInput>;
  resources?: Opt<ResourceRequirementsInput>;
  restartPolicy?: Opt<RestartPolicyInput>;
  placement?: Opt<PlacementInput>;
  networks?: Opt<readonly NetworkAttachmentInput[]>;
  forceUpdate?: Opt<number>;
}

export type ServiceModeInput =
  | { replicated: Opt<{ replicas?: Opt<number> }>; global?: undefined }
  | { global: Opt<Record<string, never>>; replicated?: undefined };

export interface UpdateConfigInput {
  /** Absent: 1 (0 = all at once). */
  parallelism?: Opt<number>;
  delayMs?: Opt<number>;
  /** Absent: pause. */
  failureAction?: Opt<Loose<FailureAction>>;
  /** Absent: 5 s. */
  monitorMs?: Opt<number>;
  maxFailureRatio?: Opt<number>;
  /** Absent: stop-first. */
  order?: Opt<Loose<UpdateConfig['order']>>;
}

export interface PortConfigInput {
  name?: Opt<string>;
  /** Absent: tcp. */
  protocol?: Opt<Loose<PortConfig['protocol']>>;
  targetPort?: Opt<number>;
  publishedPort?: Opt<number>;
  /** Absent: host. */
  publishMode?: Opt<Loose<PortConfig['publishMode']>>;
}

/** A service spec as a client sends it: absent parts take the defaults of `defaults.ts`. */
export interface ServiceSpecInput {
  annotations?: Opt<AnnotationsInput>;
  task?: Opt<TaskSpecInput>;
  /** Absent: replicated with 1 replica. */
  mode?: Opt<ServiceModeInput>;
  update?: Opt<UpdateConfigInput>;
  rollback?: Opt<UpdateConfigInput>;
  endpoint?: Opt<{ ports?: Opt<readonly PortConfigInput[]> }>;
}

/** An object a spec refers to, as stored. */
export interface ReferencedObject {
  readonly id: string;
  readonly name: string;
}

/** How {@link compileServiceSpec} finds the objects a spec refers to (in the caller's transaction). */
export interface SpecReferences {
  /** The secret with id `id` when it is set, else the one named `name` (case-insensitively). */
  secret(id: string, name: string): ReferencedObject | undefined;
  /** Likewise for configs. */
  config(id: string, name: string): ReferencedObject | undefined;
  /** The network with this id, else with this name. */
  network(target: string): ReferencedObject | undefined;
}

export interface CompileServiceSpecOptions {
  refs: SpecReferences;
  /**
   * On update: the stored spec. Its name and its mode (replicated or global) cannot change.
   * @default none (a create)
   */
  current?: ServiceSpec | undefined;
}

// ---------------------------------------------------------------- rules

export const MAX_REPLICAS = 100_000;
/** The smallest memory limit a container can start with (docker's is 6 MiB). */
export const MIN_MEMORY_LIMIT = 4 * 1024 * 1024;

const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const USER = /^[a-zA-Z0-9_.][a-zA-Z0-9_.-]*(:[a-zA-Z0-9_.][a-zA-Z0-9_.-]*)?$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NUMERIC_ID = /^[0-9]{1,10}$/;
const CAPABILITY = /^(CAP_)?[A-Z][A-Z0-9_]*$|^ALL$/;
const SIGNALS = new Set(
  (
    'HUP INT QUIT ILL TRAP ABRT IOT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP ' +
    'TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO POLL PWR SYS'
  ).split(' '),
);

function isSignal(s: string): boolean {
  if (/^[0-9]+$/.test(s)) return Number(s) >= 1 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RTM(IN|AX)([+-][0-9]{1,2})?$/.test(name);
}

function isPortName(s: string): boolean {
  return s === '' || /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(s);
}

function isDnsName(s: string): boolean {
  return HOSTNAME.test(s);
}

function list<T>(v: Opt<readonly T[]>): readonly T[] {
  return v ?? [];
}

// ---------------------------------------------------------------- the compiler

function compileMode(p: Problems, input: Opt<ServiceModeInput>): ServiceMode {
  if (input === null || input === undefined) return { replicated: { replicas: SERVICE_DEFAULTS.replicas } };
  const hasReplicated = input.replicated !== undefined && input.replicated !== null;
  const hasGlobal = input.global !== undefined && input.global !== null;
  if (hasReplicated === hasGlobal) {
    p.add('spec.mode', 'must be either replicated or global');
    return { replicated: { replicas: SERVICE_DEFAULTS.replicas } };
  }
  if (hasGlobal) return { global: {} };
  const replicas = p.int('spec.mode.replicated.replicas', input.replicated?.replicas, {
    min: 0,
    max: MAX_REPLICAS,
    fallback: SERVICE_DEFAULTS.replicas,
  });
  return { replicated: { replicas } };
}

function compileMounts(p: Problems, path: string, input: Opt<readonly MountInput[]>): Mount[] {
  const targets = new Map<string, number>();
  return list(input).map((m, i): Mount => {
    const at = `${path}[${i}]`;
    const types: readonly Mount['type'][] = ['bind', 'volume', 'tmpfs'];
    const type = p.oneOf(`${at}.type`, m.type, types, null);
    /** The source's rule depends on the type: checked only when the type is one. */
    const typed = (types as readonly unknown[]).includes(m.type);
    const target = m.target ?? '';
    if (!target.startsWith('/') || target.includes('\0'))
      p.got(`${at}.target`, 'must be an absolute path', target);
    else if (target.replace(/\/+$/, '') === '') p.got(`${at}.target`, 'must not be the root "/"', target);
    else {
      const key = target.replace(/\/+$/, '');
      const first = targets.get(key);
      if (first !== undefined) p.add(`${at}.target`, `"${target}" is already the target of mounts[${first}]`);
      else targets.set(key, i);
    }
    const source = m.source ?? '';
    if (typed && type === 'bind' && (!source.startsWith('/') || source.includes('\0')))
      p.got(`${at}.source`, 'must be an absolute host path for a bind mount', source);
    if (typed && type === 'volume' && source !== '' && !VOLUME_NAME.test(source))
      p.got(`${at}.source`, 'must be empty or a volume name of [a-zA-Z0-9_.-] for a volume mount', source);
    if (typed && type === 'tmpfs' && source !== '')
      p.got(`${at}.source`, 'must be empty for a tmpfs mount', source);
    return { type, source, target, readOnly: m.readOnly ?? false };
  });
}

/** uid, gid and mode of a secret or config file. */
function compileFileOwner(
  p: Problems,
  at: string,
  ref: FileReferenceInput,
): { uid: string; gid: string; mode: number } {
  const uid =
    ref.uid === null || ref.uid === undefined || ref.uid === '' ? SERVICE_DEFAULTS.fileUid : ref.uid;
  const gid =
    ref.gid === null || ref.gid === undefined || ref.gid === '' ? SERVICE_DEFAULTS.fileGid : ref.gid;
  if (!NUMERIC_ID.test(uid)) p.got(`${at}.uid`, 'must be a numeric user id', uid);
  if (!NUMERIC_ID.test(gid)) p.got(`${at}.gid`, 'must be a numeric group id', gid);
  const mode = p.int(`${at}.mode`, ref.mode, {
    min: 0,
    max: 0o777,
    fallback: SERVICE_DEFAULTS.fileMode,
    note: 'mode 0777',
  });
  return { uid, gid, mode };
}

function compileSecretRefs(
  p: Problems,
  path: string,
  input: Opt<readonly SecretReferenceInput[]>,
  refs: SpecReferences,
): SecretReference[] {
  const targets = new Map<string, number>();
  return list(input).map((ref, i): SecretReference => {
    const at = `${path}[${i}]`;
    const id = ref.secretId ?? '';
    const name = ref.secretName ?? '';
    let found: ReferencedObject | undefined;
    if (id === '' && name === '') p.add(at, 'must name a secret (secretId or secretName)');
    else {
      found = refs.secret(id, name);
      if (found === undefined)
        if (id !== '') p.add(`${at}.secretId`, `no secret has the id "${id}"`);
        else p.add(`${at}.secretName`, `no secret is named "${name}"`);
    }
    const target =
      ref.target === null || ref.target === undefined || ref.target === ''
        ? (found?.name ?? name)
        : ref.target;
    if (target === '' && found === undefined) {
      // Nothing to check: the reference itself was refused.
    } else if (
      target === '' ||
      target.includes('/') ||
      target === '.' ||
      target === '..' ||
      target.includes('\0')
    ) {
      p.got(`${at}.target`, 'must be a file name (under /run/secrets), without "/"', target);
    } else {
      const first = targets.get(target);
      if (first !== undefined)
        p.add(`${at}.target`, `"${target}" is already the target of secrets[${first}]`);
      else targets.set(target, i);
    }
    return {
      secretId: found?.id ?? id,
      secretName: found?.name ?? name,
      target,
      ...compileFileOwner(p, at, ref),
    };
  });
}

function compileConfigRefs(
  p: Problems,
  path: string,
  input: Opt<readonly ConfigReferenceInput[]>,
  refs: SpecReferences,
): ConfigReference[] {
  const targets = new Map<string, number>();
  return list(input).map((ref, i): ConfigReference => {
    const at = `${path}[${i}]`;
    const id = ref.configId ?? '';
    const name = ref.configName ?? '';
    let found: ReferencedObject | undefined;
    if (id === '' && name === '') p.add(at, 'must name a config (configId or configName)');
    else {
      found = refs.config(id, name);
      if (found === undefined)
        if (id !== '') p.add(`${at}.configId`, `no config has the id "${id}"`);
        else p.add(`${at}.configName`, `no config is named "${name}"`);
    }
    const given = ref.target ?? '';
    const fallbackName = found?.name ?? name;
    const target = given === '' ? (fallbackName === '' ? '' : `/${fallbackName}`) : given;
    if (target === '' && found === undefined) {
      // Nothing to check: the reference itself was refused.
    } else if (!target.startsWith('/') || target.includes('\0')) {
      p.got(`${at}.target`, 'must be an absolute path', target);
    } else {
      const first = targets.get(target);
      if (first !== undefined)
        p.add(`${at}.target`, `"${target}" is already the target of configs[${first}]`);
      else targets.set(target, i);
    }
    return {
      configId: found?.id ?? id,
      configName: found?.name ?? name,
      target,
      ...compileFileOwner(p, at, ref),
    };
  });
}

const HEALTH_TEST_RULE = 'must be ["NONE"], ["CMD", command, args...] or ["CMD-SHELL", command]';

function compileHealthcheck(p: Problems, path: string, input: Opt<HealthConfigInput>): HealthConfig | null {
  if (input === null || input === undefined) return null;
  const test = [...list(input.test)];
  const [kind, first] = test;
  const ok =
    (kind === 'NONE' && test.length === 1) ||
    (kind === 'CMD' && test.length >= 2 && first !== '') ||
    (kind === 'CMD-SHELL' && test.length === 2 && first !== '');
  if (!ok || test.some((a) => a.includes('\0'))) p.got(`${path}.test`, HEALTH_TEST_RULE, test);
  const intervalMs = p.duration(`${path}.intervalMs`, input.intervalMs, 0);
  const timeoutMs = p.duration(`${path}.timeoutMs`, input.timeoutMs, 0);
  const retries = p.int(`${path}.retries`, input.retries, { min: 0, fallback: 0 });
  const startPeriodMs = p.duration(`${path}.startPeriodMs`, input.startPeriodMs, 0);
  return {
    test,
    intervalMs: intervalMs === 0 ? SERVICE_DEFAULTS.healthIntervalMs : intervalMs,
    timeoutMs: timeoutMs === 0 ? SERVICE_DEFAULTS.healthTimeoutMs : timeoutMs,
    retries: retries === 0 ? SERVICE_DEFAULTS.healthRetries : retries,
    startPeriodMs,
  };
}

function compileStrings(
  path: string,
  input: Opt<readonly string[]>,
  check: (s: string, at: string) => void,
): string[] {
  return list(input).map((s, i) => {
    check(s, `${path}[${i}]`);
    return s;
  });
}

function compileContainer(
  p: Problems,
  path: string,
  input: Opt<ContainerSpecInput>,
  refs: SpecReferences,
): ContainerSpec {
  const c = input ?? {};
  const image = c.image ?? '';
  if (image === '') p.add(`${path}.image`, 'must not be empty');
  else if (/[\s\0]/.test(image)) p.got(`${path}.image`, 'must not contain whitespace', image);
  const command = compileStrings(`${path}.command`, c.command, (s, at) => {
    if (s.includes('\0')) p.got(at, 'must not contain NUL characters', s);
  });
  if (command.length > 0 && command[0] === '')
    p.add(`${path}.command[0]`, 'must not be empty (the program to run)');
  const args = compileStrings(`${path}.args`, c.args, (s, at) => {
    if (s.includes('\0')) p.got(at, 'must not contain NUL characters', s);
  });
  const env = compileStrings(`${path}.env`, c.env, (s, at) => {
    if (!/^[^=\0]+=/.test(s) || s.includes('\0')) p.got(at, 'must be KEY=value with a non-empty KEY', s);
  });
  const dir = p.absolutePath(`${path}.dir`, c.dir, true);
  const user = c.user ?? '';
  if (user !== '' && !USER.test(user))
    p.got(`${path}.user`, 'must be user, uid, user:group or uid:gid', user);
  const hostname = c.hostname ?? '';
  if (hostname !== '' && !HOSTNAME.test(hostname))
    p.got(`${path}.hostname`, 'must be a hostname of dot-separated labels of [a-zA-Z0-9-]', hostname);
  const labels = compileLabels(p, `${path}.labels`, c.labels);
  const mounts = compileMounts(p, `${path}.mounts`, c.mounts);
  const secrets = compileSecretRefs(p, `${path}.secrets`, c.secrets, refs);
  const configs = compileConfigRefs(p, `${path}.configs`, c.configs, refs);
  const stopGracePeriodMs = p.duration(
    `${path}.stopGracePeriodMs`,
    c.stopGracePeriodMs,
    SERVICE_DEFAULTS.stopGracePeriodMs,
  );
  const stopSignal = c.stopSignal ?? '';
  if (stopSignal !== '' && !isSignal(stopSignal))
    p.got(`${path}.stopSignal`, 'must be a signal name (SIGTERM or TERM) or number 1–64', stopSignal);
  const healthcheck = compileHealthcheck(p, `${path}.healthcheck`, c.healthcheck);
  const capability = (s: string, at: string): void => {
    if (!CAPABILITY.test(s)) p.got(at, 'must be a capability name like CAP_NET_ADMIN or NET_ADMIN', s);
  };
  const capabilityAdd = compileStrings(`${path}.capabilityAdd`, c.capabilityAdd, capability);
  const capabilityDrop = compileStrings(`${path}.capabilityDrop`, c.capabilityDrop, capability);
  return {
    image,
    command,
    args,
    env,
    dir,
    user,
    hostname,
    labels,
    mounts,
    secrets,
    configs,
    stopGracePeriodMs,
    stopSignal,
    healthcheck,
    readOnly: c.readOnly ?? false,
    capabilityAdd,
    capabilityDrop,
  };
}

function compileResources(
  p: Problems,
  path: string,
  input: Opt<ResourceRequirementsInput>,
): ResourceRequirements {
  const l = input?.limits ?? {};
  const r = input?.reservations ?? {};
  const limitCpus = p.int(`${path}.limits.nanoCpus`, l.nanoCpus, { min: 0, fallback: 0 });
  let limitMemory = p.int(`${path}.limits.memoryBytes`, l.memoryBytes, { min: 0, fallback: 0 });
  if (limitMemory > 0 && limitMemory < MIN_MEMORY_LIMIT) {
    p.got(
      `${path}.limits.memoryBytes`,
      `must be 0 (unlimited) or at least ${MIN_MEMORY_LIMIT} (4 MiB)`,
      limitMemory,
    );
    limitMemory = 0;
  }
  const pids = p.int(`${path}.limits.pids`, l.pids, { min: 0, fallback: 0 });
  const reservedCpus = p.int(`${path}.reservations.nanoCpus`, r.nanoCpus, { min: 0, fallback: 0 });
  const reservedMemory = p.int(`${path}.reservations.memoryBytes`, r.memoryBytes, { min: 0, fallback: 0 });
  if (limitCpus > 0 && reservedCpus > limitCpus)
    p.got(`${path}.reservations.nanoCpus`, `must be at most limits.nanoCpus (${limitCpus})`, reservedCpus);
  if (limitMemory > 0 && reservedMemory > limitMemory)
    p.got(
      `${path}.reservations.memoryBytes`,
      `must be at most limits.memoryBytes (${limitMemory})`,
      reservedMemory,
    );
  return {
    limits: { nanoCpus: limitCpus, memoryBytes: limitMemory, pids },
    reservations: { nanoCpus: reservedCpus, memoryBytes: reservedMemory },
  };
}

function compileRestartPolicy(p: Problems, path: string, input: Opt<RestartPolicyInput>): RestartPolicy {
  const r = input ?? {};
  const condition = p.oneOf(
    `${path}.condition`,
    r.condition,
    ['none', 'on-failure', 'any'],
    SERVICE_DEFAULTS.restartCondition,
  );
  const delayMs =
    r.delayMs === null || r.delayMs === undefined
      ? SERVICE_DEFAULTS.restartDelayMs
      : p.duration(`${path}.delayMs`, r.delayMs, 0);
  return {
    condition,
    delayMs,
    maxAttempts: p.int(`${path}.maxAttempts`, r.maxAttempts, { min: 0, fallback: 0 }),
    windowMs: p.duration(`${path}.windowMs`, r.windowMs, 0),
  };
}

function compilePlacement(p: Problems, path: string, input: Opt<PlacementInput>, global: boolean): Placement {
  const constraints = compileStrings(`${path}.constraints`, input?.constraints, (s, at) => {
    const r = parseConstraint(s);
    if (!r.ok) p.add(at, `${JSON.stringify(s)}: ${r.problem}`);
  });
  const preferences = list(input?.preferences).map((pref, i) => {
    const spread = pref.spread ?? '';
    const problem = checkSpreadKey(spread);
    if (problem !== null) p.add(`${path}.preferences[${i}].spread`, problem);
    return { spread };
  });
  const maxReplicasPerNode = p.int(`${path}.maxReplicasPerNode`, input?.maxReplicasPerNode, {
    min: 0,
    fallback: 0,
  });
  if (global && maxReplicasPerNode > 0)
    p.got(`${path}.maxReplicasPerNode`, 'applies only to replicated services', maxReplicasPerNode);
  return { constraints, preferences, maxReplicasPerNode };
}

function compileNetworks(
  p: Problems,
  path: string,
  input: Opt<readonly NetworkAttachmentInput[]>,
  refs: SpecReferences,
): TaskSpec['networks'] {
  const seen = new Map<string, number>();
  return list(input).map((n, i) => {
    const at = `${path}[${i}]`;
    const given = n.target ?? '';
    let target = given;
    if (given === '') p.add(`${at}.target`, 'must name a network (its id or name)');
    else {
      const found = refs.network(given);
      if (found === undefined) p.add(`${at}.target`, `no network has the id or name "${given}"`);
      else {
        target = found.id;
        const first = seen.get(found.id);
        if (first !== undefined)
          p.add(`${at}.target`, `network "${found.name}" is already attached by networks[${first}]`);
        else seen.set(found.id, i);
      }
    }
    const aliases = compileStrings(`${at}.aliases`, n.aliases, (s, a) => {
      if (!isDnsName(s)) p.got(a, 'must be a DNS name of dot-separated labels of [a-zA-Z0-9-]', s);
    });
    return { target, aliases };
  });
}

function compileTaskSpec(
  p: Problems,
  input: Opt<TaskSpecInput>,
  refs: SpecReferences,
  global: boolean,
): TaskSpec {
  const path = 'spec.task';
  const t = input ?? {};
  return {
    container: compileContainer(p, `${path}.container`, t.container, refs),
    resources: compileResources(p, `${path}.resources`, t.resources),
    restartPolicy: compileRestartPolicy(p, `${path}.restartPolicy`, t.restartPolicy),
    placement: compilePlacement(p, `${path}.placement`, t.placement, global),
    networks: compileNetworks(p, `${path}.networks`, t.networks, refs),
    forceUpdate: p.int(`${path}.forceUpdate`, t.forceUpdate, { min: 0, fallback: 0 }),
  };
}

function compileUpdateConfig(
  p: Problems,
  path: string,
  input: Opt<UpdateConfigInput>,
  rollback: boolean,
): UpdateConfig {
  const d = DEFAULT_UPDATE_CONFIG;
  const u = input ?? {};
  const ratio = u.maxFailureRatio ?? d.maxFailureRatio;
  let maxFailureRatio = ratio;
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    p.got(`${path}.maxFailureRatio`, 'must be between 0 and 1', ratio);
    maxFailureRatio = d.maxFailureRatio;
  }
  const actions: FailureAction[] = rollback ? ['pause', 'continue'] : ['pause', 'continue', 'rollback'];
  return {
    parallelism: p.int(`${path}.parallelism`, u.parallelism, { min: 0, fallback: d.parallelism }),
    delayMs: p.duration(`${path}.delayMs`, u.delayMs, d.delayMs),
    failureAction: p.oneOf(`${path}.failureAction`, u.failureAction, actions, d.failureAction),
    monitorMs: p.duration(`${path}.monitorMs`, u.monitorMs, d.monitorMs),
    maxFailureRatio,
    order: p.oneOf(`${path}.order`, u.order, ['stop-first', 'start-first'], d.order),
  };
}

function compilePorts(p: Problems, path: string, input: Opt<readonly PortConfigInput[]>): PortConfig[] {
  const published = new Map<string, number>();
  return list(input).map((port, i): PortConfig => {
    const at = `${path}[${i}]`;
    const name = port.name ?? '';
    if (!isPortName(name)) p.got(`${at}.name`, `must be empty or ${NAME_RULE.replace('must be ', '')}`, name);
    const protocol = p.oneOf(`${at}.protocol`, port.protocol, ['tcp', 'udp'], SERVICE_DEFAULTS.portProtocol);
    const targetPort = p.int(`${at}.targetPort`, port.targetPort ?? 0, { min: 1, max: 65535, fallback: 0 });
    const publishedPort = p.int(`${at}.publishedPort`, port.publishedPort, {
      min: 0,
      max: 65535,
      fallback: 0,
    });
    const publishMode = p.oneOf(
      `${at}.publishMode`,
      port.publishMode,
      ['host', 'ingress'],
      SERVICE_DEFAULTS.publishMode,
    );
    if (publishedPort > 0) {
      const key = `${publishedPort}/${protocol}`;
      const first = published.get(key);
      if (first !== undefined) p.add(at, `published port ${key} is already published by ports[${first}]`);
      else published.set(key, i);
    }
    return { name, protocol, targetPort, publishedPort, publishMode };
  });
}

/**
 * Validates every field of `input` and fills in the defaults (`defaults.ts`): the one place a service
 * spec is checked. Returns a complete spec, with secrets, configs and networks referred to by id (and
 * name, for secrets and configs).
 * @throws InvalidSpecError listing every problem, in field order
 */
export function compileServiceSpec(input: ServiceSpecInput, options: CompileServiceSpecOptions): ServiceSpec {
  const p = new Problems();
  const current = options.current;
  const annotations = compileAnnotations(p, 'spec.annotations', input.annotations);
  const global = input.mode?.global !== undefined && input.mode.global !== null;
  const task = compileTaskSpec(p, input.task, options.refs, global);
  const mode = compileMode(p, input.mode);
  const update = compileUpdateConfig(p, 'spec.update', input.update, false);
  const rollback = compileUpdateConfig(p, 'spec.rollback', input.rollback, true);
  const ports = compilePorts(p, 'spec.endpoint.ports', input.endpoint?.ports);
  if (current !== undefined) {
    if (annotations.name !== current.annotations.name)
      p.got(
        'spec.annotations.name',
        `cannot be changed (the service is named "${current.annotations.name}")`,
        annotations.name,
      );
    const was = 'global' in current.mode ? 'global' : 'replicated';
    const now = 'global' in mode ? 'global' : 'replicated';
    if (was !== now) p.add('spec.mode', `cannot change from ${was} to ${now}`);
  }
  if (!p.empty) {
    const what =
      current === undefined
        ? `create service ${shown(annotations.name)}`
        : `update service ${shown(current.annotations.name)}`;
    throw new InvalidSpecError(what, 'service', p.list);
  }
  return { annotations, task, mode, update, rollback, endpoint: { ports } };
}
