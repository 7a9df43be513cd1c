/* The last steps before a container process runs its program, shared by the container's init and by
 * `exec`: limits and working directory (while still root), then identity, capabilities,
 * no_new_privs and seccomp, in the order that keeps each step permitted. */
#ifndef RN_PROCESS_H
#define RN_PROCESS_H

#include "error.h"
#include "seccomp.h"
#include "spec.h"

/* rlimits, oom_score_adj, umask and chdir(cwd), creating cwd when it is missing (as runc does). */
int rn_process_prepare(const rn_process *p, rn_error *err);

/* Finds the program: args[0] itself when it holds a '/', else the first executable match along PATH
 * from the process env (or the default PATH). "executable file `x` not found in $PATH" otherwise.
 * Returns a malloc'd path. */
char *rn_process_find_executable(const rn_process *p, rn_error *err);

/* Drops to the process identity and capabilities, sets no_new_privs and loads seccomp (prog may be
 * NULL). Must run as root with full capabilities. */
int rn_process_finalize(const rn_process *p, const rn_bpf *prog, rn_error *err);

#endif
