/**
 * @module proto — the gRPC contracts of swarmd (`proto/*.proto`) and their generated TypeScript types
 * (`proto/gen/`, made by `npm run proto` and never edited by hand).
 *
 * Every service loads its contract through {@link loadProto} or {@link loadGrpcObject}, so that the whole
 * project decodes protobuf the same way ({@link PROTO_LOADER_OPTIONS}); `scripts/gen-proto.mjs` passes the
 * matching flags to the generator, so the generated `__Output` types describe exactly what the loader
 * returns. Types are re-exported per contract as a namespace (`raftpb.RaftMessage__Output`): other folders
 * import `proto` only through this file. Contracts: `raft` (`raftpb`, the peers' Raft transport) and
 * `control` (`controlpb`, the Control API that swarmctl uses; served by manager/controlapi), `dispatcher`
 * (`dispatcherpb`, agents and the leader's dispatcher), `ca` (`capb`, the certificate authority: root CA and
 * node certificates, served by manager/ca), `logs` (`logspb`, containers' output from the
 * agents to swarmctl through the leader's log broker).
 *
 * @example
 * ```ts
 * const { swarmd } = loadGrpcObject('raft');
 * server.addService(swarmd.raft.Raft.service, handlers);
 * ```
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as CaProtoGrpcType } from './gen/ca.js';
import type { ProtoGrpcType as ControlProtoGrpcType } from './gen/control.js';
import type { ProtoGrpcType as DispatcherProtoGrpcType } from './gen/dispatcher.js';
import type { ProtoGrpcType as LogsProtoGrpcType } from './gen/logs.js';
import type { ProtoGrpcType as ManagerProtoGrpcType } from './gen/manager.js';
import type { ProtoGrpcType as RaftProtoGrpcType } from './gen/raft.js';

export type * as capb from './ca-types.js';
export type * as controlpb from './control-types.js';
export type * as dispatcherpb from './dispatcher-types.js';
export type * as logspb from './logs-types.js';
export type * as managerpb from './manager-types.js';
export * from './model/index.js';
export type * as raftpb from './raft-types.js';
export type {
  CaProtoGrpcType,
  ControlProtoGrpcType,
  DispatcherProtoGrpcType,
  LogsProtoGrpcType,
  ManagerProtoGrpcType,
  RaftProtoGrpcType,
};

/**
 * The loader options every swarmd service uses. MUST match the flags of `scripts/gen-proto.mjs`:
 * - field names in camelCase (`log_term` → `logTerm`);
 * - 64-bit integers as decimal strings, so that uint64 member ids survive exactly (convert with `BigInt()`);
 * - enums as their names (`'MsgApp'`); an unknown value comes out as its number;
 * - absent fields filled with their defaults (0, `''`, `false`, `[]`, `null` for messages), except
 *   `optional` fields, which stay absent when not set;
 * - `bytes` as `Buffer`.
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The typed grpc object of each contract, as generated. */
export interface ProtoGrpcTypes {
  ca: CaProtoGrpcType;
  control: ControlProtoGrpcType;
  dispatcher: DispatcherProtoGrpcType;
  logs: LogsProtoGrpcType;
  manager: ManagerProtoGrpcType;
  raft: RaftProtoGrpcType;
}

/** The name of a contract: `proto/<name>.proto`. */
export type ProtoName = keyof ProtoGrpcTypes;

const definitions = new Map<ProtoName, protoLoader.PackageDefinition>();

/** Finds `<name>.proto`: beside this module when run from source, or in `<root>/proto/` from a build dir. */
function protoFile(name: ProtoName): string {
  const file = `${name}.proto`;
  let dir = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(dir, file))) return join(dir, file);
  for (;;) {
    const candidate = join(dir, 'proto', file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`Cannot load proto "${name}": ${file} not found above ${import.meta.url}`);
    dir = parent;
  }
}

/**
 * The package definition of `proto/<name>.proto`, loaded once per process with
 * {@link PROTO_LOADER_OPTIONS}.
 * @throws Error when the file is missing or does not parse
 */
export function loadProto(name: ProtoName): protoLoader.PackageDefinition {
  let def = definitions.get(name);
  if (def === undefined) {
    def = protoLoader.loadSync(protoFile(name), PROTO_LOADER_OPTIONS);
    definitions.set(name, def);
  }
  return def;
}

/** {@link loadProto} turned into grpc's object of client constructors and service definitions, typed. */
export function loadGrpcObject<N extends ProtoName>(name: N): ProtoGrpcTypes[N] {
  return grpc.loadPackageDefinition(loadProto(name)) as unknown as ProtoGrpcTypes[N];
}
