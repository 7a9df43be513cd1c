/**
 * The gRPC edge of the Control API: each RPC converts its request (`convert.ts`), calls the
 * {@link ControlService}, converts the answer, and turns any error into a status through the one table of
 * `common/grpc-status-errors.ts`. Watch streams the service's events with backpressure: it writes only
 * while the stream takes more, so a client that reads too slowly fills the store watcher's bounded queue
 * and is cut off with RESOURCE_EXHAUSTED rather than buffering without bound.
 */
import * as grpc from '@grpc/grpc-js';
import { errorMessage, errorToStatus, type Logger, nullLogger } from '../../common/index.js';
import type { controlpb, NodeAvailability, NodeRole, ObjectKind, TaskState } from '../../proto/index.js';
import type { ControlService } from './control-service.js';
import type { ControlWatch, ControlWatchAction } from './control-watch.js';
import {
  clusterSpecFromProto,
  clusterToProto,
  configToProto,
  listFilterFromProto,
  NODE_AVAILABILITIES,
  NODE_ROLES,
  networkSpecFromProto,
  networkToProto,
  nodeSpecFromProto,
  nodeToProto,
  OBJECT_KINDS_PROTO,
  secretSpecFromProto,
  secretToProto,
  serviceSpecFromProto,
  serviceToProto,
  taskStateFromProto,
  taskToProto,
  versionFromProto,
  WATCH_ACTIONS,
  watchEventToProto,
} from './convert.js';
import { InvalidRequestError } from './errors.js';

export interface ControlHandlersOptions {
  /** @default a logger that drops everything */
  logger?: Logger;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** Known enum values of a request list, or an InvalidRequestError naming the first unknown one. */
function enumList<T>(
  what: string,
  field: string,
  values: readonly (string | number)[],
  known: (v: string | number) => T | undefined,
): T[] {
  return values.map((v, i) => {
    const m = known(v);
    if (m === undefined)
      throw new InvalidRequestError(what, `${field}[${i}]: unknown value ${JSON.stringify(v)}`);
    return m;
  });
}

/** The version an update carries; refused when absent. */
function versionOf(what: string, field: string, v: controlpb.Version__Output | null): number {
  if (v === null) throw new InvalidRequestError(what, `${field} is required (the version read)`);
  return versionFromProto(v);
}

/** Waits until the stream takes more data, or the call ends. */
function drained(call: grpc.ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
    call.once('close', done);
  });
}

/**
 * The handlers of the `swarmd.control.Control` service over `control`, for `server.addService()` (see
 * `registerControlService` in server.ts).
 */
