import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';

/** A SubscribeLogs request or a published message that breaks a rule; `field` names what. */
export class InvalidLogRequestError extends SwarmError {
  constructor(field: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_LOGBROKER_INVALID_REQUEST', `Invalid log request: ${field}: ${rule}`, {
      ...options,
      fields: { field, ...options.fields },
    });
  }
}

/** This manager does not lead and cannot reach the leader to relay the subscription. */
export class NoLogLeaderError extends SwarmError {
  constructor(options: SwarmErrorOptions = {}) {
    super(
      'ERR_LOGBROKER_NO_LEADER',
      'Cannot stream logs: this manager is not the leader and no leader can be reached',
      { ...options, temporary: true },
    );
  }
}

/** A node published for a subscription it was not asked to serve. */
export class NotSubscribedError extends SwarmError {
  constructor(nodeId: string, subscriptionId: string) {
    super(
      'ERR_LOGBROKER_NOT_SUBSCRIBED',
      `Node ${nodeId} may not publish logs for subscription "${subscriptionId}": it was not asked to`,
      { fields: { 'node.id': nodeId, 'subscription.id': subscriptionId } },
    );
  }
}
