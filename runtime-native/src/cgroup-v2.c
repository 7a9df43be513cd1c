/* The cgroup v2 driver: one hierarchy. Controllers must be enabled top-down in every ancestor's
 * cgroup.subtree_control before the leaf gets their files; device access is a BPF program attached to
 * the leaf (there is no devices.allow on v2). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "cgroup.h"

/* The controllers the driver may enable, in the order they are written to cgroup.subtree_control. */
enum { V2_MEMORY, V2_CPU, V2_PIDS, V2_CPUSET, V2_COUNT };
static const char *const v2_names[V2_COUNT] = {"memory", "cpu", "pids", "cpuset"};

/* memory and pids are enabled whenever the host offers them, limits or not: without them the leaf has
 * no memory.events (OOM detection), memory.current or pids.current (stats). Both cost nothing unless a
 * limit is set. cpu (which changes scheduling) and cpuset only when a limit asks for them. */
#define V2_OPTIONAL ((1u << V2_MEMORY) | (1u << V2_PIDS))

typedef struct v2_needs {
  unsigned mask;
  const char *field[V2_COUNT]; /* the first spec field that needs each controller, for errors */
} v2_needs;

static void need(v2_needs *n, int ctrl, bool set, const char *field) {
  if (!set || (n->mask & (1u << ctrl))) return;
  n->mask |= 1u << ctrl;
  n->field[ctrl] = field;
}

static int compute_needs(const rn_resources *r, v2_needs *n, rn_error *err) {
  memset(n, 0, sizeof(*n));
  if (r == NULL) return 0;
  need(n, V2_MEMORY, r->memory_limit > 0, "memory.limit");
  need(n, V2_MEMORY, r->memory_reservation > 0, "memory.reservation");
  need(n, V2_MEMORY, r->memory_swap > 0, "memory.swap");
  need(n, V2_CPU, r->cpu_shares > 0, "cpu.shares");
  need(n, V2_CPU, r->cpu_quota > 0, "cpu.quota");
  need(n, V2_CPU, r->cpu_period > 0, "cpu.period");
  need(n, V2_CPUSET, r->cpuset_cpus != NULL, "cpu.cpus");
  need(n, V2_CPUSET, r->cpuset_mems != NULL, "cpu.mems");
  need(n, V2_PIDS, r->pids_limit > 0, "pids.limit");
  if (r->memory_swap > 0 && r->memory_limit <= 0)
    return rn_fail(err, 0, "linux.resources.memory.swap: needs linux.resources.memory.limit");
  if (r->memory_swap > 0 && r->memory_swap < r->memory_limit)
    return rn_fail(err, 0,
                   "linux.resources.memory.swap: must be at least linux.resources.memory.limit (it counts "
                   "memory plus swap)");
  return 0;
}

static void append_ctrls(char *buf, size_t size, unsigned mask) {
  buf[0] = '\0';
  for (int c = 0; c < V2_COUNT; c++) {
    if (!(mask & (1u << c))) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s+%s", len ? " " : "", v2_names[c]);
  }
}

/* Enables controllers in one ancestor. Those a limit needs must be offered (cgroup.controllers); the
 * optional ones are added when offered, and dropped again if the kernel refuses them (e.g. EBUSY in a
 * delegated root that holds processes). */
static int enable_in(const char *dir, const v2_needs *n, rn_error *err) {
  cleanup_free char *avail = NULL;
  cleanup_free char *enabled = NULL;
  if (rn_cg_read_alloc(dir, "cgroup.controllers", &avail, err) < 0) return -1;
  if (rn_cg_read_alloc(dir, "cgroup.subtree_control", &enabled, err) < 0) return -1;
  unsigned want = 0, required = 0;
  for (int c = 0; c < V2_COUNT; c++) {
    bool offered = rn_cg_has_word(avail, v2_names[c]);
    if ((n->mask & (1u << c)) && !offered) {
      avail[strcspn(avail, "\n")] = '\0';
      return rn_fail(err, 0,
                     "linux.resources.%s: the %s cgroup controller is not available in `%s` "
                     "(cgroup.controllers: %s)",
                     n->field[c], v2_names[c], dir, avail[0] ? avail : "none");
    }
    if (rn_cg_has_word(enabled, v2_names[c])) continue;
    if (n->mask & (1u << c)) required |= 1u << c;
    if (offered && ((n->mask | V2_OPTIONAL) & (1u << c))) want |= 1u << c;
  }
  if (want == 0) return 0;
  char value[64];
  append_ctrls(value, sizeof(value), want);
  rn_error first;
  if (rn_cgroup_write(dir, "cgroup.subtree_control", value, &first) == 0) return 0;
  if (want == required) {
    *err = first;
    return -1;
  }
  if (required == 0) return 0;
  append_ctrls(value, sizeof(value), required);
  return rn_cgroup_write(dir, "cgroup.subtree_control", value, err);
}

