/**
 * @module agent — the node agent (design.md §6): `Agent` ties the dispatcher session, the worker (task
 * managers over exec.doStep and the local task DB) and the status reporter together. The caller brings
 * the Executor (agent/runtime's on runtime-native) and the node's credentials. See README.md.
 */
export { Agent, type AgentOptions, type AgentState, type AgentStatus } from './agent.js';
