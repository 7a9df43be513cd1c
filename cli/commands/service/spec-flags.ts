/**
 * The flags of `service create` and `service update` (after `docker service`), and how they change a
 * service spec. `create` starts from an empty spec (what is not given takes the manager's default);
 * `update` starts from the spec it read and changes only what is given. Values are parsed here (a bad one
 * is a FlagError naming the flag, exit 2); the model's rules are the manager's.
 */
import { FlagError, parseBytes, parseCpus, parseDuration } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import {
  envEntry,
  envKey,
  type FileReference,
  fileReference,
  keyValue,
  mount,
  networkAttachment,
  placementPreference,
  port,
  portMatcher,
  ratio,
  shellWords,
  wholeNumber,
} from '../parse.js';

/** The flags both commands take, as commander gives them (strings; lists for repeatable flags). */
export interface CommonServiceFlags {
  image?: string;
  replicas?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
  limitCpu?: string;
  limitMemory?: string;
  limitPids?: string;
  reserveCpu?: string;
  reserveMemory?: string;
  restartCondition?: string;
  restartDelay?: string;
  restartMaxAttempts?: string;
  restartWindow?: string;
  updateParallelism?: string;
  updateDelay?: string;
  updateFailureAction?: string;
  updateMonitor?: string;
  updateMaxFailureRatio?: string;
  updateOrder?: string;
  rollbackParallelism?: string;
  rollbackDelay?: string;
  rollbackFailureAction?: string;
  rollbackMonitor?: string;
  rollbackMaxFailureRatio?: string;
  rollbackOrder?: string;
  replicasMaxPerNode?: string;
  stopGracePeriod?: string;
  stopSignal?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  /** false with `--no-healthcheck`. */
  healthcheck?: boolean;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  detach?: boolean;
}

/** `service create`'s own flags: the repeatable ones set whole lists. */
export interface CreateServiceFlags extends CommonServiceFlags {
  image: string;
  mode?: string;
  env?: string[];
  label?: string[];
  containerLabel?: string[];
  constraint?: string[];
  placementPref?: string[];
  publish?: string[];
  mount?: string[];
  secret?: string[];
  config?: string[];
  network?: string[];
}

/** `service update`'s own flags: the repeatable ones add to or remove from lists. */
export interface UpdateServiceFlags extends CommonServiceFlags {
  force?: boolean;
  envAdd?: string[];
  envRm?: string[];
  labelAdd?: string[];
  labelRm?: string[];
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
  placementPrefAdd?: string[];
  placementPrefRm?: string[];
  publishAdd?: string[];
  publishRm?: string[];
  mountAdd?: string[];
  mountRm?: string[];
  secretAdd?: string[];
  secretRm?: string[];
  configAdd?: string[];
  configRm?: string[];
  networkAdd?: string[];
  networkRm?: string[];
}

type Spec = controlpb.ServiceSpec;

// ---------------------------------------------------------------- the parts of a spec, made on demand

const task = (s: Spec): controlpb.TaskSpec => {
  s.task ??= {};
  return s.task;
};
const container = (s: Spec): controlpb.ContainerSpec => {
  const t = task(s);
  t.container ??= {};
  return t.container;
};
const resources = (s: Spec): controlpb.ResourceRequirements => {
  const t = task(s);
  t.resources ??= {};
  return t.resources;
};
const limits = (s: Spec): controlpb.ResourceLimits => {
  const r = resources(s);
  r.limits ??= {};
  return r.limits;
};
const reservations = (s: Spec): controlpb.Resources => {
  const r = resources(s);
  r.reservations ??= {};
  return r.reservations;
};
const restart = (s: Spec): controlpb.RestartPolicy => {
  const t = task(s);
  t.restartPolicy ??= {};
  return t.restartPolicy;
};
const placement = (s: Spec): controlpb.Placement => {
  const t = task(s);
  t.placement ??= {};
  return t.placement;
};
const updateConfig = (s: Spec, which: 'update' | 'rollback'): controlpb.UpdateConfig => {
  s[which] ??= {};
  return s[which];
};
const endpoint = (s: Spec): controlpb.EndpointSpec => {
  s.endpoint ??= {};
  return s.endpoint;
};

// ---------------------------------------------------------------- enums

