/* cgroups: one driver interface, two drivers. The v1 driver (this kind of host: one hierarchy per
 * controller, plus a cgroup2 "unified" mount with no controllers) sets limits and reads counters in the v1
 * hierarchies and uses the unified hierarchy, when mounted, for cgroup.kill and cgroup.events. The v2
 * driver (a single cgroup2 hierarchy) does everything there. rn_cgroup_detect() picks one from the mount
 * table.
 *
 * Every path the drivers touch is below the mount points found in the mount table, so tests can point the
 * drivers at fixture directories (rn_cgroup_layout_from_mountinfo with a fixture text and a prefix). */
#ifndef RN_CGROUP_H
#define RN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

typedef enum rn_cgroup_mode {
  RN_CGROUP_V1,     /* v1 controllers, no cgroup2 mount */
  RN_CGROUP_HYBRID, /* v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified) */
  RN_CGROUP_V2,     /* cgroup2 only */
} rn_cgroup_mode;

/* v1 controllers the runtime uses. */
typedef enum rn_cgroup_ctrl {
  RN_CG_MEMORY,
  RN_CG_CPU,
  RN_CG_CPUACCT,
  RN_CG_CPUSET,
  RN_CG_PIDS,
  RN_CG_DEVICES,
  RN_CG_FREEZER,
  RN_CG_COUNT,
} rn_cgroup_ctrl;

/* Where the hierarchies are mounted. A v1 controller that is absent has a NULL mount. When cpu and cpuacct
 * are co-mounted both point to the same directory. */
typedef struct rn_cgroup_layout {
  rn_cgroup_mode mode;
  char *v1[RN_CG_COUNT]; /* mount point of each v1 controller, or NULL */
  char *unified;         /* cgroup2 mount point, or NULL */
} rn_cgroup_layout;

/* Builds the layout from mountinfo text (the format of /proc/self/mountinfo). `prefix`, when not NULL,
 * is prepended to every mount point found (fixtures live under a temporary directory). Fails when no
 * usable cgroup mount exists. */
int rn_cgroup_layout_from_mountinfo(rn_cgroup_layout *out, const char *mountinfo, const char *prefix,
                                    rn_error *err);
/* From /proc/self/mountinfo. */
int rn_cgroup_layout_detect(rn_cgroup_layout *out, rn_error *err);
void rn_cgroup_layout_free(rn_cgroup_layout *layout);
const char *rn_cgroup_mode_name(rn_cgroup_mode mode);

/* One container's cgroup, in whichever hierarchies its driver uses. */
typedef struct rn_cgroup {
  const struct rn_cgroup_driver *driver;
  const rn_cgroup_layout *layout;
  char *path;                 /* relative path below each hierarchy root, e.g. "swarm-runtime/abc" */
  char *v1_dir[RN_CG_COUNT];  /* absolute directories created (v1/hybrid), NULL where not used */
  char *unified_dir;          /* absolute directory in the cgroup2 hierarchy, NULL where not used */
  int oom_fd;                 /* pollable fd that becomes readable on an OOM kill; -1 until oom_watch */
  int oom_aux_fd;             /* driver-private (v1: the memory.oom_control fd) */
  uint64_t oom_kills_at_start;
} rn_cgroup;

typedef struct rn_cgroup_driver {
  const char *name; /* "v1" or "v2" */
  /* Creates the directories (parents included) and applies the resource limits. A limit the hierarchy
   * cannot honour (controller missing) fails with an error naming the spec field. On failure nothing
   * created is left. */
  int (*create)(rn_cgroup *cg, const rn_resources *res, bool has_resources, rn_error *err);
  /* Moves pid into the container's cgroups. */
  int (*attach)(rn_cgroup *cg, pid_t pid, rn_error *err);
  /* Prepares placing a process that is about to be created, so that it never has to be migrated by pid:
   * *clone_fd is a cgroup2 directory for clone3(CLONE_INTO_CGROUP) (-1 when there is none), and
   * join_fds[0..*n_join) are v1 `tasks` files the new process writes "0" to before anything else
   * (rn_cgroup_join_self). A process that moves only itself through `tasks` skips the global threadgroup
   * lock whose RCU grace period makes a `cgroup.procs` write cost ~20 ms here. join_fds must hold
   * RN_CG_COUNT entries; the caller closes every fd. On failure nothing stays open. */
  int (*prepare_join)(rn_cgroup *cg, int *clone_fd, int *join_fds, size_t *n_join, rn_error *err);
  /* Arms OOM notification: afterwards cg->oom_fd is readable (POLLIN) after each OOM kill. Records the
   * current OOM kill count as the baseline. Without a memory controller (none mounted on v1, none offered
   * on v2) it succeeds unarmed: oom_fd stays -1 and oom_kills() reports 0. */
  int (*oom_watch)(rn_cgroup *cg, rn_error *err);
  /* OOM kills since oom_watch (v1: memory.oom_control oom_kill; v2: memory.events oom_kill). */
  int (*oom_kills)(rn_cgroup *cg, uint64_t *count, rn_error *err);
  /* Sends sig to every process in the cgroup (cgroup.kill when sig is SIGKILL and available, otherwise
   * freeze, signal each pid in cgroup.procs, thaw). */
  int (*signal_all)(rn_cgroup *cg, int sig, rn_error *err);
  /* Whether any process is left in the cgroup. */
  int (*populated)(rn_cgroup *cg, bool *out, rn_error *err);
  /* Kills what is left, waits (bounded, ~2 s) until empty, removes the directories. Idempotent: missing
   * directories are not an error. */
  int (*destroy)(rn_cgroup *cg, rn_error *err);
} rn_cgroup_driver;

extern const rn_cgroup_driver rn_cgroup_driver_v1;
extern const rn_cgroup_driver rn_cgroup_driver_v2;

/* The driver for a layout: v2 for RN_CGROUP_V2, v1 otherwise. */
const rn_cgroup_driver *rn_cgroup_driver_for(const rn_cgroup_layout *layout);

/* Prepares cg for `path` (relative, no "..", e.g. from linux.cgroupsPath with the leading "/" removed)
 * without touching the filesystem; fills the directory names. */
int rn_cgroup_init(rn_cgroup *cg, const rn_cgroup_layout *layout, const char *path, rn_error *err);
/* Re-opens the cgroup of an existing container (for kill/delete/exec from another process). */
int rn_cgroup_open(rn_cgroup *cg, const rn_cgroup_layout *layout, const char *path, rn_error *err);
void rn_cgroup_release(rn_cgroup *cg); /* frees memory and fds, touches no files */

/* Writes the directories in use as a JSON object {"memory": "/sys/fs/cgroup/memory/x", ..., "unified": ...}
 * for the state file, so that other tools (the TypeScript stats reader) find the counters. */
void rn_cgroup_paths_json(const rn_cgroup *cg, struct rn_buf *out);

/* Whether the container's directory exists in any hierarchy it uses (a cgroup another container has). */
bool rn_cgroup_exists(const rn_cgroup *cg);

/* Writes "0" to each fd from prepare_join: moves the calling (single-threaded) process. */
int rn_cgroup_join_self(const int *join_fds, size_t n_join, rn_error *err);

/* Writes `value` to dir/file (O_WRONLY|O_CLOEXEC, no O_CREAT). Errors name the file and value. */
int rn_cgroup_write(const char *dir, const char *file, const char *value, rn_error *err);
/* Reads dir/file into buf (NUL-terminated, trailing newline kept). */
int rn_cgroup_read(const char *dir, const char *file, char *buf, size_t size, rn_error *err);

#endif
