import type { Message } from '../message.js';
import type { Entry } from '../types.js';
import { hexId } from '../types.js';

function ents(es: readonly Entry[]): string {
  if (es.length === 0) return '[]';
  const first = es[0] as Entry;
  const last = es[es.length - 1] as Entry;
  return es.length <= 3
    ? `[${es.map((e) => `${e.term}/${e.index}${e.type === 'confChange' ? 'c' : ''}`).join(' ')}]`
    : `[${first.term}/${first.index}..${last.term}/${last.index} (${es.length})]`;
}

/** One line per message, etcd-style: `1->2 MsgApp Term:3 Log:2/5 Commit:4 Entries:[3/6]`. */
export function describeMessage(m: Message): string {
  const head = `${hexId(m.from)}->${hexId(m.to)} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} Log:${m.logTerm}/${m.index} Commit:${m.commit} Entries:${ents(m.entries)}`;
    case 'MsgAppResp':
      return m.reject
        ? `${head} Index:${m.index} Rejected (Hint: ${m.rejectHint}/${m.logTerm})`
        : `${head} Index:${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.logTerm}/${m.index}${m.transfer ? ' Transfer' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgSnapStatus':
      return m.reject ? `${head} Rejected` : head;
    case 'MsgSnap':
      return `${head} Snapshot:${m.snapshot.metadata.term}/${m.snapshot.metadata.index}`;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${m.context === null ? '' : ' Ctx'}`;
    case 'MsgProp':
      return `${head} Entries:${m.entries.length}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index}`;
    default:
      return head;
  }
}
