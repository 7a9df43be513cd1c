import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';

/** No session is open right now (connecting, failing over, stopped): try again later. */
export class SessionUnavailableError extends SwarmError {
  constructor(what: string, options: SwarmErrorOptions = {}) {
    super('ERR_SESSION_UNAVAILABLE', `Cannot ${what}: no session with a dispatcher is open`, {
      ...options,
      temporary: true,
    });
  }
}

/** The session with one manager ended (stream end, heartbeat failure, refused): the agent fails over. */
export class SessionEndedError extends SwarmError {
  constructor(manager: string, reason: string, options: SwarmErrorOptions = {}) {
    super('ERR_SESSION_ENDED', `Session with manager "${manager}" ended: ${reason}`, {
      ...options,
      temporary: true,
      fields: { 'manager.addr': manager, ...options.fields },
    });
  }
}

/** The dispatcher sent what the contract does not allow (no session id, a bad period). */
export class SessionProtocolError extends SwarmError {
  constructor(manager: string, rule: string) {
    super('ERR_SESSION_PROTOCOL', `Manager "${manager}" broke the dispatcher contract: ${rule}`, {
      temporary: true,
      fields: { 'manager.addr': manager },
    });
  }
}

/** The session options break a rule. */
export class SessionOptionsError extends SwarmError {
  constructor(field: string, rule: string) {
    super('ERR_SESSION_INVALID_OPTIONS', `Cannot start the agent session: ${field}: ${rule}`, {
      fields: { field },
    });
  }
}
