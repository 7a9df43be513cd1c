import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../../common/index.js';
import { ERROR_CODE_METADATA, ERROR_FIELDS_METADATA } from '../../../common/index.js';
import { type dispatcherpb, loadGrpcObject } from '../../../proto/index.js';

export interface FakeDispatcherOptions {
  /** A Unix socket path for the server. */
  socketPath: string;
  /** Times the heartbeats it receives. */
  clock: Clock;
  /** A follower answers every call UNAVAILABLE/ERR_DISPATCHER_NOT_LEADER. @default true */
  leader?: boolean;
  /** Named in a follower's refusal (`fields.managers`) and in session messages. @default [] */
  managers?: string[];
  heartbeatPeriodMs?: number;
  /** The period its heartbeat answers give. @default heartbeatPeriodMs */
  nextPeriodMs?: number;
}

/**
 * A small Dispatcher server for session tests, on a Unix socket: records sessions, heartbeats (with the
 * fake clock's time) and status updates; ends sessions, fails calls and pushes assignments when told.
 */
export class FakeDispatcher {
  readonly address: string;
  readonly #server: grpc.Server;
  readonly #o: FakeDispatcherOptions;
  leader: boolean;
  readonly sessions: {
    sessionId: string;
    nodeId: string;
    description: dispatcherpb.NodeDescription__Output;
  }[] = [];
  readonly heartbeats: { sessionId: string; at: number }[] = [];
  readonly statusUpdates: dispatcherpb.TaskStatusUpdate__Output[][] = [];
  readonly assignmentRequests: string[] = [];
  /** What the COMPLETE set that opens each assignments stream holds. */
  assigned: dispatcherpb.AssignmentChange[] = [];
  /** Fail this many next UpdateTaskStatus calls with UNAVAILABLE. */
  failStatusUpdates = 0;
  #sessionCalls: grpc.ServerWritableStream<
    dispatcherpb.SessionRequest__Output,
    dispatcherpb.SessionMessage
  >[] = [];
  #assignmentCalls: grpc.ServerWritableStream<
    dispatcherpb.AssignmentsRequest__Output,
    dispatcherpb.AssignmentsMessage
  >[] = [];
  #live = new Set<string>();

  private constructor(options: FakeDispatcherOptions, server: grpc.Server) {
    this.#o = options;
    this.#server = server;
    this.address = `unix:${options.socketPath}`;
    this.leader = options.leader ?? true;
  }

  static async start(options: FakeDispatcherOptions): Promise<FakeDispatcher> {
    const server = new grpc.Server();
    const d = new FakeDispatcher(options, server);
    server.addService(loadGrpcObject('dispatcher').swarmd.dispatcher.Dispatcher.service, d.#handlers());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(d.address, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    return d;
  }

  #refusal(): grpc.StatusObject {
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_CODE_METADATA, 'ERR_DISPATCHER_NOT_LEADER');
    metadata.set(ERROR_FIELDS_METADATA, Buffer.from(JSON.stringify({ managers: this.#o.managers ?? [] })));
    return { code: grpc.status.UNAVAILABLE, details: 'dispatcher: this manager is not the leader', metadata };
  }

  #unknown(): grpc.StatusObject {
    return { code: grpc.status.NOT_FOUND, details: 'session unknown', metadata: new grpc.Metadata() };
  }

  #handlers(): dispatcherpb.DispatcherHandlers {
    return {
      Session: (call) => {
        if (!this.leader) {
          call.emit('error', this.#refusal());
          return;
        }
        const nodeId = String(call.metadata.get('x-swarmd-test-node-id')[0] ?? 'node-1');
        const sessionId = `session-${this.sessions.length + 1}`;
        this.sessions.push({
          sessionId,
          nodeId,
          description: call.request.description as dispatcherpb.NodeDescription__Output,
        });
        this.#live.add(sessionId);
        this.#sessionCalls.push(call);
        call.on('cancelled', () => this.#live.delete(sessionId));
        call.write({
          sessionId,
          nodeId,
          managers: (this.#o.managers ?? []).map((addr, i) => ({ nodeId: `m${i}`, addr })),
          heartbeatPeriodMs: this.#o.heartbeatPeriodMs ?? 1000,
        });
      },
      Heartbeat: (call, cb) => {
        if (!this.leader) return cb(this.#refusal());
        if (!this.#live.has(call.request.sessionId)) return cb(this.#unknown());
        this.heartbeats.push({ sessionId: call.request.sessionId, at: this.#o.clock.now() });
        cb(null, { periodMs: this.#o.nextPeriodMs ?? this.#o.heartbeatPeriodMs ?? 1000 });
      },
      UpdateTaskStatus: (call, cb) => {
        if (!this.leader) return cb(this.#refusal());
        if (!this.#live.has(call.request.sessionId)) return cb(this.#unknown());
        if (this.failStatusUpdates > 0) {
          this.failStatusUpdates--;
          return cb({ code: grpc.status.UNAVAILABLE, details: 'busy', metadata: new grpc.Metadata() });
        }
        this.statusUpdates.push(call.request.updates);
        cb(null, {});
      },
      Assignments: (call) => {
        if (!this.leader) {
          call.emit('error', this.#refusal());
          return;
        }
        this.assignmentRequests.push(call.request.sessionId);
        this.#assignmentCalls.push(call);
        call.write({ type: 'COMPLETE', appliesTo: 0, resultsIn: 1, changes: this.assigned });
      },
    };
  }

  /** Sends a message on every open assignments stream. */
  sendAssignments(message: dispatcherpb.AssignmentsMessage): void {
    for (const c of this.#assignmentCalls) if (!c.cancelled && !c.writableEnded) c.write(message);
  }

  /** Ends every session stream (OK status), as a dispatcher that stops does; the sessions are forgotten. */
  endSessions(): void {
    for (const c of this.#sessionCalls.splice(0)) if (!c.writableEnded) c.end();
    for (const c of this.#assignmentCalls.splice(0)) if (!c.writableEnded) c.end();
    this.#live.clear();
  }

  async stop(): Promise<void> {
    this.endSessions();
    await new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    this.#server.forceShutdown();
  }
}
