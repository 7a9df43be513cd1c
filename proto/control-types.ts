/** The generated types of `proto/control.proto` (package `swarmd.control`), re-exported as `controlpb` by index.ts. */
export type { Annotations, Annotations__Output } from './gen/swarmd/control/Annotations.js';
export type { CAConfig, CAConfig__Output } from './gen/swarmd/control/CAConfig.js';
export type { Cluster, Cluster__Output } from './gen/swarmd/control/Cluster.js';
export type { ClusterSpec, ClusterSpec__Output } from './gen/swarmd/control/ClusterSpec.js';
export type { Config, Config__Output } from './gen/swarmd/control/Config.js';
export type { ConfigReference, ConfigReference__Output } from './gen/swarmd/control/ConfigReference.js';
export type { ConfigSpec, ConfigSpec__Output } from './gen/swarmd/control/ConfigSpec.js';
export type { ContainerSpec, ContainerSpec__Output } from './gen/swarmd/control/ContainerSpec.js';
export type { ContainerStatus, ContainerStatus__Output } from './gen/swarmd/control/ContainerStatus.js';
export type { ControlClient, ControlDefinition, ControlHandlers } from './gen/swarmd/control/Control.js';
export type {
  CreateConfigRequest,
  CreateConfigRequest__Output,
} from './gen/swarmd/control/CreateConfigRequest.js';
export type {
  CreateConfigResponse,
  CreateConfigResponse__Output,
} from './gen/swarmd/control/CreateConfigResponse.js';
export type {
  CreateNetworkRequest,
  CreateNetworkRequest__Output,
} from './gen/swarmd/control/CreateNetworkRequest.js';
export type {
  CreateNetworkResponse,
  CreateNetworkResponse__Output,
} from './gen/swarmd/control/CreateNetworkResponse.js';
export type {
  CreateSecretRequest,
  CreateSecretRequest__Output,
} from './gen/swarmd/control/CreateSecretRequest.js';
export type {
  CreateSecretResponse,
  CreateSecretResponse__Output,
} from './gen/swarmd/control/CreateSecretResponse.js';
export type {
  CreateServiceRequest,
  CreateServiceRequest__Output,
} from './gen/swarmd/control/CreateServiceRequest.js';
export type {
  CreateServiceResponse,
  CreateServiceResponse__Output,
} from './gen/swarmd/control/CreateServiceResponse.js';
export type { DispatcherConfig, DispatcherConfig__Output } from './gen/swarmd/control/DispatcherConfig.js';
export type { EncryptionConfig, EncryptionConfig__Output } from './gen/swarmd/control/EncryptionConfig.js';
export type { Endpoint, Endpoint__Output } from './gen/swarmd/control/Endpoint.js';
export type { EndpointSpec, EndpointSpec__Output } from './gen/swarmd/control/EndpointSpec.js';
export type { EngineDescription, EngineDescription__Output } from './gen/swarmd/control/EngineDescription.js';
export type { FailureAction, FailureAction__Output } from './gen/swarmd/control/FailureAction.js';
export type { GetClusterRequest, GetClusterRequest__Output } from './gen/swarmd/control/GetClusterRequest.js';
export type {
  GetClusterResponse,
  GetClusterResponse__Output,
} from './gen/swarmd/control/GetClusterResponse.js';
export type { GetConfigRequest, GetConfigRequest__Output } from './gen/swarmd/control/GetConfigRequest.js';
export type { GetConfigResponse, GetConfigResponse__Output } from './gen/swarmd/control/GetConfigResponse.js';
export type {
  GetJoinTokensRequest,
  GetJoinTokensRequest__Output,
} from './gen/swarmd/control/GetJoinTokensRequest.js';
export type {
  GetJoinTokensResponse,
  GetJoinTokensResponse__Output,
} from './gen/swarmd/control/GetJoinTokensResponse.js';
export type { GetNetworkRequest, GetNetworkRequest__Output } from './gen/swarmd/control/GetNetworkRequest.js';
export type {
  GetNetworkResponse,
  GetNetworkResponse__Output,
} from './gen/swarmd/control/GetNetworkResponse.js';
export type { GetNodeRequest, GetNodeRequest__Output } from './gen/swarmd/control/GetNodeRequest.js';
export type { GetNodeResponse, GetNodeResponse__Output } from './gen/swarmd/control/GetNodeResponse.js';
export type { GetSecretRequest, GetSecretRequest__Output } from './gen/swarmd/control/GetSecretRequest.js';
export type { GetSecretResponse, GetSecretResponse__Output } from './gen/swarmd/control/GetSecretResponse.js';
export type { GetServiceRequest, GetServiceRequest__Output } from './gen/swarmd/control/GetServiceRequest.js';
export type {
  GetServiceResponse,
  GetServiceResponse__Output,
} from './gen/swarmd/control/GetServiceResponse.js';
export type { GetTaskRequest, GetTaskRequest__Output } from './gen/swarmd/control/GetTaskRequest.js';
export type { GetTaskResponse, GetTaskResponse__Output } from './gen/swarmd/control/GetTaskResponse.js';
export type {
  GetUnlockKeyRequest,
  GetUnlockKeyRequest__Output,
} from './gen/swarmd/control/GetUnlockKeyRequest.js';
export type {
  GetUnlockKeyResponse,
  GetUnlockKeyResponse__Output,
} from './gen/swarmd/control/GetUnlockKeyResponse.js';
export type { GlobalService, GlobalService__Output } from './gen/swarmd/control/GlobalService.js';
export type { HealthConfig, HealthConfig__Output } from './gen/swarmd/control/HealthConfig.js';
export type { IPAMConfig, IPAMConfig__Output } from './gen/swarmd/control/IPAMConfig.js';
export type { JoinTokens, JoinTokens__Output } from './gen/swarmd/control/JoinTokens.js';
export type {
  ListClustersRequest,
  ListClustersRequest__Output,
} from './gen/swarmd/control/ListClustersRequest.js';
export type {
  ListClustersResponse,
  ListClustersResponse__Output,
} from './gen/swarmd/control/ListClustersResponse.js';
export type {
  ListConfigsRequest,
  ListConfigsRequest__Output,
} from './gen/swarmd/control/ListConfigsRequest.js';
export type {
  ListConfigsResponse,
  ListConfigsResponse__Output,
} from './gen/swarmd/control/ListConfigsResponse.js';
export type { ListFilters, ListFilters__Output } from './gen/swarmd/control/ListFilters.js';
export type {
  ListNetworksRequest,
  ListNetworksRequest__Output,
} from './gen/swarmd/control/ListNetworksRequest.js';
export type {
  ListNetworksResponse,
  ListNetworksResponse__Output,
} from './gen/swarmd/control/ListNetworksResponse.js';
export type { ListNodesRequest, ListNodesRequest__Output } from './gen/swarmd/control/ListNodesRequest.js';
export type { ListNodesResponse, ListNodesResponse__Output } from './gen/swarmd/control/ListNodesResponse.js';
export type {
  ListSecretsRequest,
  ListSecretsRequest__Output,
} from './gen/swarmd/control/ListSecretsRequest.js';
export type {
  ListSecretsResponse,
  ListSecretsResponse__Output,
} from './gen/swarmd/control/ListSecretsResponse.js';
export type {
  ListServicesRequest,
  ListServicesRequest__Output,
} from './gen/swarmd/control/ListServicesRequest.js';
export type {
  ListServicesResponse,
  ListServicesResponse__Output,
} from './gen/swarmd/control/ListServicesResponse.js';
export type { ListTasksRequest, ListTasksRequest__Output } from './gen/swarmd/control/ListTasksRequest.js';
export type { ListTasksResponse, ListTasksResponse__Output } from './gen/swarmd/control/ListTasksResponse.js';
export type { ManagerStatus, ManagerStatus__Output } from './gen/swarmd/control/ManagerStatus.js';
export type { Meta, Meta__Output } from './gen/swarmd/control/Meta.js';
export type { Mount, Mount__Output } from './gen/swarmd/control/Mount.js';
export type { MountType, MountType__Output } from './gen/swarmd/control/MountType.js';
export type { Network, Network__Output } from './gen/swarmd/control/Network.js';
export type { NetworkAttachment, NetworkAttachment__Output } from './gen/swarmd/control/NetworkAttachment.js';
export type { NetworkSpec, NetworkSpec__Output } from './gen/swarmd/control/NetworkSpec.js';
export type { Node, Node__Output } from './gen/swarmd/control/Node.js';
export type { NodeAvailability, NodeAvailability__Output } from './gen/swarmd/control/NodeAvailability.js';
export type { NodeDescription, NodeDescription__Output } from './gen/swarmd/control/NodeDescription.js';
export type { NodeResources, NodeResources__Output } from './gen/swarmd/control/NodeResources.js';
export type { NodeRole, NodeRole__Output } from './gen/swarmd/control/NodeRole.js';
export type { NodeSpec, NodeSpec__Output } from './gen/swarmd/control/NodeSpec.js';
export type { NodeState, NodeState__Output } from './gen/swarmd/control/NodeState.js';
export type { NodeStatus, NodeStatus__Output } from './gen/swarmd/control/NodeStatus.js';
export type { ObjectKind, ObjectKind__Output } from './gen/swarmd/control/ObjectKind.js';
export type { Placement, Placement__Output } from './gen/swarmd/control/Placement.js';
export type {
  PlacementPreference,
  PlacementPreference__Output,
} from './gen/swarmd/control/PlacementPreference.js';
export type { Platform, Platform__Output } from './gen/swarmd/control/Platform.js';
export type { PortConfig, PortConfig__Output } from './gen/swarmd/control/PortConfig.js';
export type { PortProtocol, PortProtocol__Output } from './gen/swarmd/control/PortProtocol.js';
export type { PublishMode, PublishMode__Output } from './gen/swarmd/control/PublishMode.js';
export type { RaftConfig, RaftConfig__Output } from './gen/swarmd/control/RaftConfig.js';
export type { Reachability, Reachability__Output } from './gen/swarmd/control/Reachability.js';
export type {
  RemoveConfigRequest,
  RemoveConfigRequest__Output,
} from './gen/swarmd/control/RemoveConfigRequest.js';
export type {
  RemoveConfigResponse,
  RemoveConfigResponse__Output,
} from './gen/swarmd/control/RemoveConfigResponse.js';
export type {
  RemoveNetworkRequest,
  RemoveNetworkRequest__Output,
} from './gen/swarmd/control/RemoveNetworkRequest.js';
export type {
  RemoveNetworkResponse,
  RemoveNetworkResponse__Output,
} from './gen/swarmd/control/RemoveNetworkResponse.js';
export type { RemoveNodeRequest, RemoveNodeRequest__Output } from './gen/swarmd/control/RemoveNodeRequest.js';
export type {
  RemoveNodeResponse,
  RemoveNodeResponse__Output,
} from './gen/swarmd/control/RemoveNodeResponse.js';
export type {
  RemoveSecretRequest,
  RemoveSecretRequest__Output,
} from './gen/swarmd/control/RemoveSecretRequest.js';
export type {
  RemoveSecretResponse,
  RemoveSecretResponse__Output,
} from './gen/swarmd/control/RemoveSecretResponse.js';
export type {
  RemoveServiceRequest,
  RemoveServiceRequest__Output,
} from './gen/swarmd/control/RemoveServiceRequest.js';
export type {
  RemoveServiceResponse,
  RemoveServiceResponse__Output,
} from './gen/swarmd/control/RemoveServiceResponse.js';
export type { ReplicatedService, ReplicatedService__Output } from './gen/swarmd/control/ReplicatedService.js';
export type { ResourceLimits, ResourceLimits__Output } from './gen/swarmd/control/ResourceLimits.js';
export type {
  ResourceRequirements,
  ResourceRequirements__Output,
} from './gen/swarmd/control/ResourceRequirements.js';
export type { Resources, Resources__Output } from './gen/swarmd/control/Resources.js';
export type { RestartCondition, RestartCondition__Output } from './gen/swarmd/control/RestartCondition.js';
export type { RestartPolicy, RestartPolicy__Output } from './gen/swarmd/control/RestartPolicy.js';
export type { RootCA, RootCA__Output } from './gen/swarmd/control/RootCA.js';
export type {
  RotateJoinTokenRequest,
  RotateJoinTokenRequest__Output,
} from './gen/swarmd/control/RotateJoinTokenRequest.js';
export type {
  RotateJoinTokenResponse,
  RotateJoinTokenResponse__Output,
} from './gen/swarmd/control/RotateJoinTokenResponse.js';
export type { Secret, Secret__Output } from './gen/swarmd/control/Secret.js';
export type { SecretReference, SecretReference__Output } from './gen/swarmd/control/SecretReference.js';
export type { SecretSpec, SecretSpec__Output } from './gen/swarmd/control/SecretSpec.js';
export type { Service, Service__Output } from './gen/swarmd/control/Service.js';
export type { ServiceSpec, ServiceSpec__Output } from './gen/swarmd/control/ServiceSpec.js';
export type { Task, Task__Output } from './gen/swarmd/control/Task.js';
export type { TaskSpec, TaskSpec__Output } from './gen/swarmd/control/TaskSpec.js';
export type { TaskState, TaskState__Output } from './gen/swarmd/control/TaskState.js';
export type { TaskStatus, TaskStatus__Output } from './gen/swarmd/control/TaskStatus.js';
export type {
  UpdateClusterRequest,
  UpdateClusterRequest__Output,
} from './gen/swarmd/control/UpdateClusterRequest.js';
export type {
  UpdateClusterResponse,
  UpdateClusterResponse__Output,
} from './gen/swarmd/control/UpdateClusterResponse.js';
export type { UpdateConfig, UpdateConfig__Output } from './gen/swarmd/control/UpdateConfig.js';
export type { UpdateNodeRequest, UpdateNodeRequest__Output } from './gen/swarmd/control/UpdateNodeRequest.js';
export type {
  UpdateNodeResponse,
  UpdateNodeResponse__Output,
} from './gen/swarmd/control/UpdateNodeResponse.js';
export type { UpdateOrder, UpdateOrder__Output } from './gen/swarmd/control/UpdateOrder.js';
export type {
  UpdateServiceRequest,
  UpdateServiceRequest__Output,
} from './gen/swarmd/control/UpdateServiceRequest.js';
export type {
  UpdateServiceResponse,
  UpdateServiceResponse__Output,
} from './gen/swarmd/control/UpdateServiceResponse.js';
export type { UpdateState, UpdateState__Output } from './gen/swarmd/control/UpdateState.js';
export type { UpdateStatus, UpdateStatus__Output } from './gen/swarmd/control/UpdateStatus.js';
export type { Version, Version__Output } from './gen/swarmd/control/Version.js';
export type { WatchAction, WatchAction__Output } from './gen/swarmd/control/WatchAction.js';
export type { WatchEvent, WatchEvent__Output } from './gen/swarmd/control/WatchEvent.js';
export type { WatchObject, WatchObject__Output } from './gen/swarmd/control/WatchObject.js';
export type { WatchRequest, WatchRequest__Output } from './gen/swarmd/control/WatchRequest.js';