function choice<T>(flag: string, text: string, table: Record<string, T>): T {
  const v = table[text.toLowerCase()];
  if (v === undefined)
    throw new FlagError(flag, `must be one of ${Object.keys(table).join(', ')}, got "${text}"`);
  return v;
}

export const RESTART_CONDITIONS: Record<string, controlpb.RestartCondition> = {
  none: 'RESTART_CONDITION_NONE',
  'on-failure': 'RESTART_CONDITION_ON_FAILURE',
  any: 'RESTART_CONDITION_ANY',
};
export const FAILURE_ACTIONS: Record<string, controlpb.FailureAction> = {
  pause: 'FAILURE_ACTION_PAUSE',
  continue: 'FAILURE_ACTION_CONTINUE',
  rollback: 'FAILURE_ACTION_ROLLBACK',
};
export const ROLLBACK_FAILURE_ACTIONS: Record<string, controlpb.FailureAction> = {
  pause: 'FAILURE_ACTION_PAUSE',
  continue: 'FAILURE_ACTION_CONTINUE',
};
export const UPDATE_ORDERS: Record<string, controlpb.UpdateOrder> = {
  'stop-first': 'UPDATE_ORDER_STOP_FIRST',
  'start-first': 'UPDATE_ORDER_START_FIRST',
};

// ---------------------------------------------------------------- flags both commands take

function applyUpdateConfig(spec: Spec, f: CommonServiceFlags, which: 'update' | 'rollback'): void {
  const [parallelism, delay, failureAction, monitor, maxFailureRatio, order] =
    which === 'update'
      ? [
          f.updateParallelism,
          f.updateDelay,
          f.updateFailureAction,
          f.updateMonitor,
          f.updateMaxFailureRatio,
          f.updateOrder,
        ]
      : [
          f.rollbackParallelism,
          f.rollbackDelay,
          f.rollbackFailureAction,
          f.rollbackMonitor,
          f.rollbackMaxFailureRatio,
          f.rollbackOrder,
        ];
  const p = `--${which}-`;
  if (parallelism !== undefined)
    updateConfig(spec, which).parallelism = String(wholeNumber(`${p}parallelism`, parallelism));
  if (delay !== undefined) updateConfig(spec, which).delayMs = String(parseDuration(`${p}delay`, delay));
  if (failureAction !== undefined)
    updateConfig(spec, which).failureAction = choice(
      `${p}failure-action`,
      failureAction,
      which === 'update' ? FAILURE_ACTIONS : ROLLBACK_FAILURE_ACTIONS,
    );
  if (monitor !== undefined)
    updateConfig(spec, which).monitorMs = String(parseDuration(`${p}monitor`, monitor));
  if (maxFailureRatio !== undefined)
    updateConfig(spec, which).maxFailureRatio = ratio(`${p}max-failure-ratio`, maxFailureRatio);
  if (order !== undefined) updateConfig(spec, which).order = choice(`${p}order`, order, UPDATE_ORDERS);
}