export function createControlHandlers(
  control: ControlService,
  options: ControlHandlersOptions = {},
): controlpb.ControlHandlers {
  const log = (options.logger ?? nullLogger).child({ module: 'manager/controlapi/grpc' });

  function fail(method: string, err: unknown): ReturnType<typeof errorToStatus> {
    let status: ReturnType<typeof errorToStatus>;
    try {
      status = errorToStatus(err);
    } catch (bug) {
      log.error('control error mapping failed', { method, err: bug });
      status = { code: grpc.status.INTERNAL, details: errorMessage(err), metadata: new grpc.Metadata() };
    }
    if (status.code === grpc.status.INTERNAL) log.error('control call failed', { method, err });
    else
      log.debug('control call refused', { method, code: grpc.status[status.code], message: status.details });
    return status;
  }

  function unary<Req, Res>(method: string, fn: (req: Req) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      let p: Promise<Res>;
      try {
        p = fn(call.request);
      } catch (err) {
        callback(fail(method, err));
        return;
      }
      p.then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail(method, err)),
      );
    };
  }

  async function serveWatch(
    call: grpc.ServerWritableStream<controlpb.WatchRequest__Output, controlpb.WatchEvent>,
  ): Promise<void> {
    const req = call.request;
    let watch: ControlWatch;
    try {
      const kinds = enumList<ObjectKind>('watch', 'kinds', req.kinds, (v) => OBJECT_KINDS_PROTO.known(v));
      const actions = enumList<ControlWatchAction>('watch', 'actions', req.actions, (v) => {
        const a = WATCH_ACTIONS.known(v);
        return a === 'started' ? undefined : a;
      });
      watch = control.watch({
        ...(kinds.length === 0 ? {} : { kinds }),
        ...(actions.length === 0 ? {} : { actions }),
      });
    } catch (err) {
      call.emit('error', fail('Watch', err));
      return;
    }
    const cancel = (): void => watch.close();
    call.once('cancelled', cancel);
    try {
      for (;;) {
        const r = await watch.next();
        if (r.done === true || call.cancelled) break;
        if (!call.write(watchEventToProto(r.value, req.includeOldObject))) await drained(call);
      }
      if (!call.cancelled) call.end();
    } catch (err) {
      if (!call.cancelled) call.emit('error', fail('Watch', err));
    } finally {
      call.off('cancelled', cancel);
      watch.close();
    }
  }

  return {
    // ---------------------------------------------------------------- nodes
    GetNode: unary<controlpb.GetNodeRequest__Output, controlpb.GetNodeResponse>('GetNode', async (req) => ({
      node: nodeToProto(await control.getNode(req.nodeId)),
    })),
    ListNodes: unary<controlpb.ListNodesRequest__Output, controlpb.ListNodesResponse>(
      'ListNodes',
      async (req) => {
        const roles = enumList<NodeRole>('list nodes', 'roles', req.roles, (v) => NODE_ROLES.known(v));
        const availabilities = enumList<NodeAvailability>(
          'list nodes',
          'availabilities',
          req.availabilities,
          (v) => NODE_AVAILABILITIES.known(v),
        );
        const nodes = await control.listNodes({ ...listFilterFromProto(req.filters), roles, availabilities });
        return { nodes: nodes.map(nodeToProto) };
      },
    ),
    UpdateNode: unary<controlpb.UpdateNodeRequest__Output, controlpb.UpdateNodeResponse>(
      'UpdateNode',
      async (req) => {
        const version = versionOf(`update node "${req.nodeId}"`, 'node_version', req.nodeVersion);
        return {
          node: nodeToProto(await control.updateNode(req.nodeId, version, nodeSpecFromProto(req.spec))),
        };
      },
    ),
    RemoveNode: unary<controlpb.RemoveNodeRequest__Output, controlpb.RemoveNodeResponse>(
      'RemoveNode',
      async (req) => {
        await control.removeNode(req.nodeId, req.force);
        return {};
      },
    ),

    // ---------------------------------------------------------------- tasks
    GetTask: unary<controlpb.GetTaskRequest__Output, controlpb.GetTaskResponse>('GetTask', async (req) => ({
      task: taskToProto(await control.getTask(req.taskId)),
    })),
    ListTasks: unary<controlpb.ListTasksRequest__Output, controlpb.ListTasksResponse>(
      'ListTasks',
      async (req) => {
        const desiredStates = enumList<TaskState>(
          'list tasks',
          'desired_states',
          req.desiredStates,
          taskStateFromProto,
        );
        const tasks = await control.listTasks({
          ...listFilterFromProto(req.filters),
          serviceIds: req.serviceIds,
          nodeIds: req.nodeIds,
          desiredStates,
        });
        return { tasks: tasks.map(taskToProto) };
      },
    ),

    // ---------------------------------------------------------------- services
    CreateService: unary<controlpb.CreateServiceRequest__Output, controlpb.CreateServiceResponse>(
      'CreateService',
      async (req) => ({
        service: serviceToProto(await control.createService(serviceSpecFromProto(req.spec))),
      }),
    ),
    GetService: unary<controlpb.GetServiceRequest__Output, controlpb.GetServiceResponse>(
      'GetService',
      async (req) => ({
        service: serviceToProto(await control.getService(req.serviceId)),
      }),
    ),
    ListServices: unary<controlpb.ListServicesRequest__Output, controlpb.ListServicesResponse>(
      'ListServices',
      async (req) => ({
        services: (await control.listServices(listFilterFromProto(req.filters))).map(serviceToProto),
      }),
    ),
    UpdateService: unary<controlpb.UpdateServiceRequest__Output, controlpb.UpdateServiceResponse>(
      'UpdateService',
      async (req) => {
        const version = versionOf(`update service "${req.serviceId}"`, 'service_version', req.serviceVersion);
        const service = await control.updateService(req.serviceId, version, serviceSpecFromProto(req.spec));
        return { service: serviceToProto(service) };
      },
    ),
    RemoveService: unary<controlpb.RemoveServiceRequest__Output, controlpb.RemoveServiceResponse>(
      'RemoveService',
      async (req) => {
        await control.removeService(req.serviceId);
        return {};
      },
    ),

    // ---------------------------------------------------------------- cluster
    GetCluster: unary<controlpb.GetClusterRequest__Output, controlpb.GetClusterResponse>(
      'GetCluster',
      async (req) => ({
        cluster: clusterToProto(await control.getCluster(req.clusterId)),
      }),
    ),
    ListClusters: unary<controlpb.ListClustersRequest__Output, controlpb.ListClustersResponse>(
      'ListClusters',
      async (req) => ({
        clusters: (await control.listClusters(listFilterFromProto(req.filters))).map(clusterToProto),
      }),
    ),
    UpdateCluster: unary<controlpb.UpdateClusterRequest__Output, controlpb.UpdateClusterResponse>(
      'UpdateCluster',
      async (req) => {
        const version = versionOf(`update cluster "${req.clusterId}"`, 'cluster_version', req.clusterVersion);
        const cluster = await control.updateCluster(req.clusterId, version, clusterSpecFromProto(req.spec));
        return { cluster: clusterToProto(cluster) };
      },
    ),
    GetJoinTokens: unary<controlpb.GetJoinTokensRequest__Output, controlpb.GetJoinTokensResponse>(
      'GetJoinTokens',
      async () => ({ joinTokens: await control.getJoinTokens() }),
    ),
    GetUnlockKey: unary<controlpb.GetUnlockKeyRequest__Output, controlpb.GetUnlockKeyResponse>(
      'GetUnlockKey',
      async () => ({ unlockKey: await control.getUnlockKey() }),
    ),
    RotateJoinToken: unary<controlpb.RotateJoinTokenRequest__Output, controlpb.RotateJoinTokenResponse>(
      'RotateJoinToken',
      async (req) => {
        const role = NODE_ROLES.known(req.role);
        if (role === undefined)
          throw new InvalidRequestError(
            'rotate join token',
            `role must be worker or manager, got ${JSON.stringify(req.role)}`,
          );
        return { joinTokens: await control.rotateJoinToken(role) };
      },
    ),

    // ---------------------------------------------------------------- secrets
    CreateSecret: unary<controlpb.CreateSecretRequest__Output, controlpb.CreateSecretResponse>(
      'CreateSecret',
      async (req) => ({ secret: secretToProto(await control.createSecret(secretSpecFromProto(req.spec))) }),
    ),
    GetSecret: unary<controlpb.GetSecretRequest__Output, controlpb.GetSecretResponse>(
      'GetSecret',
      async (req) => ({
        secret: secretToProto(await control.getSecret(req.secretId)),
      }),
    ),
    ListSecrets: unary<controlpb.ListSecretsRequest__Output, controlpb.ListSecretsResponse>(
      'ListSecrets',
      async (req) => ({
        secrets: (await control.listSecrets(listFilterFromProto(req.filters))).map(secretToProto),
      }),
    ),
    RemoveSecret: unary<controlpb.RemoveSecretRequest__Output, controlpb.RemoveSecretResponse>(
      'RemoveSecret',
      async (req) => {
        await control.removeSecret(req.secretId);
        return {};
      },
    ),

    // ---------------------------------------------------------------- configs
    CreateConfig: unary<controlpb.CreateConfigRequest__Output, controlpb.CreateConfigResponse>(
      'CreateConfig',
      async (req) => ({ config: configToProto(await control.createConfig(secretSpecFromProto(req.spec))) }),
    ),
    GetConfig: unary<controlpb.GetConfigRequest__Output, controlpb.GetConfigResponse>(
      'GetConfig',
      async (req) => ({
        config: configToProto(await control.getConfig(req.configId)),
      }),
    ),
    ListConfigs: unary<controlpb.ListConfigsRequest__Output, controlpb.ListConfigsResponse>(
      'ListConfigs',
      async (req) => ({
        configs: (await control.listConfigs(listFilterFromProto(req.filters))).map(configToProto),
      }),
    ),
    RemoveConfig: unary<controlpb.RemoveConfigRequest__Output, controlpb.RemoveConfigResponse>(
      'RemoveConfig',
      async (req) => {
        await control.removeConfig(req.configId);
        return {};
      },
    ),

    // ---------------------------------------------------------------- networks
    CreateNetwork: unary<controlpb.CreateNetworkRequest__Output, controlpb.CreateNetworkResponse>(
      'CreateNetwork',
      async (req) => ({
        network: networkToProto(await control.createNetwork(networkSpecFromProto(req.spec))),
      }),
    ),
    GetNetwork: unary<controlpb.GetNetworkRequest__Output, controlpb.GetNetworkResponse>(
      'GetNetwork',
      async (req) => ({
        network: networkToProto(await control.getNetwork(req.networkId)),
      }),
    ),
    ListNetworks: unary<controlpb.ListNetworksRequest__Output, controlpb.ListNetworksResponse>(
      'ListNetworks',
      async (req) => ({
        networks: (await control.listNetworks(listFilterFromProto(req.filters))).map(networkToProto),
      }),
    ),
    RemoveNetwork: unary<controlpb.RemoveNetworkRequest__Output, controlpb.RemoveNetworkResponse>(
      'RemoveNetwork',
      async (req) => {
        await control.removeNetwork(req.networkId);
        return {};
      },
    ),

    // ---------------------------------------------------------------- watch
    Watch: (call) => {
      void serveWatch(call);
    },
  };
}
