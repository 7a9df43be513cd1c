/**
 * @module proto/model — the cluster's objects (Cluster, Node, Service, Task, Secret, Config, Network) and
 * the task state order, shared by the managers and the agents. Hand-written; the `.proto` contracts carry
 * them over the wire.
 */
export * from './constraint.js';
export * from './objects.js';
export * from './task-state.js';
