/* The runtime's state directory: <root>/<id>/ per container.
 *   state.json   static facts, written by the shim (id, pid, bundle, cgroup paths, status created/running)
 *   config.json  a copy of the bundle's config.json taken at create (exec reads the process defaults here)
 *   exit.json    how the container ended; written once, atomically, by the shim (or by `run`)
 *   shim.sock    the shim's control socket (start, wait) while the shim lives
 *   container.log the container's stdout/stderr as JSON lines (unless --container-log says elsewhere)
 * A root is recognised as ours by the marker file <root>/.swarm-runtime; a non-empty directory without it
 * is refused so that a typo in --root never deletes or adopts someone else's files. */
#ifndef RN_STATE_H
#define RN_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

#define RN_DEFAULT_ROOT "/run/swarm-runtime"
#define RN_ID_MAX 128

typedef enum rn_status {
  RN_STATUS_CREATING, /* the container dir exists, the shim has not reported yet */
  RN_STATUS_CREATED,
  RN_STATUS_RUNNING,
  RN_STATUS_STOPPED,
} rn_status;

typedef struct rn_exit {
  int exit_code;        /* the status, or 128 + signal */
  int signal;           /* the killing signal, 0 if it exited */
  bool oom_killed;      /* the cgroup's OOM killer fired during the container's life */
  uint64_t oom_kills;   /* how many times */
  char finished_at[40]; /* RFC 3339 with nanoseconds, UTC */
} rn_exit;

typedef struct rn_state {
  char *id;
  char *dir;          /* <root>/<id> */
  pid_t pid;          /* container init, host pid namespace; 0 if none */
  uint64_t pid_start; /* starttime of pid from /proc/<pid>/stat, to detect pid reuse */
  pid_t shim_pid;
  uint64_t shim_start;
  char *bundle;
  char *rootfs;
  char *created;      /* RFC 3339 */
  char *cgroup_path;  /* relative path below the hierarchy roots */
  char *cgroup_driver;/* "v1" or "v2" */
  rn_status recorded; /* what state.json says */
  rn_json *doc;       /* the parsed state.json (annotations, cgroup paths) */
} rn_state;

/* Validates a container id: 1..128 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int rn_state_check_id(const char *id, rn_error *err);

/* Makes sure root exists and is ours (creating it with mode 0700 and the marker if missing). */
int rn_state_prepare_root(const char *root, rn_error *err);
/* Checks that root is ours without creating anything (for read-only commands). Missing root: ENOENT. */
int rn_state_check_root(const char *root, rn_error *err);

/* Creates <root>/<id> exclusively; "container `id` already exists" on EEXIST. Returns the path. */
char *rn_state_create_dir(const char *root, const char *id, rn_error *err);

/* Loads <root>/<id>/state.json. "container `id` does not exist" when the dir is missing. */
int rn_state_load(const char *root, const char *id, rn_state *out, rn_error *err);
void rn_state_free(rn_state *st);

/* The live status: stopped if exit.json exists or the recorded pid is gone (or reused). */
rn_status rn_state_status(const rn_state *st);
const char *rn_status_name(rn_status s);

/* Reads exit.json of a container dir; returns 0 and fills out, or -1 (ENOENT when not yet written). */
int rn_state_read_exit(const char *dir, rn_exit *out, rn_error *err);
/* Writes exit.json atomically (temp file, rename). */
int rn_state_write_exit(const char *dir, const rn_exit *ex, rn_error *err);
void rn_exit_json(const rn_exit *ex, rn_buf *out);

/* Writes `data` to dir/name atomically with mode 0600 (temp file in dir, rename). */
int rn_write_file_atomic(const char *dir, const char *name, const char *data, size_t len, rn_error *err);

/* The container's cgroup path below the hierarchy roots: linux.cgroupsPath without its leading '/', or
 * when unset `swarm-runtime/<hash of root>-<id>`, so that roots sharing an id never share a cgroup. */
char *rn_state_cgroup_path(const char *root, const char *id, const char *cgroups_path);

/* Takes the exclusive lock of a container directory (flock), waiting up to timeout_ms; returns the fd
 * that holds it. `create` holds it until its shim has reported, so `delete` never races a create. */
int rn_state_lock(const char *dir, int timeout_ms, rn_error *err);

/* Removes a directory tree (no symlink following; stays on one filesystem). Missing is not an error. */
int rn_remove_tree(const char *path, rn_error *err);

/* Starttime field (22) of /proc/<pid>/stat, or 0 when the process does not exist. */
uint64_t rn_proc_starttime(pid_t pid);
/* True when pid exists and its starttime equals start (start 0 matches any). */
bool rn_proc_alive(pid_t pid, uint64_t start);

/* Current time as RFC 3339 with nanoseconds in UTC ("2026-11-29T12:00:00.123456789Z"). */
void rn_now_rfc3339(char *buf, size_t size);

#endif
