/**
 * The generated types of `proto/logs.proto` (package `swarmd.logs`: containers' output from the agents to
 * swarmctl through the leader's log broker), re-exported as `logspb` by index.ts.
 */
export type {
  ListenSubscriptionsRequest,
  ListenSubscriptionsRequest__Output,
} from './gen/swarmd/logs/ListenSubscriptionsRequest.js';
export type { LogBrokerClient, LogBrokerDefinition, LogBrokerHandlers } from './gen/swarmd/logs/LogBroker.js';
export type { LogMessage, LogMessage__Output } from './gen/swarmd/logs/LogMessage.js';
export type { LogSelector, LogSelector__Output } from './gen/swarmd/logs/LogSelector.js';
export type {
  LogSubscriptionOptions,
  LogSubscriptionOptions__Output,
} from './gen/swarmd/logs/LogSubscriptionOptions.js';
export type { LogsClient, LogsDefinition, LogsHandlers } from './gen/swarmd/logs/Logs.js';
export type { PublishLogsMessage, PublishLogsMessage__Output } from './gen/swarmd/logs/PublishLogsMessage.js';
export type {
  PublishLogsResponse,
  PublishLogsResponse__Output,
} from './gen/swarmd/logs/PublishLogsResponse.js';
export type {
  SubscribeLogsMessage,
  SubscribeLogsMessage__Output,
} from './gen/swarmd/logs/SubscribeLogsMessage.js';
export type {
  SubscribeLogsRequest,
  SubscribeLogsRequest__Output,
} from './gen/swarmd/logs/SubscribeLogsRequest.js';
export type {
  SubscriptionMessage,
  SubscriptionMessage__Output,
} from './gen/swarmd/logs/SubscriptionMessage.js';
