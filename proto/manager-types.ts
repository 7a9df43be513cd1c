/**
 * The generated types of `proto/manager.proto` (package `swarmd.manager`: Membership and Forwarding between
 * managers), re-exported as `managerpb` by index.ts.
 */
export type {
  ForwardingClient,
  ForwardingDefinition,
  ForwardingHandlers,
} from './gen/swarmd/manager/Forwarding.js';
export type {
  ForwardProposalRequest,
  ForwardProposalRequest__Output,
} from './gen/swarmd/manager/ForwardProposalRequest.js';
export type {
  ForwardProposalResponse,
  ForwardProposalResponse__Output,
} from './gen/swarmd/manager/ForwardProposalResponse.js';
export type { JoinRequest, JoinRequest__Output } from './gen/swarmd/manager/JoinRequest.js';
export type { JoinResponse, JoinResponse__Output } from './gen/swarmd/manager/JoinResponse.js';
export type { LeaveRequest, LeaveRequest__Output } from './gen/swarmd/manager/LeaveRequest.js';
export type { LeaveResponse, LeaveResponse__Output } from './gen/swarmd/manager/LeaveResponse.js';
export type {
  MembershipClient,
  MembershipDefinition,
  MembershipHandlers,
} from './gen/swarmd/manager/Membership.js';
export type { RaftMember, RaftMember__Output } from './gen/swarmd/manager/RaftMember.js';
export type { UnlockClient, UnlockDefinition, UnlockHandlers } from './gen/swarmd/manager/Unlock.js';
export type { UnlockRequest, UnlockRequest__Output } from './gen/swarmd/manager/UnlockRequest.js';
export type { UnlockResponse, UnlockResponse__Output } from './gen/swarmd/manager/UnlockResponse.js';
