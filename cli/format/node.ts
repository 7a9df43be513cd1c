/** Nodes for people: the `node ls` table and the `node inspect` summary. */
import type { controlpb } from '../../proto/index.js';
import { capitalized, enumWord, labelsText, shortId } from './names.js';
import { Summary } from './summary.js';
import { renderTable } from './table.js';
import { timeAndAgo } from './time.js';
import { formatBytes, formatCpus } from './units.js';

type Node = controlpb.Node__Output;

/** The node's name: its spec name, else its hostname, else its id. */
export function nodeName(node: Node): string {
  return node.spec?.annotations?.name || node.description?.hostname || node.id;
}

/** `Ready`, `Down`, `Unknown`, `Disconnected`. */
export function nodeStatus(node: Node): string {
  return capitalized(enumWord(node.status?.state ?? 'NODE_STATE_UNKNOWN', 'NODE_STATE_'));
}

/** `Active`, `Pause`, `Drain`. */
export function nodeAvailability(node: Node): string {
  return capitalized(enumWord(node.spec?.availability, 'NODE_AVAILABILITY_'));
}

/** `Leader`, `Reachable`, `Unreachable`, `Unknown` for managers; empty for workers. */
export function managerStatus(node: Node): string {
  const m = node.managerStatus;
  if (m === null || m === undefined) return '';
  if (m.leader) return 'Leader';
  return capitalized(enumWord(m.reachability, 'REACHABILITY_'));
}

export function renderNodeTable(nodes: readonly Node[], noTrunc: boolean): string {
  return renderTable(
    ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'ROLE', 'MANAGER STATUS'],
    nodes.map((n) => [
      shortId(n.id, noTrunc),
      n.description?.hostname || nodeName(n),
      nodeStatus(n),
      nodeAvailability(n),
      enumWord(n.role, 'NODE_ROLE_'),
      managerStatus(n),
    ]),
  );
}

export function nodeSummary(node: Node, now: number): string {
  const s = new Summary()
    .field('ID', node.id)
    .field('Name', node.spec?.annotations?.name)
    .field('Hostname', node.description?.hostname)
    .list(
      'Labels',
      Object.entries(node.spec?.annotations?.labels ?? {}).map(([k, v]) => (v === '' ? k : `${k}=${v}`)),
    )
    .field('Created', timeAndAgo(now, node.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, node.meta?.updatedAt ?? 0))
    .field('Role', enumWord(node.role, 'NODE_ROLE_'))
    .field(
      'Desired role',
      node.spec?.desiredRole === node.role ? '' : enumWord(node.spec?.desiredRole, 'NODE_ROLE_'),
    )
    .section('Status', (x) =>
      x
        .field('State', nodeStatus(node))
        .field('Message', node.status?.message)
        .field('Availability', nodeAvailability(node))
        .field('Address', node.status?.addr),
    );
  const m = node.managerStatus;
  if (m !== null && m !== undefined)
    s.section('Manager Status', (x) =>
      x
        .field('Address', m.addr)
        .field('Raft ID', m.raftId)
        .field('Leader', m.leader ? 'Yes' : 'No')
        .field('Reachability', capitalized(enumWord(m.reachability, 'REACHABILITY_'))),
    );
  const d = node.description;
  if (d !== null && d !== undefined)
    s.section('Platform', (x) =>
      x.field('Operating System', d.platform?.os).field('Architecture', d.platform?.architecture),
    )
      .section('Resources', (x) =>
        x
          .field('CPUs', Number(d.resources?.nanoCpus ?? 0) > 0 ? formatCpus(d.resources?.nanoCpus ?? 0) : '')
          .field(
            'Memory',
            Number(d.resources?.memoryBytes ?? 0) > 0 ? formatBytes(d.resources?.memoryBytes ?? 0) : '',
          ),
      )
      .section('Engine', (x) =>
        x.field('Version', d.engine?.version).field('Labels', labelsText(d.engine?.labels)),
      );
  return s.render();
}
