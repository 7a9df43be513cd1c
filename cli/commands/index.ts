/**
 * The command tree of swarmctl: each noun's group and the verbs under it, one module per verb
 * (`commands/<noun>/<verb>.ts`). `version` is registered by the composition root.
 */
import type { Command } from 'commander';
import { registerClusterInspect } from './cluster/inspect.js';
import { registerClusterUnlockKey } from './cluster/unlock-key.js';
import { registerClusterUpdate } from './cluster/update.js';
import { registerConfigCreate } from './config/create.js';
import { registerConfigInspect } from './config/inspect.js';
import { registerConfigLs } from './config/ls.js';
import { registerConfigRm } from './config/rm.js';
import { registerEvents } from './events/events.js';
import { registerJoinToken } from './join-token/join-token.js';
import { registerNetworkCreate } from './network/create.js';
import { registerNetworkInspect } from './network/inspect.js';
import { registerNetworkLs } from './network/ls.js';
import { registerNetworkRm } from './network/rm.js';
import { registerNodeActivate } from './node/activate.js';
import { registerNodeDemote } from './node/demote.js';
import { registerNodeDrain } from './node/drain.js';
import { registerNodeInspect } from './node/inspect.js';
import { registerNodeLs } from './node/ls.js';
import { registerNodePause } from './node/pause.js';
import { registerNodePromote } from './node/promote.js';
import { registerNodeRm } from './node/rm.js';
import { registerNodeUpdate } from './node/update.js';
import type { Runner } from './runner.js';
import { registerSecretCreate } from './secret/create.js';
import { registerSecretInspect } from './secret/inspect.js';
import { registerSecretLs } from './secret/ls.js';
import { registerSecretRm } from './secret/rm.js';
import { registerServiceCreate } from './service/create.js';
import { registerServiceInspect } from './service/inspect.js';
import { registerServiceLogs } from './service/logs.js';
import { registerServiceLs } from './service/ls.js';
import { registerServicePs } from './service/ps.js';
import { registerServiceRm } from './service/rm.js';
import { registerServiceScale } from './service/scale.js';
import { registerServiceUpdate } from './service/update.js';
import { registerTaskInspect } from './task/inspect.js';
import { registerTaskLs } from './task/ls.js';

type Register = (parent: Command, run: Runner) => void;

const GROUPS: readonly [name: string, summary: string, verbs: readonly Register[], alias?: string][] = [
  [
    'service',
    'manage services',
    [
      registerServiceCreate,
      registerServiceUpdate,
      registerServiceScale,
      registerServiceLs,
      registerServiceInspect,
      registerServiceLogs,
      registerServicePs,
      registerServiceRm,
    ],
    'svc',
  ],
  ['task', 'list and inspect tasks', [registerTaskLs, registerTaskInspect]],
  [
    'node',
    'manage nodes',
    [
      registerNodeLs,
      registerNodeInspect,
      registerNodeUpdate,
      registerNodeDrain,
      registerNodeActivate,
      registerNodePause,
      registerNodePromote,
      registerNodeDemote,
      registerNodeRm,
    ],
  ],
  [
    'cluster',
    "show and change the cluster's settings",
    [registerClusterInspect, registerClusterUpdate, registerClusterUnlockKey],
  ],
  [
    'secret',
    'manage secrets',
    [registerSecretCreate, registerSecretLs, registerSecretInspect, registerSecretRm],
  ],
  [
    'config',
    'manage configs',
    [registerConfigCreate, registerConfigLs, registerConfigInspect, registerConfigRm],
  ],
  [
    'network',
    'manage networks',
    [registerNetworkCreate, registerNetworkLs, registerNetworkInspect, registerNetworkRm],
  ],
];

/** Adds every command but `version` to `program`. */
export function registerCommands(program: Command, run: Runner): void {
  for (const [name, summary, verbs, alias] of GROUPS) {
    const group = program
      .command(name)
      .summary(summary)
      .description(`${summary[0]?.toUpperCase()}${summary.slice(1)}.`);
    if (alias !== undefined) group.alias(alias);
    for (const register of verbs) register(group, run);
  }
  registerJoinToken(program, run);
  registerEvents(program, run);
}
