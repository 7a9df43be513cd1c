/**
 * Readers of the values people give to swarmctl's flags (`k=v`, ports, mounts, secret and config
 * references, filters…). Each names the flag in the {@link FlagError} it throws, so that a bad value
 * exits with the usage status (2) and says which flag and what was expected. Values are only parsed here;
 * the rules of the model (ranges, paths, known keys) are the manager's, and its errors are shown as they
 * are.
 */
import { FlagError } from '../../common/index.js';
import type { controlpb } from '../../proto/index.js';

/** A whole number ≥ 0 (replicas, attempts, pids…); the manager checks the upper bounds. */
export function wholeNumber(flag: string, text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new FlagError(flag, `must be a whole number (0 or more), got "${text}"`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new FlagError(flag, `is too large, got "${text}"`);
  return n;
}

/** A decimal fraction such as 0.2 (the manager checks it is within [0, 1]). */
export function ratio(flag: string, text: string): number {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t))
    throw new FlagError(flag, `must be a number such as 0.2, got "${text}"`);
  return Number(t);
}

/** `key=value` (or `key` alone: an empty value) → [key, value]. */
export function keyValue(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  if (key.trim() === '') throw new FlagError(flag, `must be KEY=VALUE or KEY, got "${text}"`);
  return [key, at < 0 ? '' : text.slice(at + 1)];
}

/** Repeated `key=value` flags as a map (the last value of a key wins). */
export function keyValues(flag: string, texts: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of texts ?? []) {
    const [k, v] = keyValue(flag, t);
    out[k] = v;
  }
  return out;
}

/** An environment entry `KEY=value`. */
export function envEntry(flag: string, text: string): string {
  const at = text.indexOf('=');
  if (at <= 0) throw new FlagError(flag, `must be KEY=VALUE, got "${text}"`);
  return text;
}

/** The key of an environment entry or of a `KEY` given to remove one. */
export function envKey(entry: string): string {
  const at = entry.indexOf('=');
  return at < 0 ? entry : entry.slice(0, at);
}

/**
 * `a=1,b,c=x` → [['a','1'], ['b',''], ['c','x']], in order; a key may repeat. Values cannot hold commas
 * (none of the values these flags take do).
 */
export function csvFields(flag: string, text: string): [string, string][] {
  if (text.trim() === '') throw new FlagError(flag, 'must not be empty');
  return text.split(',').map((part) => {
    const at = part.indexOf('=');
    const key = (at < 0 ? part : part.slice(0, at)).trim().toLowerCase();
    if (key === '') throw new FlagError(flag, `has an empty field in "${text}"`);
    return [key, at < 0 ? '' : part.slice(at + 1).trim()];
  });
}

