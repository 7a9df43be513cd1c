/** Services for people: the `service ls` table (with running/desired replicas) and `service inspect`. */
import type { controlpb } from '../../proto/index.js';
import { eligibleNodes, isDown } from './eligible.js';
import { enumWord, labelsText, shortId } from './names.js';
import { Summary } from './summary.js';
import { renderTable } from './table.js';
import { timeAndAgo } from './time.js';
import { formatBytes, formatCpus, formatDuration } from './units.js';

type Service = controlpb.Service__Output;
type Task = controlpb.Task__Output;
type Node = controlpb.Node__Output;

export function serviceMode(spec: controlpb.ServiceSpec__Output | null | undefined): 'replicated' | 'global' {
  if (spec?.mode === 'global' || (spec?.global !== null && spec?.global !== undefined)) return 'global';
  return 'replicated';
}

/**
 * Tasks RUNNING on nodes that are not down, and the number wanted: the replicas of a replicated service,
 * the eligible nodes (not down, active, satisfying the constraints) of a global one.
 */
export function replicasOf(
  service: Service,
  tasks: readonly Task[],
  nodes: ReadonlyMap<string, Node>,
): { running: number; desired: number } {
  const running = tasks.filter(
    (t) =>
      t.serviceId === service.id && t.status?.state === 'TASK_STATE_RUNNING' && !isDown(nodes.get(t.nodeId)),
  ).length;
  const desired =
    serviceMode(service.spec) === 'global'
      ? eligibleNodes(service.spec?.task?.placement?.constraints ?? [], [...nodes.values()]).length
      : Number(service.spec?.replicated?.replicas ?? 1);
  return { running, desired };
}

/** ID NAME MODE REPLICAS IMAGE. */
export function renderServiceTable(
  services: readonly Service[],
  tasks: readonly Task[],
  nodes: ReadonlyMap<string, Node>,
  noTrunc: boolean,
): string {
  return renderTable(
    ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE'],
    services.map((s) => {
      const { running, desired } = replicasOf(s, tasks, nodes);
      return [
        shortId(s.id, noTrunc),
        s.spec?.annotations?.name ?? '',
        serviceMode(s.spec),
        `${running}/${desired}`,
        s.spec?.task?.container?.image ?? '',
      ];
    }),
  );
}

function updateConfig(x: Summary, u: controlpb.UpdateConfig__Output | null | undefined): void {
  if (u === null || u === undefined) return;
  x.field('Parallelism', u.parallelism === undefined ? '' : String(u.parallelism))
    .field('Delay', formatDuration(u.delayMs))
    .field('On failure', enumWord(u.failureAction, 'FAILURE_ACTION_'))
    .field('Monitoring period', u.monitorMs === undefined ? '' : formatDuration(u.monitorMs))
    .field('Max failure ratio', String(u.maxFailureRatio))
    .field('Order', enumWord(u.order, 'UPDATE_ORDER_'));
}

function portText(p: controlpb.PortConfig__Output): string {
  const proto = enumWord(p.protocol, 'PORT_PROTOCOL_') || 'tcp';
  const mode = enumWord(p.publishMode, 'PUBLISH_MODE_') || 'host';
  return p.publishedPort > 0
    ? `${p.publishedPort}:${p.targetPort}/${proto} (${mode})`
    : `${p.targetPort}/${proto} (not published)`;
}

function mountText(m: controlpb.Mount__Output): string {
  const type = enumWord(m.type, 'MOUNT_TYPE_');
  const source = m.source === '' ? '' : `${m.source} -> `;
  return `${type} ${source}${m.target}${m.readOnly ? ' (read-only)' : ''}`;
}

function fileRef(name: string, target: string, uid: string, gid: string, mode: number | undefined): string {
  const octal = mode === undefined ? '' : `, mode ${mode.toString(8).padStart(4, '0')}`;
  return `${name} -> ${target} (uid ${uid || '0'}, gid ${gid || '0'}${octal})`;
}

