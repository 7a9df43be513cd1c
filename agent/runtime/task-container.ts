import type { ContainerSpec, Task } from '../../proto/index.js';
import type {
  ContainerMountOptions,
  ImageRef,
  LocalContainerOptions,
} from '../../runtime-native/ts/index.js';
import { ExecError } from '../exec/index.js';

/** The image reference a task names: `host`, or the absolute path of a rootfs folder. */
export function imageRef(image: string): ImageRef {
  if (image === 'host') return { kind: 'host' };
  if (image.startsWith('/')) return { kind: 'rootfs', path: image };
  throw new ExecError(
    `task: image "${image}" cannot be run: only "host" and absolute rootfs paths are supported (no registry yet)`,
  );
}

/** "uid" or "uid:gid", numeric: the image's /etc/passwd is not consulted. */
function user(spec: ContainerSpec): LocalContainerOptions['user'] {
  if (spec.user === '') return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(spec.user);
  if (!m) throw new ExecError(`task: user "${spec.user}" must be numeric, UID or UID:GID`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

function mounts(spec: ContainerSpec): ContainerMountOptions[] {
  return spec.mounts.map((m) => {
    if (m.type === 'bind')
      return {
        destination: m.target,
        type: 'bind',
        source: m.source,
        options: ['rbind', ...(m.readOnly ? ['ro'] : [])],
      };
    if (m.type === 'tmpfs')
      return { destination: m.target, type: 'tmpfs', options: m.readOnly ? ['ro'] : [] };
    throw new ExecError(`task: mount of type "${m.type}" at "${m.target}" is not supported yet`);
  });
}

/** What LocalContainers needs to run the task's container. Throws ExecError for what cannot run here. */
export function containerOptions(task: Task): LocalContainerOptions {
  const c = task.spec.container;
  const args = [...c.command, ...c.args];
  if (args.length === 0) throw new ExecError('task: the container has no command to run');
  const limits = task.spec.resources.limits;
  const u = user(c);
  return {
    image: imageRef(c.image),
    args,
    env: c.env,
    ...(c.dir ? { cwd: c.dir } : {}),
    ...(u ? { user: u } : {}),
    hostname: c.hostname || task.id.slice(0, 12),
    mounts: mounts(c),
    readonlyRoot: c.readOnly,
    capAdd: c.capabilityAdd,
    capDrop: c.capabilityDrop,
    resources: {
      ...(limits.memoryBytes > 0 ? { memoryBytes: limits.memoryBytes } : {}),
      ...(limits.nanoCpus > 0 ? { nanoCpus: limits.nanoCpus } : {}),
      ...(limits.pids > 0 ? { pidsLimit: limits.pids } : {}),
    },
    annotations: {
      'swarmd.task.id': task.id,
      'swarmd.service.id': task.serviceId,
      'swarmd.task.slot': String(task.slot),
    },
  };
}
