/* The container's init from clone to execve: joins and creates namespaces, builds the filesystem, sets
 * hostname and process limits, reports READY, waits for START, drops privileges and runs the program.
 * Every failure goes back to the shim as an ERROR message naming the step; the child then exits. */
#ifndef RN_CHILD_H
#define RN_CHILD_H

#include "seccomp.h"
#include "spec.h"

typedef struct rn_child_args {
  const rn_spec *spec;
  const rn_bpf *seccomp; /* NULL: no filter */
  int sync_fd;
  int stdio[3];          /* fds to become 0, 1, 2; -1 keeps the inherited one */
  const int *join_fds;   /* cgroup files to join first (rn_cgroup_join_self) */
  size_t n_join;
} rn_child_args;

/* Never returns. */
__attribute__((noreturn)) void rn_child_main(const rn_child_args *a);

#endif