/* From the hierarchy root down to the leaf's parent: a controller reaches the leaf only if each level
 * above it passes it on. */
static int enable_controllers(const rn_cgroup *cg, const v2_needs *n, rn_error *err) {
  const char *root = cg->layout->unified;
  if (enable_in(root, n, err) < 0) return -1;
  cleanup_free char *path = xasprintf("%s/%s", root, cg->path);
  for (size_t i = strlen(root) + 1; path[i]; i++) {
    if (path[i] != '/') continue;
    path[i] = '\0';
    int r = enable_in(path, n, err);
    path[i] = '/';
    if (r < 0) return -1;
  }
  return 0;
}

static int write_field(const char *dir, const char *file, const char *value, const char *field,
                       rn_error *err) {
  if (rn_cgroup_write(dir, file, value, err) < 0) {
    rn_error_wrap(err, "linux.resources.%s", field);
    return -1;
  }
  return 0;
}

/* cpu.shares (2..262144, default 1024) onto cpu.weight (1..10000, default 100), the conversion runc
 * and crun use so that the same spec weighs the same on both kinds of host. */
static uint64_t shares_to_weight(uint64_t shares) {
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_limits(const char *dir, const rn_resources *r, rn_error *err) {
  char v[64];
  if (r->memory_limit > 0) {
    snprintf(v, sizeof(v), "%" PRId64, r->memory_limit);
    if (write_field(dir, "memory.max", v, "memory.limit", err) < 0) return -1;
  }
  if (r->memory_reservation > 0) {
    snprintf(v, sizeof(v), "%" PRId64, r->memory_reservation);
    if (write_field(dir, "memory.low", v, "memory.reservation", err) < 0) return -1;
  }
  if (r->memory_swap > 0) {
    /* The spec counts memory plus swap (v1's memsw); v2 limits swap alone. Like memsw on v1, skipped
     * when the kernel has no swap accounting (no file). */
    snprintf(v, sizeof(v), "%" PRId64, r->memory_swap - r->memory_limit);
    rn_error e;
    if (rn_cgroup_write(dir, "memory.swap.max", v, &e) < 0 && e.status != ENOENT) {
      *err = e;
      rn_error_wrap(err, "linux.resources.memory.swap");
      return -1;
    }
  }
  if (r->cpu_shares > 0) {
    snprintf(v, sizeof(v), "%" PRIu64, shares_to_weight(r->cpu_shares));
    if (write_field(dir, "cpu.weight", v, "cpu.shares", err) < 0) return -1;
  }
  if (r->cpu_quota > 0 || r->cpu_period > 0) {
    uint64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;
    if (r->cpu_quota > 0)
      snprintf(v, sizeof(v), "%" PRId64 " %" PRIu64, r->cpu_quota, period);
    else
      snprintf(v, sizeof(v), "max %" PRIu64, period);
    if (write_field(dir, "cpu.max", v, r->cpu_quota > 0 ? "cpu.quota" : "cpu.period", err) < 0) return -1;
  }
  if (r->cpuset_cpus && write_field(dir, "cpuset.cpus", r->cpuset_cpus, "cpu.cpus", err) < 0) return -1;
  if (r->cpuset_mems && write_field(dir, "cpuset.mems", r->cpuset_mems, "cpu.mems", err) < 0) return -1;
  if (r->pids_limit > 0) {
    snprintf(v, sizeof(v), "%" PRId64, r->pids_limit);
    if (write_field(dir, "pids.max", v, "pids.limit", err) < 0) return -1;
  }
  return 0;
}

static int v2_create(rn_cgroup *cg, const rn_resources *res, bool has_resources, rn_error *err) {
  const rn_resources *r = has_resources ? res : NULL;
  v2_needs needs;
  if (compute_needs(r, &needs, err) < 0) return -1;
  rn_cg_dirlist created = {0};
  if (rn_cg_mkdir_p(cg->layout->unified, cg->path, &created, err) < 0) goto fail;
  if (enable_controllers(cg, &needs, err) < 0) goto fail;
  {
    /* Like Docker on v2: an OOM kill takes the whole container, not one random process in it. */
    cleanup_free char *leaf_ctrls = NULL;
    if (rn_cg_read_alloc(cg->unified_dir, "cgroup.controllers", &leaf_ctrls, err) < 0) goto fail;
    if (rn_cg_has_word(leaf_ctrls, "memory")) {
      rn_error e;
      /* memory.oom.group is 4.19+; older kernels keep per-process OOM kills. */
      if (rn_cgroup_write(cg->unified_dir, "memory.oom.group", "1", &e) < 0 && e.status != ENOENT) {
        *err = e;
        goto fail;
      }
    }
  }
  if (r && apply_limits(cg->unified_dir, r, err) < 0) goto fail;
  if (r && r->n_devices > 0 &&
      rn_cgroup_bpf_devices_attach(cg->unified_dir, r->devices, r->n_devices, err) < 0) {
    rn_error_wrap(err, "linux.resources.devices");
    goto fail;
  }
  rn_cg_dirlist_free(&created);
  return 0;
fail:
  rn_cg_dirlist_rollback(&created);
  rn_error_wrap(err, "create cgroup `%s`", cg->path);
  return -1;
}

static int v2_attach(rn_cgroup *cg, pid_t pid, rn_error *err) {
  char v[32];
  snprintf(v, sizeof(v), "%d", (int)pid);
  if (rn_cgroup_write(cg->unified_dir, "cgroup.procs", v, err) < 0) {
    rn_error_wrap(err, "move pid %d into cgroup `%s`", (int)pid, cg->path);
    return -1;
  }
  return 0;
}

static int v2_prepare_join(rn_cgroup *cg, int *clone_fd, int *join_fds, size_t *n_join, rn_error *err) {
  (void)join_fds;
  *n_join = 0;
  *clone_fd = open(cg->unified_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*clone_fd < 0) return rn_fail(err, errno, "join cgroup `%s`: open `%s`", cg->path, cg->unified_dir);
  return 0;
}

/* A leaf without the memory controller (the unified hierarchy of a hybrid host offers none) has no
 * memory.events: there is nothing to watch, and the watch stays unarmed. A missing leaf is an error. */
static bool has_memory_events(const char *dir, rn_error *err, int *ret) {
  cleanup_free char *path = xasprintf("%s/memory.events", dir);
  *ret = 0;
  if (access(path, F_OK) == 0) return true;
  if (errno != ENOENT || access(dir, F_OK) < 0) *ret = rn_fail(err, errno, "`%s`", path);
  return false;
}

/* memory.events changes (IN_MODIFY) on every memory event, not only OOM kills; a reader checks
 * oom_kills() after each wake-up. */
static int v2_oom_watch(rn_cgroup *cg, rn_error *err) {
  int ret;
  if (!has_memory_events(cg->unified_dir, err, &ret)) return ret;
  cleanup_free char *path = xasprintf("%s/memory.events", cg->unified_dir);
  cleanup_close int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0) return rn_fail(err, errno, "inotify_init1");
  if (inotify_add_watch(ifd, path, IN_MODIFY) < 0) return rn_fail(err, errno, "inotify_add_watch `%s`", path);
  uint64_t count;
  bool found;
  if (rn_cg_read_key(cg->unified_dir, "memory.events", "oom_kill", &count, &found, err) < 0) return -1;
  if (cg->oom_fd >= 0) close(cg->oom_fd);
  if (cg->oom_aux_fd >= 0) close(cg->oom_aux_fd);
  cg->oom_fd = ifd;
  cg->oom_aux_fd = -1;
  ifd = -1;
  cg->oom_kills_at_start = count;
  return 0;
}

static int v2_oom_kills(rn_cgroup *cg, uint64_t *count, rn_error *err) {
  int ret;
  *count = 0;
  if (!has_memory_events(cg->unified_dir, err, &ret)) return ret;
  uint64_t now;
  bool found;
  if (rn_cg_read_key(cg->unified_dir, "memory.events", "oom_kill", &now, &found, err) < 0) return -1;
  *count = now > cg->oom_kills_at_start ? now - cg->oom_kills_at_start : 0;
  return 0;
}

static int v2_signal_all(rn_cgroup *cg, int sig, rn_error *err) {
  return rn_cg_unified_signal(cg->unified_dir, sig, err);
}

static int v2_populated(rn_cgroup *cg, bool *out, rn_error *err) {
  return rn_cg_unified_populated(cg->unified_dir, out, err);
}

const rn_cgroup_driver rn_cgroup_driver_v2 = {
    .name = "v2",
    .create = v2_create,
    .attach = v2_attach,
    .prepare_join = v2_prepare_join,
    .oom_watch = v2_oom_watch,
    .oom_kills = v2_oom_kills,
    .signal_all = v2_signal_all,
    .populated = v2_populated,
    .destroy = rn_cg_destroy,
};
