/**
 * @module agent/runtime — the agent's Executor built on runtime-native: each task becomes one container
 * (its id is the task id) of the `host` image or a rootfs folder, with the task's command, env, user,
 * mounts and limits. The only agent code that imports runtime-native.
 */
export { RuntimeController } from './runtime-controller.js';
export { RuntimeExecutor, type RuntimeExecutorOptions } from './runtime-executor.js';
export { containerOptions, imageRef } from './task-container.js';
