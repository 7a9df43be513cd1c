/** Watch events for people: one line each, as `docker events` prints them. */
import type { controlpb } from '../../proto/index.js';
import { enumWord } from './names.js';
import { nodeName } from './node.js';
import { serviceMode } from './service.js';
import { taskName, taskStateWord } from './task.js';

type WatchObject = controlpb.WatchObject__Output;

/** The object of a watch event, whichever its kind; null when it has none. */
export function eventObject(o: WatchObject | null | undefined): { id: string } | null {
  if (o === null || o === undefined || o.object === undefined) return null;
  return (o[o.object] as { id: string } | null | undefined) ?? null;
}

function attributes(o: WatchObject): [string, string][] {
  if (o.service)
    return [
      ['name', o.service.spec?.annotations?.name ?? ''],
      ['mode', serviceMode(o.service.spec)],
    ];
  if (o.task)
    return [
      ['name', taskName(o.task, true)],
      ['desired', taskStateWord(o.task.desiredState)],
      ['state', taskStateWord(o.task.status?.state)],
    ];
  if (o.node)
    return [
      ['name', nodeName(o.node)],
      ['availability', enumWord(o.node.spec?.availability, 'NODE_AVAILABILITY_')],
      ['state', enumWord(o.node.status?.state, 'NODE_STATE_')],
    ];
  const named = o.cluster ?? o.secret ?? o.config ?? o.network;
  return [['name', named?.spec?.annotations?.name ?? '']];
}

/**
 * `2024-05-01T12:00:00.000Z service create 9v3x… (name=web, mode=replicated, version=12)`: the time it was
 * received, the kind, the action, the full id, and a few attributes.
 */
export function eventLine(event: controlpb.WatchEvent__Output, now: number): string {
  const kind = enumWord(event.kind, 'OBJECT_KIND_');
  const action = enumWord(event.action, 'WATCH_ACTION_');
  const o = event.object;
  const object = eventObject(o);
  const attrs = o === null ? [] : attributes(o);
  attrs.push(['version', event.version?.index ?? '']);
  const text = attrs
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${new Date(now).toISOString()} ${kind} ${action} ${object?.id ?? ''} (${text})\n`;
}
