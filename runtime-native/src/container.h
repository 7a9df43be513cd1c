/* Container lifecycle: create (a detached shim owns the container), run (the caller's process owns it,
 * in the foreground) and the wrapping of another OCI runtime by our shim (so that crun and runc
 * containers get the same exit records, logs and wait as ours). */
#ifndef RN_CONTAINER_H
#define RN_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "error.h"

typedef struct rn_create_opts {
  const char *root;
  const char *id;
  const char *bundle;        /* absolute */
  const char *pid_file;      /* NULL: none */
  const char *container_log; /* NULL: <root>/<id>/container.log */
  uint64_t log_max_bytes;    /* 0: default */
  unsigned log_max_files;    /* 0: default */
  bool detach;               /* run --detach */
  const rn_cgroup_layout *layout;
} rn_create_opts;

/* `create`: returns once the container is created (its init waits for `start`). */
int rn_container_create(const rn_create_opts *o, rn_error *err);

/* `run`: creates and starts in the foreground with the caller's stdio, waits, deletes, and returns the
 * exit code to exit with (the program's status, or 128 + signal). With detach, behaves as create+start. */
int rn_container_run(const rn_create_opts *o, int *exit_code, rn_error *err);

/* `start`: asks the shim to let the init run its program. */
int rn_container_start(const char *root, const char *id, rn_error *err);

typedef struct rn_wrap_opts {
  const char *runtime;      /* path of crun/runc/another swarm-runtime */
  const char *runtime_root; /* its --root, or NULL */
  const char *state_dir;    /* our shim's directory for this container (created; must not exist) */
  const char *id;
  const char *bundle;
  const char *cgroup_path;  /* the container's cgroup (from its config), for OOM accounting; NULL: none */
  const char *container_log;
  uint64_t log_max_bytes;
  unsigned log_max_files;
  const rn_cgroup_layout *layout;
} rn_wrap_opts;

/* `shim`: runs `<runtime> create` under a detached shim of ours that adopts the container, logs its
 * output and records its end in state_dir. Returns once the runtime's create has finished. */
int rn_container_wrap(const rn_wrap_opts *o, rn_error *err);

#endif
