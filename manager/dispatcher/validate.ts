/**
 * Checks of what agents send (every field from outside is validated; errors name the field as
 * proto/dispatcher.proto spells it) and their conversion to proto/model's types.
 */
import { isIP } from 'node:net';
import {
  type ContainerStatus,
  type dispatcherpb,
  isTaskState,
  type NodeDescription,
  TASK_STATES,
  type TaskState,
} from '../../proto/index.js';
import { InvalidRequestError } from './errors.js';

const MAX_NAME = 255;
const MAX_LABELS = 1000;
const MAX_LABEL_VALUE = 4096;

/** A proto int64 (decimal string from the loader) as a safe integer within [min, max], or null. */
function int64(v: string | number, min: number, max: number): number | null {
  const s = String(v);
  if (!/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

function shortText(what: string, field: string, v: string, max: number, required: boolean): string {
  if (required && v === '') throw new InvalidRequestError(what, field, 'is required');
  if (v.length > max)
    throw new InvalidRequestError(what, field, `must be at most ${max} characters, got ${v.length}`);
  return v;
}

/**
 * The node description of a SessionRequest as proto/model's NodeDescription.
 * @throws InvalidRequestError naming the field
 */
export function descriptionFromProto(
  what: string,
  d: dispatcherpb.NodeDescription__Output | null,
): NodeDescription {
  if (d === null) throw new InvalidRequestError(what, 'description', 'is required');
  const nanoCpus = int64(d.nanoCpus, 0, Number.MAX_SAFE_INTEGER);
  if (nanoCpus === null)
    throw new InvalidRequestError(
      what,
      'description.nano_cpus',
      `must be a non-negative integer, got ${d.nanoCpus}`,
    );
  const memoryBytes = int64(d.memoryBytes, 0, Number.MAX_SAFE_INTEGER);
  if (memoryBytes === null)
    throw new InvalidRequestError(
      what,
      'description.memory_bytes',
      `must be a non-negative integer, got ${d.memoryBytes}`,
    );
  const entries = Object.entries(d.engineLabels);
  if (entries.length > MAX_LABELS)
    throw new InvalidRequestError(
      what,
      'description.engine_labels',
      `must have at most ${MAX_LABELS} labels, got ${entries.length}`,
    );
  const labels: Record<string, string> = {};
  for (const [k, v] of entries) {
    shortText(what, 'description.engine_labels (a key)', k, MAX_NAME, true);
    shortText(what, `description.engine_labels["${k}"]`, v, MAX_LABEL_VALUE, false);
    labels[k] = v;
  }
  return {
    hostname: shortText(what, 'description.hostname', d.hostname, MAX_NAME, true),
    platform: {
      os: shortText(what, 'description.os', d.os, 64, true),
      architecture: shortText(what, 'description.architecture', d.architecture, 64, true),
    },
    resources: { nanoCpus, memoryBytes },
    engine: {
      version: shortText(what, 'description.engine_version', d.engineVersion, MAX_NAME, false),
      labels,
    },
  };
}

/** A validated status update, in proto/model's terms. */
export interface StatusUpdate {
  nodeId: string;
  taskId: string;
  state: TaskState;
  /** ms since the epoch (the manager's clock when the agent sent 0). */
  timestamp: number;
  message: string;
  err: string;
  container: ContainerStatus | null;
  restarts: number;
}

/** The rules {@link statusUpdateFromProto} applies. */
export interface StatusUpdateLimits {
  now: number;
  maxTextLength: number;
  maxTimestampSkewMs: number;
}

const MIN_AGENT_STATE = TASK_STATES.ACCEPTED;
const MAX_AGENT_STATE = TASK_STATES.REJECTED;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * One item of an UpdateTaskStatusRequest, checked for form (the task's existence and owner are checked
 * against the store by the caller). `field` is `updates[i]`.
 * @throws InvalidRequestError naming `updates[i].<field>`
 */
export function statusUpdateFromProto(
  what: string,
  field: string,
  nodeId: string,
  u: dispatcherpb.TaskStatusUpdate__Output,
  limits: StatusUpdateLimits,
): StatusUpdate {
  if (u.taskId === '') throw new InvalidRequestError(what, `${field}.task_id`, 'is required');
  if (u.taskId.length > MAX_NAME)
    throw new InvalidRequestError(what, `${field}.task_id`, `must be at most ${MAX_NAME} characters`);
  const state = u.state;
  if (!isTaskState(state) || TASK_STATES[state] < MIN_AGENT_STATE || TASK_STATES[state] > MAX_AGENT_STATE)
    throw new InvalidRequestError(
      what,
      `${field}.state`,
      `must be a task state from ACCEPTED to REJECTED, got ${JSON.stringify(state)}`,
    );
  const ts = int64(u.timestamp, 0, limits.now + limits.maxTimestampSkewMs);
  if (ts === null)
    throw new InvalidRequestError(
      what,
      `${field}.timestamp`,
      `must be ms since the epoch, not more than ${limits.maxTimestampSkewMs} ms ahead of the manager's clock, got ${u.timestamp}`,
    );
  const message = shortText(what, `${field}.message`, u.message, limits.maxTextLength, false);
  const err = shortText(what, `${field}.err`, u.err, limits.maxTextLength, false);
  const restarts = int64(u.restarts, 0, Number.MAX_SAFE_INTEGER);
  if (restarts === null)
    throw new InvalidRequestError(
      what,
      `${field}.restarts`,
      `must be a non-negative integer, got ${u.restarts}`,
    );
  let container: ContainerStatus | null = null;
  if (u.container !== null) {
    const c = u.container;
    const containerId = shortText(what, `${field}.container.container_id`, c.containerId, MAX_NAME, false);
    const pid = int64(c.pid, 0, INT32_MAX);
    if (pid === null)
      throw new InvalidRequestError(what, `${field}.container.pid`, `must be a process id, got ${c.pid}`);
    const exitCode = int64(c.exitCode, INT32_MIN, INT32_MAX);
    if (exitCode === null)
      throw new InvalidRequestError(
        what,
        `${field}.container.exit_code`,
        `must be a 32-bit integer, got ${c.exitCode}`,
      );
    container = { containerId, pid, exitCode, oomKilled: c.oomKilled };
  }
  return {
    nodeId,
    taskId: u.taskId,
    state,
    timestamp: ts === 0 ? limits.now : ts,
    message,
    err,
    container,
    restarts,
  };
}

/**
 * The IP address of a peer as grpc-js reports it (`1.2.3.4:5678`, `::1:5678`, `::ffff:1.2.3.4:5678`,
 * `[::1]:5678`), or '' when it has none (a Unix socket: `unknown`).
 */
export function peerIp(peer: string): string {
  let host = '';
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(peer);
  if (bracketed !== null) host = bracketed[1] ?? '';
  else {
    const withPort = /^(.*):\d+$/.exec(peer);
    if (withPort !== null && isIP(withPort[1] ?? '') !== 0) host = withPort[1] ?? '';
    else if (isIP(peer) !== 0) host = peer;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped !== null ? (mapped[1] ?? '') : host;
}
