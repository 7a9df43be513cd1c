/** Secrets, configs, networks and the cluster for people: their tables and summaries. */
import type { controlpb } from '../../proto/index.js';
import { labelsText, shortId } from './names.js';
import { Summary } from './summary.js';
import { renderTable } from './table.js';
import { ago, timeAndAgo } from './time.js';
import { formatBytes, formatDuration } from './units.js';

type Secret = controlpb.Secret__Output;
type Config = controlpb.Config__Output;
type Network = controlpb.Network__Output;
type Cluster = controlpb.Cluster__Output;

/** ID NAME CREATED UPDATED (secrets and configs). */
export function renderDataObjectTable(
  objects: readonly (Secret | Config)[],
  now: number,
  noTrunc: boolean,
): string {
  return renderTable(
    ['ID', 'NAME', 'CREATED', 'UPDATED'],
    objects.map((o) => [
      shortId(o.id, noTrunc),
      o.spec?.annotations?.name ?? '',
      ago(now, o.meta?.createdAt ?? 0),
      ago(now, o.meta?.updatedAt ?? 0),
    ]),
  );
}

/** A secret's summary: never its data (the manager does not return it either). */
export function secretSummary(secret: Secret, now: number): string {
  return new Summary()
    .field('ID', secret.id)
    .field('Name', secret.spec?.annotations?.name)
    .field('Labels', labelsText(secret.spec?.annotations?.labels))
    .field('Created', timeAndAgo(now, secret.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, secret.meta?.updatedAt ?? 0))
    .render();
}

/** A control character other than tab, newline and carriage return: binary, not text. */
function isControl(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || c === 0x7f;
}

/** A config's summary, with its data when it is text. */
export function configSummary(config: Config, now: number): string {
  const data = Buffer.from(config.spec?.data ?? Buffer.alloc(0));
  const text = data.toString('utf8');
  const printable = !text.includes('\uFFFD') && ![...text].some(isControl);
  const s = new Summary()
    .field('ID', config.id)
    .field('Name', config.spec?.annotations?.name)
    .field('Labels', labelsText(config.spec?.annotations?.labels))
    .field('Created', timeAndAgo(now, config.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, config.meta?.updatedAt ?? 0))
    .field('Size', formatBytes(data.length))
    .render();
  if (!printable) return `${s}Data: (binary; see --format json for base64)\n`;
  return `${s}Data:\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`;
}

function subnets(n: Network): string {
  return (n.spec?.ipam ?? []).map((i) => i.subnet).join(', ');
}

/** ID NAME DRIVER SUBNETS ATTACHABLE. */
export function renderNetworkTable(networks: readonly Network[], noTrunc: boolean): string {
  return renderTable(
    ['ID', 'NAME', 'DRIVER', 'SUBNETS', 'ATTACHABLE'],
    networks.map((n) => [
      shortId(n.id, noTrunc),
      n.spec?.annotations?.name ?? '',
      n.spec?.driver ?? '',
      subnets(n),
      n.spec?.attachable ? 'yes' : 'no',
    ]),
  );
}

export function networkSummary(network: Network, now: number): string {
  return new Summary()
    .field('ID', network.id)
    .field('Name', network.spec?.annotations?.name)
    .field('Labels', labelsText(network.spec?.annotations?.labels))
    .field('Driver', network.spec?.driver)
    .field('Attachable', network.spec?.attachable ? 'yes' : 'no')
    .list(
      'IPAM',
      (network.spec?.ipam ?? []).map((i) => `${i.subnet}${i.gateway === '' ? '' : ` gateway ${i.gateway}`}`),
    )
    .field('Created', timeAndAgo(now, network.meta?.createdAt ?? 0))
    .render();
}

/** The cluster's settings; the join tokens are left to `swarmctl join-token`. */
export function clusterSummary(cluster: Cluster, now: number): string {
  const s = cluster.spec;
  const ca = cluster.rootCa?.certificate ?? '';
  return new Summary()
    .field('ID', cluster.id)
    .field('Name', s?.annotations?.name)
    .field('Labels', labelsText(s?.annotations?.labels))
    .field('Created', timeAndAgo(now, cluster.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, cluster.meta?.updatedAt ?? 0))
    .field('Version', cluster.meta?.version?.index)
    .section('Orchestration', (x) =>
      x.field('Task history retention limit', s?.taskHistoryRetentionLimit ?? ''),
    )
    .section('Dispatcher', (x) =>
      x.field(
        'Heartbeat period',
        s?.dispatcher?.heartbeatPeriodMs === undefined ? '' : formatDuration(s.dispatcher.heartbeatPeriodMs),
      ),
    )
    .section('CA', (x) =>
      x
        .field(
          'Node certificate expiry',
          s?.caConfig?.nodeCertExpiryMs === undefined ? '' : formatDuration(s.caConfig.nodeCertExpiryMs),
        )
        .field('Root CA certificate', ca === '' ? 'none' : `present (${ca.length} bytes of PEM)`),
    )
    .section('Raft', (x) =>
      x
        .field('Snapshot interval', s?.raft?.snapshotInterval ?? '')
        .field('Old snapshots kept', s?.raft?.keepOldSnapshots ?? '')
        .field('Log entries for slow followers', s?.raft?.logEntriesForSlowFollowers ?? ''),
    )
    .section('Encryption', (x) =>
      x.field('Autolock managers', s?.encryption?.autoLockManagers ? 'yes' : 'no'),
    )
    .render();
}
