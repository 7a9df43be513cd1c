import { SwarmError } from '../../common/index.js';

/** A runtime command (`swarm-runtime`, `crun` or `runc`) failed; carries the errno the runtime reported. */
export class RuntimeCommandError extends SwarmError {
  readonly op: string;
  readonly errno: number | undefined;
  readonly exitCode: number | null;

  constructor(
    op: string,
    message: string,
    fields: { runtime: string; errno?: number | undefined; exitCode: number | null },
  ) {
    super('ERR_RUNTIME_COMMAND', `Cannot ${op} container: ${message}`, {
      fields: { op, runtime: fields.runtime, ...(fields.errno === undefined ? {} : { errno: fields.errno }) },
    });
    this.op = op;
    this.errno = fields.errno;
    this.exitCode = fields.exitCode;
  }
}

/** The container does not exist in the runtime's state root. */
export class ContainerNotFoundError extends SwarmError {
  constructor(id: string, op: string) {
    super('ERR_RUNTIME_NOT_FOUND', `Cannot ${op} container "${id}": it does not exist`, {
      fields: { 'container.id': id, op },
    });
  }
}

/** A container with this id exists already. */
export class ContainerExistsError extends SwarmError {
  constructor(id: string) {
    super('ERR_RUNTIME_EXISTS', `Cannot create container "${id}": a container with this id exists`, {
      fields: { 'container.id': id },
    });
  }
}

/** The container stopped but how it ended was not recorded (its shim was killed). */
export class ExitUnknownError extends SwarmError {
  constructor(id: string) {
    super(
      'ERR_RUNTIME_EXIT_UNKNOWN',
      `Cannot tell how container "${id}" ended: its shim left no exit record`,
      {
        fields: { 'container.id': id },
      },
    );
  }
}

/** Preparing a root filesystem (host image or overlay) failed. */
export class RootfsError extends SwarmError {
  constructor(message: string, cause?: unknown) {
    super('ERR_RUNTIME_ROOTFS', message, cause === undefined ? {} : { cause });
  }
}
