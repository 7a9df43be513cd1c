/**
 * The generated types of `proto/dispatcher.proto` (package `swarmd.dispatcher`: agents and the leader's
 * dispatcher), re-exported as `dispatcherpb` by index.ts.
 */
export type { AssignmentChange, AssignmentChange__Output } from './gen/swarmd/dispatcher/AssignmentChange.js';
export type {
  AssignmentsMessage,
  AssignmentsMessage__Output,
} from './gen/swarmd/dispatcher/AssignmentsMessage.js';
export type {
  AssignmentsRequest,
  AssignmentsRequest__Output,
} from './gen/swarmd/dispatcher/AssignmentsRequest.js';
export type { ContainerStatus, ContainerStatus__Output } from './gen/swarmd/dispatcher/ContainerStatus.js';
export type {
  DispatcherClient,
  DispatcherDefinition,
  DispatcherHandlers,
} from './gen/swarmd/dispatcher/Dispatcher.js';
export type { HeartbeatRequest, HeartbeatRequest__Output } from './gen/swarmd/dispatcher/HeartbeatRequest.js';
export type {
  HeartbeatResponse,
  HeartbeatResponse__Output,
} from './gen/swarmd/dispatcher/HeartbeatResponse.js';
export type { ManagerAddress, ManagerAddress__Output } from './gen/swarmd/dispatcher/ManagerAddress.js';
export type { NodeDescription, NodeDescription__Output } from './gen/swarmd/dispatcher/NodeDescription.js';
export type { SessionMessage, SessionMessage__Output } from './gen/swarmd/dispatcher/SessionMessage.js';
export type { SessionRequest, SessionRequest__Output } from './gen/swarmd/dispatcher/SessionRequest.js';
export type { TaskStatusUpdate, TaskStatusUpdate__Output } from './gen/swarmd/dispatcher/TaskStatusUpdate.js';
export type {
  UpdateTaskStatusRequest,
  UpdateTaskStatusRequest__Output,
} from './gen/swarmd/dispatcher/UpdateTaskStatusRequest.js';
export type {
  UpdateTaskStatusResponse,
  UpdateTaskStatusResponse__Output,
} from './gen/swarmd/dispatcher/UpdateTaskStatusResponse.js';