function boolField(flag: string, key: string, value: string): boolean {
  if (['', 'true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
  throw new FlagError(flag, `${key} must be true or false, got "${value}"`);
}

function portNumber(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 65535)
    throw new FlagError(flag, `a port must be a number between ${min} and 65535, got "${text}"`);
  return Number(text);
}

function protocol(flag: string, text: string): controlpb.PortProtocol {
  const p = text.toLowerCase();
  if (p === 'tcp') return 'PORT_PROTOCOL_TCP';
  if (p === 'udp') return 'PORT_PROTOCOL_UDP';
  throw new FlagError(flag, `the protocol must be tcp or udp, got "${text}"`);
}

/**
 * A published port: `PUBLISHED:TARGET[/tcp|udp]`, `TARGET[/tcp|udp]` (not published), or
 * `published=8080,target=80[,protocol=udp][,mode=host|ingress]`.
 */
export function port(flag: string, text: string): controlpb.PortConfig {
  if (text.includes('=')) {
    const out: controlpb.PortConfig = {};
    for (const [k, v] of csvFields(flag, text)) {
      if (k === 'published') out.publishedPort = portNumber(flag, v, 0);
      else if (k === 'target') out.targetPort = portNumber(flag, v, 1);
      else if (k === 'protocol') out.protocol = protocol(flag, v);
      else if (k === 'mode') {
        if (v !== 'host' && v !== 'ingress')
          throw new FlagError(flag, `mode must be host or ingress, got "${v}"`);
        out.publishMode = v === 'host' ? 'PUBLISH_MODE_HOST' : 'PUBLISH_MODE_INGRESS';
      } else if (k === 'name') out.name = v;
      else throw new FlagError(flag, `unknown field "${k}" (known: published, target, protocol, mode, name)`);
    }
    if (out.targetPort === undefined) throw new FlagError(flag, `target=PORT is required, got "${text}"`);
    return out;
  }
  const m = /^(?:(\d+):)?(\d+)(?:\/(\w+))?$/.exec(text.trim());
  if (m === null)
    throw new FlagError(flag, `must be PUBLISHED:TARGET[/tcp|udp] (such as 8080:80), got "${text}"`);
  const out: controlpb.PortConfig = { targetPort: portNumber(flag, m[2] as string, 1) };
  if (m[1] !== undefined) out.publishedPort = portNumber(flag, m[1], 0);
  if (m[3] !== undefined) out.protocol = protocol(flag, m[3]);
  return out;
}

/** What `--publish-rm` matches: `TARGET[/proto]` or `PUBLISHED:TARGET[/proto]`. */
export function portMatcher(flag: string, text: string): (p: controlpb.PortConfig) => boolean {
  const want = port(flag, text);
  return (p) =>
    Number(p.targetPort) === want.targetPort &&
    (want.publishedPort === undefined || Number(p.publishedPort ?? 0) === want.publishedPort) &&
    (want.protocol === undefined ||
      (p.protocol ?? 'PORT_PROTOCOL_TCP') === want.protocol ||
      (want.protocol === 'PORT_PROTOCOL_TCP' && p.protocol === 'PORT_PROTOCOL_UNSPECIFIED'));
}

const MOUNT_TYPES: Record<string, controlpb.MountType> = {
  bind: 'MOUNT_TYPE_BIND',
  volume: 'MOUNT_TYPE_VOLUME',
  tmpfs: 'MOUNT_TYPE_TMPFS',
};

/** `type=bind,source=/a,target=/b[,readonly]` (also `src`, `dst`/`destination`, `ro`); type defaults to volume. */
export function mount(flag: string, text: string): controlpb.Mount {
  const out: controlpb.Mount = { type: 'MOUNT_TYPE_VOLUME' };
  for (const [k, v] of csvFields(flag, text)) {
    if (k === 'type') {
      const type = MOUNT_TYPES[v.toLowerCase()];
      if (type === undefined) throw new FlagError(flag, `type must be bind, volume or tmpfs, got "${v}"`);
      out.type = type;
    } else if (k === 'source' || k === 'src') out.source = v;
    else if (k === 'target' || k === 'destination' || k === 'dst') out.target = v;
    else if (k === 'readonly' || k === 'ro') out.readOnly = boolField(flag, k, v);
    else throw new FlagError(flag, `unknown field "${k}" (known: type, source, target, readonly)`);
  }
  if (out.target === undefined || out.target === '')
    throw new FlagError(flag, `target=PATH is required, got "${text}"`);
  return out;
}

/** A secret or config given to a service: `NAME` or `source=NAME`, and `target`, `uid`, `gid`, `mode`. */
export interface FileReference {
  name: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** `NAME[,target=T][,uid=U][,gid=G][,mode=0440]` or `source=NAME,...`. */
export function fileReference(flag: string, text: string): FileReference {
  const fields = csvFields(flag, text);
  const out: FileReference = { name: '' };
  fields.forEach(([k, v], i) => {
    if (i === 0 && v === '' && !['target', 'uid', 'gid', 'mode'].includes(k)) {
      out.name = text.split(',')[0]?.trim() ?? '';
      return;
    }
    if (k === 'source' || k === 'src') out.name = v;
    else if (k === 'target') out.target = v;
    else if (k === 'uid') out.uid = v;
    else if (k === 'gid') out.gid = v;
    else if (k === 'mode') {
      if (!/^0?[0-7]{1,3}$/.test(v)) throw new FlagError(flag, `mode must be octal such as 0440, got "${v}"`);
      out.mode = Number.parseInt(v, 8);
    } else throw new FlagError(flag, `unknown field "${k}" (known: source, target, uid, gid, mode)`);
  });
  if (out.name === '')
    throw new FlagError(flag, `must name a secret or config: NAME[,target=...], got "${text}"`);
  return out;
}

/** `spread=node.labels.zone`. */
export function placementPreference(flag: string, text: string): controlpb.PlacementPreference {
  const m = /^spread=(.+)$/.exec(text.trim());
  if (m === null)
    throw new FlagError(flag, `must be spread=<label>, such as spread=node.labels.zone, got "${text}"`);
  return { spread: m[1] as string };
}

/** `NAME` or `name=NAME[,alias=A...]`. */
export function networkAttachment(flag: string, text: string): controlpb.NetworkAttachment {
  if (!text.includes('=')) {
    if (text.trim() === '') throw new FlagError(flag, 'must name a network');
    return { target: text.trim(), aliases: [] };
  }
  const out = { target: '', aliases: [] as string[] };
  for (const [k, v] of csvFields(flag, text)) {
    if (k === 'name' || k === 'target') out.target = v;
    else if (k === 'alias') out.aliases.push(v);
    else throw new FlagError(flag, `unknown field "${k}" (known: name, alias)`);
  }
  if (out.target === '') throw new FlagError(flag, `name=NETWORK is required, got "${text}"`);
  return out;
}

/**
 * A command line split into words as a shell would for simple cases: spaces separate, single and double
 * quotes group, a backslash escapes the next character.
 */
export function shellWords(flag: string, text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new FlagError(flag, `has an unterminated ${quote} quote: ${text}`);
  if (inWord) words.push(word);
  return words;
}

/** `-f key=value` filters, grouped by key; keys outside `known` are refused. */
export function filters(
  flag: string,
  texts: readonly string[] | undefined,
  known: readonly string[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of texts ?? []) {
    const at = t.indexOf('=');
    const key = at < 0 ? '' : t.slice(0, at).trim().toLowerCase();
    if (at < 0 || !known.includes(key))
      throw new FlagError(flag, `must be KEY=VALUE with KEY one of ${known.join(', ')}, got "${t}"`);
    out.set(key, [...(out.get(key) ?? []), t.slice(at + 1)]);
  }
  return out;
}

/** Commander's collector for repeatable flags. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