function applyHealthcheck(spec: Spec, f: CommonServiceFlags): void {
  const given = (
    [
      ['--health-cmd', f.healthCmd],
      ['--health-interval', f.healthInterval],
      ['--health-timeout', f.healthTimeout],
      ['--health-retries', f.healthRetries],
      ['--health-start-period', f.healthStartPeriod],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (f.healthcheck === false) {
    if (given.length > 0)
      throw new FlagError('--no-healthcheck', `cannot be combined with ${given.map(([k]) => k).join(', ')}`);
    container(spec).healthcheck = { test: ['NONE'] };
    return;
  }
  if (given.length === 0) return;
  const c = container(spec);
  c.healthcheck ??= {};
  const h = c.healthcheck;
  if (f.healthCmd !== undefined) {
    if (f.healthCmd.trim() === '') throw new FlagError('--health-cmd', 'must not be empty');
    h.test = ['CMD-SHELL', f.healthCmd];
  }
  if (f.healthInterval !== undefined)
    h.intervalMs = String(parseDuration('--health-interval', f.healthInterval));
  if (f.healthTimeout !== undefined) h.timeoutMs = String(parseDuration('--health-timeout', f.healthTimeout));
  if (f.healthRetries !== undefined) h.retries = String(wholeNumber('--health-retries', f.healthRetries));
  if (f.healthStartPeriod !== undefined)
    h.startPeriodMs = String(parseDuration('--health-start-period', f.healthStartPeriod));
}

/** The flags that set one value, for create and update alike. */
function applyCommonFlags(spec: Spec, f: CommonServiceFlags): void {
  if (f.image !== undefined) {
    if (f.image.trim() === '') throw new FlagError('--image', 'must not be empty');
    container(spec).image = f.image;
  }
  if (f.workdir !== undefined) container(spec).dir = f.workdir;
  if (f.user !== undefined) container(spec).user = f.user;
  if (f.hostname !== undefined) container(spec).hostname = f.hostname;
  if (f.entrypoint !== undefined) container(spec).command = shellWords('--entrypoint', f.entrypoint);
  if (f.limitCpu !== undefined)
    limits(spec).nanoCpus = String(parseCpus('--limit-cpu', f.limitCpu, { allowZero: true }));
  if (f.limitMemory !== undefined)
    limits(spec).memoryBytes = String(parseBytes('--limit-memory', f.limitMemory, { allowZero: true }));
  if (f.limitPids !== undefined) limits(spec).pids = String(wholeNumber('--limit-pids', f.limitPids));
  if (f.reserveCpu !== undefined)
    reservations(spec).nanoCpus = String(parseCpus('--reserve-cpu', f.reserveCpu, { allowZero: true }));
  if (f.reserveMemory !== undefined)
    reservations(spec).memoryBytes = String(
      parseBytes('--reserve-memory', f.reserveMemory, { allowZero: true }),
    );
  if (f.restartCondition !== undefined)
    restart(spec).condition = choice('--restart-condition', f.restartCondition, RESTART_CONDITIONS);
  if (f.restartDelay !== undefined)
    restart(spec).delayMs = String(parseDuration('--restart-delay', f.restartDelay));
  if (f.restartMaxAttempts !== undefined)
    restart(spec).maxAttempts = String(wholeNumber('--restart-max-attempts', f.restartMaxAttempts));
  if (f.restartWindow !== undefined)
    restart(spec).windowMs = String(parseDuration('--restart-window', f.restartWindow));
  applyUpdateConfig(spec, f, 'update');
  applyUpdateConfig(spec, f, 'rollback');
  if (f.replicasMaxPerNode !== undefined)
    placement(spec).maxReplicasPerNode = String(wholeNumber('--replicas-max-per-node', f.replicasMaxPerNode));
  if (f.stopGracePeriod !== undefined)
    container(spec).stopGracePeriodMs = String(parseDuration('--stop-grace-period', f.stopGracePeriod));
  if (f.stopSignal !== undefined) container(spec).stopSignal = f.stopSignal;
  applyHealthcheck(spec, f);
  if (f.readOnly !== undefined) container(spec).readOnly = f.readOnly;
}

function secretRef(r: FileReference): controlpb.SecretReference {
  return {
    secretName: r.name,
    ...(r.target === undefined ? {} : { target: r.target }),
    ...(r.uid === undefined ? {} : { uid: r.uid }),
    ...(r.gid === undefined ? {} : { gid: r.gid }),
    ...(r.mode === undefined ? {} : { mode: r.mode }),
  };
}

function configRef(r: FileReference): controlpb.ConfigReference {
  return {
    configName: r.name,
    ...(r.target === undefined ? {} : { target: r.target }),
    ...(r.uid === undefined ? {} : { uid: r.uid }),
    ...(r.gid === undefined ? {} : { gid: r.gid }),
    ...(r.mode === undefined ? {} : { mode: r.mode }),
  };
}

function labelMap(flag: string, texts: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of texts ?? []) {
    const [k, v] = keyValue(flag, t);
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------- create

/**
 * The spec of `service create NAME --image IMAGE [flags] [-- ARGS...]`: only what the flags give; the
 * manager fills in every default.
 * @throws FlagError naming the first bad flag
 */
export function createServiceSpec(name: string, args: readonly string[], f: CreateServiceFlags): Spec {
  const spec: Spec = { annotations: { name, labels: labelMap('--label', f.label) } };
  const c = container(spec);
  if (args.length > 0) c.args = [...args];
  if (f.env !== undefined) c.env = f.env.map((e) => envEntry('--env', e));
  if (f.containerLabel !== undefined) c.labels = labelMap('--container-label', f.containerLabel);
  applyCommonFlags(spec, f);
  if (f.mode === 'global') {
    if (f.replicas !== undefined) throw new FlagError('--replicas', 'cannot be used with --mode global');
    if (f.replicasMaxPerNode !== undefined)
      throw new FlagError('--replicas-max-per-node', 'cannot be used with --mode global');
    spec.global = {};
  } else if (f.mode !== undefined && f.mode !== 'replicated') {
    throw new FlagError('--mode', `must be replicated or global, got "${f.mode}"`);
  } else if (f.replicas !== undefined) {
    spec.replicated = { replicas: String(wholeNumber('--replicas', f.replicas)) };
  }
  if (f.constraint !== undefined) placement(spec).constraints = [...f.constraint];
  if (f.placementPref !== undefined)
    placement(spec).preferences = f.placementPref.map((p) => placementPreference('--placement-pref', p));
  if (f.publish !== undefined) endpoint(spec).ports = f.publish.map((p) => port('--publish', p));
  if (f.mount !== undefined) c.mounts = f.mount.map((m) => mount('--mount', m));
  if (f.secret !== undefined) c.secrets = f.secret.map((s) => secretRef(fileReference('--secret', s)));
  if (f.config !== undefined) c.configs = f.config.map((s) => configRef(fileReference('--config', s)));
  if (f.network !== undefined) task(spec).networks = f.network.map((n) => networkAttachment('--network', n));
  if (f.capAdd !== undefined) c.capabilityAdd = [...f.capAdd];
  if (f.capDrop !== undefined) c.capabilityDrop = [...f.capDrop];
  return spec;
}

// ---------------------------------------------------------------- update

/** Removes the entries `rm` selects, then adds or replaces (same key) the `add` ones. */
function edit<T>(
  list: readonly T[] | undefined,
  rm: readonly ((t: T) => boolean)[],
  add: readonly T[],
  sameAs: (a: T, b: T) => boolean,
): T[] {
  let out = (list ?? []).filter((t) => !rm.some((r) => r(t)));
  for (const a of add) {
    const at = out.findIndex((t) => sameAs(t, a));
    if (at >= 0) out = [...out.slice(0, at), a, ...out.slice(at + 1)];
    else out = [...out, a];
  }
  return out;
}

function editLabels(
  labels: Record<string, string> | undefined,
  addFlag: string,
  add: readonly string[] | undefined,
  rm: readonly string[] | undefined,
): Record<string, string> {
  const out = { ...(labels ?? {}) };
  for (const k of rm ?? []) delete out[k];
  Object.assign(out, labelMap(addFlag, add));
  return out;
}

/** The network ids that `--network-rm` values name, resolved by the caller (names to ids). */
export type NetworkIds = ReadonlyMap<string, string>;

/**
 * Applies `service update`'s flags and ARGS to `spec` (a copy of the one read), changing only what they
 * give. `global` says whether the service is global (`--replicas` is refused then).
 * @throws FlagError naming the first bad flag
 */
export function applyServiceUpdate(
  spec: Spec,
  args: readonly string[],
  f: UpdateServiceFlags,
  options: { global: boolean; networkIds?: NetworkIds },
): void {
  applyCommonFlags(spec, f);
  if (f.replicas !== undefined) {
    if (options.global) throw new FlagError('--replicas', 'cannot be set on a global service');
    spec.replicated = { replicas: String(wholeNumber('--replicas', f.replicas)) };
  }
  if (f.replicasMaxPerNode !== undefined && options.global)
    throw new FlagError('--replicas-max-per-node', 'cannot be set on a global service');
  const c = container(spec);
  if (args.length > 0) c.args = [...args];
  if (f.envAdd !== undefined || f.envRm !== undefined) {
    const add = (f.envAdd ?? []).map((e) => envEntry('--env-add', e));
    const rm = (f.envRm ?? []).map((k) => (e: string) => envKey(e) === envKey(k));
    c.env = edit(c.env, rm, add, (a, b) => envKey(a) === envKey(b));
  }
  if (f.labelAdd !== undefined || f.labelRm !== undefined) {
    spec.annotations ??= {};
    spec.annotations.labels = editLabels(spec.annotations.labels, '--label-add', f.labelAdd, f.labelRm);
  }
  if (f.containerLabelAdd !== undefined || f.containerLabelRm !== undefined)
    c.labels = editLabels(c.labels, '--container-label-add', f.containerLabelAdd, f.containerLabelRm);
  if (f.constraintAdd !== undefined || f.constraintRm !== undefined) {
    const rm = (f.constraintRm ?? []).map(
      (x) => (c: string) => c.replaceAll(' ', '') === x.replaceAll(' ', ''),
    );
    placement(spec).constraints = edit(
      placement(spec).constraints,
      rm,
      f.constraintAdd ?? [],
      (a, b) => a === b,
    );
  }
  if (f.placementPrefAdd !== undefined || f.placementPrefRm !== undefined) {
    const rm = (f.placementPrefRm ?? []).map((x) => {
      const want = placementPreference('--placement-pref-rm', x).spread;
      return (p: controlpb.PlacementPreference) => p.spread === want;
    });
    const add = (f.placementPrefAdd ?? []).map((p) => placementPreference('--placement-pref-add', p));
    placement(spec).preferences = edit(placement(spec).preferences, rm, add, (a, b) => a.spread === b.spread);
  }
  if (f.publishAdd !== undefined || f.publishRm !== undefined) {
    const rm = (f.publishRm ?? []).map((p) => portMatcher('--publish-rm', p));
    const add = (f.publishAdd ?? []).map((p) => port('--publish-add', p));
    const proto = (p: controlpb.PortConfig) => (p.protocol === 'PORT_PROTOCOL_UDP' ? 'udp' : 'tcp');
    endpoint(spec).ports = edit(
      endpoint(spec).ports,
      rm,
      add,
      (a, b) =>
        proto(a) === proto(b) &&
        (Number(a.publishedPort ?? 0) > 0
          ? Number(a.publishedPort) === Number(b.publishedPort ?? 0)
          : Number(b.publishedPort ?? 0) === 0 && Number(a.targetPort) === Number(b.targetPort)),
    );
  }
  if (f.mountAdd !== undefined || f.mountRm !== undefined) {
    const rm = (f.mountRm ?? []).map((t) => (m: controlpb.Mount) => m.target === t);
    const add = (f.mountAdd ?? []).map((m) => mount('--mount-add', m));
    c.mounts = edit(c.mounts, rm, add, (a, b) => a.target === b.target);
  }
  if (f.secretAdd !== undefined || f.secretRm !== undefined) {
    const rm = (f.secretRm ?? []).map(
      (n) => (s: controlpb.SecretReference) => s.secretName === n || s.secretId === n,
    );
    const add = (f.secretAdd ?? []).map((s) => secretRef(fileReference('--secret-add', s)));
    c.secrets = edit(c.secrets, rm, add, (a, b) => (a.target || a.secretName) === (b.target || b.secretName));
  }
  if (f.configAdd !== undefined || f.configRm !== undefined) {
    const rm = (f.configRm ?? []).map(
      (n) => (s: controlpb.ConfigReference) => s.configName === n || s.configId === n,
    );
    const add = (f.configAdd ?? []).map((s) => configRef(fileReference('--config-add', s)));
    c.configs = edit(
      c.configs,
      rm,
      add,
      (a, b) => (a.target || `/${a.configName}`) === (b.target || `/${b.configName}`),
    );
  }
  if (f.networkAdd !== undefined || f.networkRm !== undefined) {
    const ids = options.networkIds ?? new Map<string, string>();
    const rm = (f.networkRm ?? []).map(
      (n) => (a: controlpb.NetworkAttachment) => a.target === n || a.target === ids.get(n),
    );
    const add = (f.networkAdd ?? []).map((n) => networkAttachment('--network-add', n));
    task(spec).networks = edit(
      task(spec).networks,
      rm,
      add,
      (a, b) => a.target === b.target || a.target === ids.get(b.target ?? ''),
    );
  }
  if (f.capAdd !== undefined) {
    c.capabilityAdd = [...new Set([...(c.capabilityAdd ?? []), ...f.capAdd])];
    c.capabilityDrop = (c.capabilityDrop ?? []).filter((x) => !f.capAdd?.includes(x));
  }
  if (f.capDrop !== undefined) {
    c.capabilityDrop = [...new Set([...(c.capabilityDrop ?? []), ...f.capDrop])];
    c.capabilityAdd = (c.capabilityAdd ?? []).filter((x) => !f.capDrop?.includes(x));
  }
  if (f.force === true) {
    const t = task(spec);
    t.forceUpdate = String(Number(t.forceUpdate ?? 0) + 1);
  }
}
