/** Test helpers for config.json: a seccomp profile evaluator and a check against spec.h's field subset. */
export { seccompVerdict } from './seccomp-verdict.js';
export { fieldsOutsideSpecH } from './spec-subset.js';
