/**
 * The config.json fields runtime-native/src/spec.h parses, as a tree: `true` = a value of any shape,
 * `'map'` = an object of free-form string keys, an object = exactly these keys, `[x]` = an array of x.
 */
type Shape = true | 'map' | { readonly [key: string]: Shape } | readonly [Shape];

const SECCOMP: Shape = {
  defaultAction: true,
  defaultErrnoRet: true,
  architectures: true,
  syscalls: [
    {
      names: true,
      action: true,
      errnoRet: true,
      args: [{ index: true, value: true, valueTwo: true, op: true }],
    },
  ],
};

const SPEC_H_SUBSET: Shape = {
  ociVersion: true,
  root: { path: true, readonly: true },
  hostname: true,
  mounts: [{ destination: true, type: true, source: true, options: true }],
  process: {
    args: true,
    env: true,
    cwd: true,
    user: { uid: true, gid: true, umask: true, additionalGids: true },
    capabilities: { bounding: true, effective: true, inheritable: true, permitted: true, ambient: true },
    noNewPrivileges: true,
    rlimits: [{ type: true, hard: true, soft: true }],
    oomScoreAdj: true,
  },
  linux: {
    namespaces: [{ type: true, path: true }],
    resources: {
      devices: [{ allow: true, type: true, major: true, minor: true, access: true }],
      memory: { limit: true, reservation: true, swap: true },
      cpu: { shares: true, quota: true, period: true, cpus: true, mems: true },
      pids: { limit: true },
    },
    cgroupsPath: true,
    devices: [{ path: true, type: true, major: true, minor: true, fileMode: true, uid: true, gid: true }],
    maskedPaths: true,
    readonlyPaths: true,
    sysctl: 'map',
    seccomp: SECCOMP,
    rootfsPropagation: true,
  },
  annotations: 'map',
};

function walk(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (shape === true) return;
  if (value === undefined || value === null) {
    out.push(`${path}: ${value === null ? 'null' : 'undefined'} (omit the field instead)`);
    return;
  }
  if (shape === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) out.push(`${path}: not an object`);
    else
      for (const [k, v] of Object.entries(value))
        if (typeof v !== 'string') out.push(`${path}.${k}: not a string`);
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) out.push(`${path}: not an array`);
    else for (const [i, item] of value.entries()) walk(item, shape[0] as Shape, `${path}[${i}]`, out);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${path}: not an object`);
    return;
  }
  const fields = shape as { readonly [key: string]: Shape };
  for (const [k, v] of Object.entries(value)) {
    const at = path === '' ? k : `${path}.${k}`;
    const sub = fields[k];
    if (sub === undefined) out.push(`${at}: not parsed by spec.h`);
    else walk(v, sub, at, out);
  }
}

/** JSON paths in `spec` that swarm-runtime would refuse as unsupported (or that hold null/undefined); [] when none. */
export function fieldsOutsideSpecH(spec: unknown): string[] {
  const out: string[] = [];
  walk(spec, SPEC_H_SUBSET, '', out);
  return out;
}
