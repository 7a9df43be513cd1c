import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';

/** A file of the local task DB cannot be used (not JSON, wrong shape, a foreign version). */
export class TaskRecordInvalidError extends SwarmError {
  constructor(file: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_WORKER_TASK_RECORD_INVALID', `Cannot load task record "${file}": ${rule}`, {
      ...options,
      fields: { file, ...options.fields },
    });
  }
}

/** An assignment from the dispatcher cannot be applied (its object is not a task, its id differs...). */
export class AssignmentInvalidError extends SwarmError {
  constructor(kind: string, id: string, rule: string, options: SwarmErrorOptions = {}) {
    super('ERR_WORKER_ASSIGNMENT_INVALID', `Cannot apply the assignment of ${kind} "${id}": ${rule}`, {
      ...options,
      fields: { kind, id, ...options.fields },
    });
  }
}
