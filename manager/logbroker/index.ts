/**
 * @module manager/logbroker — containers' output from the agents to swarmctl (proto/logs.proto): the
 * leader's broker hands subscriptions to the agents that run the selected tasks and passes what they
 * publish on; a follower relays a subscription to the leader. See README.md.
 */
export { InvalidLogRequestError, NoLogLeaderError, NotSubscribedError } from './errors.js';
export { type Caller, compileSubscription, LogBroker, type LogBrokerOptions } from './log-broker.js';
