/* The OCI commands that act on an existing container: state, list, kill, delete, exec. */
#ifndef RN_COMMANDS_H
#define RN_COMMANDS_H

#include <stdbool.h>

#include "cgroup.h"
#include "error.h"

/* Prints the OCI state JSON (plus "exit" once stopped) to stdout. */
int rn_cmd_state(const char *root, const char *id, rn_error *err);

/* Prints the containers of root: a table, ids only (quiet), or a JSON array. */
int rn_cmd_list(const char *root, bool quiet, bool json, rn_error *err);

int rn_cmd_kill(const char *root, const char *id, int sig, bool all, const rn_cgroup_layout *layout, rn_error *err);

int rn_cmd_delete(const char *root, const char *id, bool force, const rn_cgroup_layout *layout, rn_error *err);

typedef struct rn_exec_opts {
  char **args;      /* NULL-terminated, at least one */
  char **env;       /* extra KEY=value, NULL-terminated; override the container's */
  const char *cwd;  /* NULL: the container's */
  bool has_user;
  uid_t uid;
  gid_t gid;
} rn_exec_opts;

/* Runs a process inside a running container, in the foreground, with the container's namespaces,
 * cgroups, capabilities, no_new_privs and seccomp; sets *exit_code. */
int rn_cmd_exec(const char *root, const char *id, const rn_exec_opts *o, const rn_cgroup_layout *layout,
                int *exit_code, rn_error *err);

#endif
