/**
 * @module manager/raft/testing — fakes and harnesses for raft and its driver: the step-level test network,
 * the deterministic simulation with its safety checks, the linearizability checker and its key-value model,
 * and a SplitMix64 generator. Test code only.
 */

export { describeMessage } from './describe.js';
export type { KvInput, KvOperation, KvOutput } from './kv-model.js';
export { kvModel } from './kv-model.js';
export type { KvApplyResult, KvCommand } from './kv-state-machine.js';
export { decodeKvCommand, encodeKvCommand, KvStateMachine } from './kv-state-machine.js';
export type { CheckReport, CheckResult, Model, Operation } from './linearizability.js';
export { checkLinearizable } from './linearizability.js';
export type { NetworkOptions, PeerOptions } from './network.js';
export { logTerms, Network, storageWithLog, TestPeer } from './network.js';
export type { Violation, ViolationKind } from './safety-checker.js';
export { entryHash, SafetyChecker } from './safety-checker.js';
export type { NetworkFaults } from './sim-network.js';
export { HEALED, SimNetwork } from './sim-network.js';
export { SimStorage } from './sim-storage.js';
export type { SimulationOptions, SimulationResult, SimulationStats } from './simulation.js';
export { runSimulation, Simulation } from './simulation.js';
export { SplitMix64 } from './split-mix64.js';