export function serviceSummary(service: Service, now: number): string {
  const spec = service.spec;
  const task = spec?.task;
  const c = task?.container;
  const r = task?.resources;
  const rp = task?.restartPolicy;
  const pl = task?.placement;
  const u = service.updateStatus;
  const h = c?.healthcheck;
  return new Summary()
    .field('ID', service.id)
    .field('Name', spec?.annotations?.name)
    .list(
      'Labels',
      Object.entries(spec?.annotations?.labels ?? {}).map(([k, v]) => (v === '' ? k : `${k}=${v}`)),
    )
    .field('Created', timeAndAgo(now, service.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, service.meta?.updatedAt ?? 0))
    .field('Version', service.meta?.version?.index)
    .field('Spec version', String(service.specVersion))
    .group('Mode', serviceMode(spec), (x) => {
      if (serviceMode(spec) === 'replicated') x.field('Replicas', String(spec?.replicated?.replicas ?? 1));
    })
    .section('Update status', (x) => {
      if (u === null || u === undefined) return;
      x.field('State', enumWord(u.state, 'UPDATE_STATE_'))
        .field('Started', timeAndAgo(now, u.startedAt))
        .field('Completed', Number(u.completedAt) > 0 ? timeAndAgo(now, u.completedAt) : '')
        .field('Message', u.message);
    })
    .section('Placement', (x) =>
      x
        .field('Constraints', (pl?.constraints ?? []).join(', '))
        .field('Preferences', (pl?.preferences ?? []).map((p) => `spread=${p.spread}`).join(', '))
        .field(
          'Max replicas per node',
          Number(pl?.maxReplicasPerNode ?? 0) > 0 ? String(pl?.maxReplicasPerNode) : '',
        ),
    )
    .section('Update config', (x) => updateConfig(x, spec?.update))
    .section('Rollback config', (x) => updateConfig(x, spec?.rollback))
    .section('Container', (x) =>
      x
        .field('Image', c?.image)
        .field('Entrypoint', (c?.command ?? []).join(' '))
        .field('Args', (c?.args ?? []).join(' '))
        .field('Working dir', c?.dir)
        .field('User', c?.user)
        .field('Hostname', c?.hostname)
        .field('Labels', labelsText(c?.labels))
        .field('Read-only', c?.readOnly ? 'yes' : '')
        .field('Stop signal', c?.stopSignal)
        .field(
          'Stop grace period',
          c?.stopGracePeriodMs === undefined ? '' : formatDuration(c.stopGracePeriodMs),
        )
        .field('Capabilities added', (c?.capabilityAdd ?? []).join(', '))
        .field('Capabilities dropped', (c?.capabilityDrop ?? []).join(', '))
        .list('Env', c?.env ?? []),
    )
    .section('Healthcheck', (x) => {
      if (h === null || h === undefined) return;
      x.field('Test', JSON.stringify(h.test))
        .field('Interval', Number(h.intervalMs) > 0 ? formatDuration(h.intervalMs) : '')
        .field('Timeout', Number(h.timeoutMs) > 0 ? formatDuration(h.timeoutMs) : '')
        .field('Retries', Number(h.retries) > 0 ? String(h.retries) : '')
        .field('Start period', Number(h.startPeriodMs) > 0 ? formatDuration(h.startPeriodMs) : '');
    })
    .section('Resources', (x) => {
      const lim = r?.limits;
      const res = r?.reservations;
      x.section('Limits', (y) =>
        y
          .field('CPUs', lim && Number(lim.nanoCpus) > 0 ? formatCpus(lim.nanoCpus) : '')
          .field('Memory', lim && Number(lim.memoryBytes) > 0 ? formatBytes(lim.memoryBytes) : '')
          .field('PIDs', lim && Number(lim.pids) > 0 ? String(lim.pids) : ''),
      ).section('Reservations', (y) =>
        y
          .field('CPUs', res && Number(res.nanoCpus) > 0 ? formatCpus(res.nanoCpus) : '')
          .field('Memory', res && Number(res.memoryBytes) > 0 ? formatBytes(res.memoryBytes) : ''),
      );
    })
    .section('Restart policy', (x) => {
      if (rp === null || rp === undefined) return;
      x.field('Condition', enumWord(rp.condition, 'RESTART_CONDITION_'))
        .field('Delay', rp.delayMs === undefined ? 'default backoff' : formatDuration(rp.delayMs))
        .field('Max attempts', Number(rp.maxAttempts) > 0 ? String(rp.maxAttempts) : 'unlimited')
        .field('Window', Number(rp.windowMs) > 0 ? formatDuration(rp.windowMs) : 'unbounded');
    })
    .list('Ports', (spec?.endpoint?.ports ?? []).map(portText))
    .list('Mounts', (c?.mounts ?? []).map(mountText))
    .list(
      'Secrets',
      (c?.secrets ?? []).map((s) =>
        fileRef(s.secretName || s.secretId, `/run/secrets/${s.target}`, s.uid, s.gid, s.mode),
      ),
    )
    .list(
      'Configs',
      (c?.configs ?? []).map((s) => fileRef(s.configName || s.configId, s.target, s.uid, s.gid, s.mode)),
    )
    .list(
      'Networks',
      (task?.networks ?? []).map(
        (n) => `${n.target}${n.aliases.length > 0 ? ` (aliases: ${n.aliases.join(', ')})` : ''}`,
      ),
    )
    .render();
}
