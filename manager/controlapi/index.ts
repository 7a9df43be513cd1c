/**
 * @module manager/controlapi — the Control API (proto/control.proto) that operators reach through
 * swarmctl: services, nodes, tasks, the cluster and its join tokens, secrets, configs, networks, and a
 * watch stream of object events, served over the cluster store. Every spec is validated in one place (the
 * `compile*Spec` functions, which also fill in the defaults), and errors become gRPC statuses only at the
 * edge, in one table (`common/grpc-status-errors.ts`). See README.md.
 *
 * @example
 * ```ts
 * const control = new ControlService({ store, ids, clock, logger, linearizableRead });
 * registerControlService(server, control, { logger });
 * // or, from a manager's context: const control = serveControlApi(ctx, { joinTokens });
 * ```
 */

export type {
  ControlServiceOptions,
  JoinTokens,
  ListFilter,
  NodeListFilter,
  TaskListFilter,
} from './control-service.js';
export { ControlService } from './control-service.js';
export type { ControlWatchAction, ControlWatchEvent, ControlWatchOptions } from './control-watch.js';
export { ControlWatch } from './control-watch.js';
export { DEFAULT_UPDATE_CONFIG, defaultClusterSpec, SERVICE_DEFAULTS } from './defaults.js';
export {
  ControlApiError,
  ControlApiUnavailableError,
  FailedPreconditionError,
  InvalidRequestError,
  InvalidSpecError,
  ObjectInUseError,
  ObjectNotFoundError,
} from './errors.js';
export type { ControlHandlersOptions } from './grpc-handlers.js';
export { createControlHandlers } from './grpc-handlers.js';
export type { JoinTokenGenerator } from './join-tokens.js';
export { rootCAJoinTokens } from './join-tokens.js';
export type { ControlApiHost, ServeControlApiOptions } from './server.js';
export { controlServiceDefinition, registerControlService, serveControlApi } from './server.js';
export type { ClusterSpecInput } from './validate-cluster.js';
export { compileClusterSpec, MIN_HEARTBEAT_PERIOD_MS, MIN_NODE_CERT_EXPIRY_MS } from './validate-cluster.js';
export type { AnnotationsInput, Loose, Opt } from './validate-common.js';
export { isValidName, NAME_RULE } from './validate-common.js';
export type { NetworkSpecInput } from './validate-network.js';
export { compileNetworkSpec } from './validate-network.js';
export type { CompileNodeSpecOptions, NodeSpecInput } from './validate-node.js';
export { compileNodeSpec } from './validate-node.js';
export type { ConfigSpecInput, SecretSpecInput } from './validate-secret.js';
export {
  compileConfigSpec,
  compileSecretSpec,
  MAX_CONFIG_BYTES,
  MAX_SECRET_BYTES,
} from './validate-secret.js';
export type {
  CompileServiceSpecOptions,
  ConfigReferenceInput,
  ContainerSpecInput,
  HealthConfigInput,
  MountInput,
  NetworkAttachmentInput,
  PlacementInput,
  PortConfigInput,
  ReferencedObject,
  ResourceRequirementsInput,
  RestartPolicyInput,
  SecretReferenceInput,
  ServiceModeInput,
  ServiceSpecInput,
  SpecReferences,
  TaskSpecInput,
  UpdateConfigInput,
} from './validate-service.js';
export { compileServiceSpec, MAX_REPLICAS, MIN_MEMORY_LIMIT } from './validate-service.js';
