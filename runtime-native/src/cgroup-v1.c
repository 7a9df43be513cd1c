/* The cgroup v1 driver, also used on hybrid hosts: limits and counters live in one hierarchy per
 * controller; when a cgroup2 ("unified") hierarchy is mounted beside them, the container gets a directory
 * there too, for cgroup.kill and cgroup.events (the v1 hierarchies have neither). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "cgroup.h"

static const char *const ctrl_names[RN_CG_COUNT] = {
    [RN_CG_MEMORY] = "memory", [RN_CG_CPU] = "cpu",         [RN_CG_CPUACCT] = "cpuacct",
    [RN_CG_CPUSET] = "cpuset", [RN_CG_PIDS] = "pids",       [RN_CG_DEVICES] = "devices",
    [RN_CG_FREEZER] = "freezer",
};

/* Co-mounted controllers (cpu,cpuacct) share one directory; it is handled once. */
static bool same_dir_as_earlier(const rn_cgroup *cg, int c) {
  for (int d = 0; d < c; d++)
    if (cg->v1_dir[d] && strcmp(cg->v1_dir[d], cg->v1_dir[c]) == 0) return true;
  return false;
}

/* Every requested limit needs its controller; refusing up front (before any mkdir) names the spec field
 * instead of failing later on a missing file. */
static int check_resources(const rn_cgroup *cg, const rn_resources *r, rn_error *err) {
  const struct {
    bool set;
    rn_cgroup_ctrl ctrl;
    const char *field;
  } needs[] = {
      {r->memory_limit > 0, RN_CG_MEMORY, "memory.limit"},
      {r->memory_reservation > 0, RN_CG_MEMORY, "memory.reservation"},
      {r->memory_swap > 0, RN_CG_MEMORY, "memory.swap"},
      {r->cpu_shares > 0, RN_CG_CPU, "cpu.shares"},
      {r->cpu_quota > 0, RN_CG_CPU, "cpu.quota"},
      {r->cpu_period > 0, RN_CG_CPU, "cpu.period"},
      {r->cpuset_cpus != NULL, RN_CG_CPUSET, "cpu.cpus"},
      {r->cpuset_mems != NULL, RN_CG_CPUSET, "cpu.mems"},
      {r->pids_limit > 0, RN_CG_PIDS, "pids.limit"},
      {r->n_devices > 0, RN_CG_DEVICES, "devices"},
  };
  for (size_t i = 0; i < ARRAY_LEN(needs); i++)
    if (needs[i].set && cg->v1_dir[needs[i].ctrl] == NULL)
      return rn_fail(err, 0, "linux.resources.%s: the %s cgroup controller is not mounted", needs[i].field,
                     ctrl_names[needs[i].ctrl]);
  if (r->memory_swap > 0 && r->memory_limit <= 0)
    return rn_fail(err, 0, "linux.resources.memory.swap: needs linux.resources.memory.limit");
  if (r->memory_swap > 0 && r->memory_swap < r->memory_limit)
    return rn_fail(err, 0,
                   "linux.resources.memory.swap: must be at least linux.resources.memory.limit (it counts "
                   "memory plus swap)");
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

/* A new cpuset cgroup starts with empty cpuset.cpus/mems and refuses tasks (ENOSPC) until both are set.
 * Walk from the hierarchy root to the leaf and give every level that is still empty its parent's
 * values; the leaf takes the spec's values when given. */
static int cpuset_init(const char *root, const char *rel, const rn_resources *r, rn_error *err) {
  static const char *const files[2] = {"cpuset.cpus", "cpuset.mems"};
  const char *wanted[2] = {r ? r->cpuset_cpus : NULL, r ? r->cpuset_mems : NULL};
  static const char *const fields[2] = {"cpu.cpus", "cpu.mems"};
  cleanup_free char *path = xasprintf("%s/%s", root, rel);
  cleanup_free char *parent = xstrdup(root);
  for (size_t i = strlen(root) + 1;; i++) {
    char c = path[i];
    if (c != '/' && c != '\0') continue;
    path[i] = '\0';
    bool leaf = c == '\0';
    for (int f = 0; f < 2; f++) {
      if (leaf && wanted[f]) {
        if (write_field(path, files[f], wanted[f], fields[f], err) < 0) return -1;
        continue;
      }
      char cur[4096];
      if (rn_cgroup_read(path, files[f], cur, sizeof(cur), err) < 0) return -1;
      if (cur[strspn(cur, " \n")] != '\0') continue;
      char from[4096];
      if (rn_cgroup_read(parent, files[f], from, sizeof(from), err) < 0) return -1;
      from[strcspn(from, "\n")] = '\0';
      if (rn_cgroup_write(path, files[f], from, err) < 0) return -1;
    }
    free(parent);
    parent = xstrdup(path);
    path[i] = c;
    if (leaf) break;
  }
  return 0;
}

static int apply_memory(const char *dir, const rn_resources *r, rn_error *err) {
  char limit[32], swap[32];
  snprintf(limit, sizeof(limit), "%" PRId64, r->memory_limit);
  snprintf(swap, sizeof(swap), "%" PRId64, r->memory_swap);
  /* memsw only exists with swap accounting compiled in and enabled. */
  cleanup_free char *memsw_path = xasprintf("%s/memory.memsw.limit_in_bytes", dir);
  bool with_swap = r->memory_swap > 0 && access(memsw_path, F_OK) == 0;
  if (r->memory_limit > 0) {
    /* The kernel keeps limit <= memsw at every step: on a fresh cgroup (both unlimited) the limit goes
     * first; raising a limit above an existing memsw needs memsw first. */
    rn_error first;
    if (rn_cgroup_write(dir, "memory.limit_in_bytes", limit, &first) == 0) {
      if (with_swap && write_field(dir, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
        return -1;
    } else if (with_swap && first.status == EINVAL) {
      if (write_field(dir, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0) return -1;
      if (write_field(dir, "memory.limit_in_bytes", limit, "memory.limit", err) < 0) return -1;
    } else {
      *err = first;
      rn_error_wrap(err, "linux.resources.memory.limit");
      return -1;
    }
  }
  if (r->memory_reservation > 0) {
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, r->memory_reservation);
    if (write_field(dir, "memory.soft_limit_in_bytes", v, "memory.reservation", err) < 0) return -1;
  }
  return 0;
}

static int apply_cpu(const char *dir, const rn_resources *r, rn_error *err) {
  char v[32];
  if (r->cpu_shares > 0) {
    snprintf(v, sizeof(v), "%" PRIu64, r->cpu_shares);
    if (write_field(dir, "cpu.shares", v, "cpu.shares", err) < 0) return -1;
  }
  /* Period first: the kernel checks quota against the period in force. */
  if (r->cpu_period > 0) {
    snprintf(v, sizeof(v), "%" PRIu64, r->cpu_period);
    if (write_field(dir, "cpu.cfs_period_us", v, "cpu.period", err) < 0) return -1;
  }
  if (r->cpu_quota > 0) {
    snprintf(v, sizeof(v), "%" PRId64, r->cpu_quota);
    if (write_field(dir, "cpu.cfs_quota_us", v, "cpu.quota", err) < 0) return -1;
  }
  return 0;
}

static void device_id(char *buf, size_t size, int64_t id) {
  if (id < 0)
    snprintf(buf, size, "*");
  else
    snprintf(buf, size, "%" PRId64, id);
}

/* devices.allow/deny lines, in rule order: v1 keeps a default (allow or deny all, set by an "a" line) plus
 * a list of exceptions that later lines add or remove, which is how OCI's ordered rules read. */
static int apply_devices(const char *dir, const rn_resources *r, rn_error *err) {
  for (size_t i = 0; i < r->n_devices; i++) {
    const rn_device_rule *d = &r->devices[i];
    const char *file = d->allow ? "devices.allow" : "devices.deny";
    const char *access = d->access[0] ? d->access : "rwm";
    char field[64];
    snprintf(field, sizeof(field), "devices[%zu]", i);
    bool all_access = strchr(access, 'r') && strchr(access, 'w') && strchr(access, 'm');
    if (d->type == 'a' && d->major < 0 && d->minor < 0 && all_access) {
      /* "a" switches the default and drops the exceptions. */
      if (write_field(dir, file, "a", field, err) < 0) return -1;
      continue;
    }
    char major[24], minor[24], line[96];
    device_id(major, sizeof(major), d->major);
    device_id(minor, sizeof(minor), d->minor);
    /* v1 has no way to say "all types, some access": spell it as both char and block. */
    const char types[2] = {d->type == 'a' ? 'c' : d->type, d->type == 'a' ? 'b' : 0};
    for (int t = 0; t < 2 && types[t]; t++) {
      snprintf(line, sizeof(line), "%c %s:%s %s", types[t], major, minor, access);
      if (write_field(dir, file, line, field, err) < 0) return -1;
    }
  }
  return 0;
}

static int v1_create(rn_cgroup *cg, const rn_resources *res, bool has_resources, rn_error *err) {
  const rn_resources *r = has_resources ? res : NULL;
  if (r && check_resources(cg, r, err) < 0) return -1;
  rn_cg_dirlist created = {0};
  for (int c = 0; c < RN_CG_COUNT; c++) {
    if (cg->v1_dir[c] == NULL || same_dir_as_earlier(cg, c)) continue;
    if (rn_cg_mkdir_p(cg->layout->v1[c], cg->path, &created, err) < 0) goto fail;
  }
  if (cg->unified_dir && rn_cg_mkdir_p(cg->layout->unified, cg->path, &created, err) < 0) goto fail;
  if (cg->v1_dir[RN_CG_CPUSET] && cpuset_init(cg->layout->v1[RN_CG_CPUSET], cg->path, r, err) < 0)
    goto fail;
  if (r) {
    if (cg->v1_dir[RN_CG_MEMORY] && apply_memory(cg->v1_dir[RN_CG_MEMORY], r, err) < 0) goto fail;
    if (cg->v1_dir[RN_CG_CPU] && apply_cpu(cg->v1_dir[RN_CG_CPU], r, err) < 0) goto fail;
    if (r->pids_limit > 0) {
      char v[32];
      snprintf(v, sizeof(v), "%" PRId64, r->pids_limit);
      if (write_field(cg->v1_dir[RN_CG_PIDS], "pids.max", v, "pids.limit", err) < 0) goto fail;
    }
    if (r->n_devices > 0 && apply_devices(cg->v1_dir[RN_CG_DEVICES], r, err) < 0) goto fail;
  }
  rn_cg_dirlist_free(&created);
  return 0;
fail:
  rn_cg_dirlist_rollback(&created);
  rn_error_wrap(err, "create cgroup `%s`", cg->path);
  return -1;
}

static int v1_attach(rn_cgroup *cg, pid_t pid, rn_error *err) {
  char v[32];
  snprintf(v, sizeof(v), "%d", (int)pid);
  for (int c = 0; c < RN_CG_COUNT; c++) {
    if (cg->v1_dir[c] == NULL || same_dir_as_earlier(cg, c)) continue;
    if (rn_cgroup_write(cg->v1_dir[c], "cgroup.procs", v, err) < 0) goto fail;
  }
  if (cg->unified_dir && rn_cgroup_write(cg->unified_dir, "cgroup.procs", v, err) < 0) goto fail;
  return 0;
fail:
  rn_error_wrap(err, "move pid %d into cgroup `%s`", (int)pid, cg->path);
  return -1;
}

static int v1_prepare_join(rn_cgroup *cg, int *clone_fd, int *join_fds, size_t *n_join, rn_error *err) {
  *clone_fd = -1;
  *n_join = 0;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    if (cg->v1_dir[c] == NULL || same_dir_as_earlier(cg, c)) continue;
    cleanup_free char *path = xasprintf("%s/tasks", cg->v1_dir[c]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      rn_fail(err, errno, "open `%s`", path);
      goto fail;
    }
    join_fds[(*n_join)++] = fd;
  }
  if (cg->unified_dir) {
    *clone_fd = open(cg->unified_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*clone_fd < 0) {
      rn_fail(err, errno, "open `%s`", cg->unified_dir);
      goto fail;
    }
  }
  return 0;
fail:
  for (size_t i = 0; i < *n_join; i++) close(join_fds[i]);
  *n_join = 0;
  rn_error_wrap(err, "join cgroup `%s`", cg->path);
  return -1;
}

static int v1_oom_watch(rn_cgroup *cg, rn_error *err) {
  const char *dir = cg->v1_dir[RN_CG_MEMORY];
  /* No memory controller, no memory cgroup OOM kills to report: leave the watch unarmed (oom_fd -1). */
  if (dir == NULL) return 0;
  cleanup_free char *path = xasprintf("%s/memory.oom_control", dir);
  cleanup_close int ofd = open(path, O_RDONLY | O_CLOEXEC);
  if (ofd < 0) return rn_fail(err, errno, "open `%s`", path);
  cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) return rn_fail(err, errno, "eventfd");
  char reg[64];
  snprintf(reg, sizeof(reg), "%d %d", efd, ofd);
  if (rn_cgroup_write(dir, "cgroup.event_control", reg, err) < 0) return -1;
  /* Baseline after arming: a kill between the two is then counted, never missed. */
  uint64_t count;
  bool found;
  if (rn_cg_read_key(dir, "memory.oom_control", "oom_kill", &count, &found, err) < 0) return -1;
  if (cg->oom_fd >= 0) close(cg->oom_fd);
  if (cg->oom_aux_fd >= 0) close(cg->oom_aux_fd);
  cg->oom_fd = efd;
  cg->oom_aux_fd = ofd;
  efd = ofd = -1;
  cg->oom_kills_at_start = count;
  return 0;
}

static int v1_oom_kills(rn_cgroup *cg, uint64_t *count, rn_error *err) {
  const char *dir = cg->v1_dir[RN_CG_MEMORY];
  if (dir == NULL) {
    *count = 0;
    return 0;
  }
  uint64_t now;
  bool found;
  if (rn_cg_read_key(dir, "memory.oom_control", "oom_kill", &now, &found, err) < 0) return -1;
  *count = now > cg->oom_kills_at_start ? now - cg->oom_kills_at_start : 0;
  return 0;
}

/* Freezes through the legacy freezer; *froze tells whether we did (a paused container stays paused). */
static int freezer_freeze(const char *dir, bool *froze, rn_error *err) {
  char state[32];
  *froze = false;
  if (rn_cgroup_read(dir, "freezer.state", state, sizeof(state), err) < 0) return -1;
  if (strncmp(state, "FROZEN", 6) == 0) return 0;
  if (rn_cgroup_write(dir, "freezer.state", "FROZEN", err) < 0) return -1;
  *froze = true;
  uint64_t deadline = rn_cg_now_ms() + 1000;
  /* FREEZING until every task stopped; a task stuck in the kernel can keep it there: signal anyway
   * after the bound, the freeze only narrows fork races. */
  while (rn_cg_now_ms() < deadline) {
    if (rn_cgroup_read(dir, "freezer.state", state, sizeof(state), err) < 0) return -1;
    if (strncmp(state, "FROZEN", 6) == 0) break;
    rn_cg_sleep_ms(1);
  }
  return 0;
}

static int v1_signal_all(rn_cgroup *cg, int sig, rn_error *err) {
  if (sig == SIGKILL && cg->unified_dir) {
    if (rn_cgroup_write(cg->unified_dir, "cgroup.kill", "1", err) == 0) return 0;
    if (err->status != ENOENT) return -1;
    /* No cgroup.kill (kernel < 5.14) or no unified directory any more: go the freezer way. */
  }
  const char *freezer = cg->v1_dir[RN_CG_FREEZER];
  if (freezer == NULL && cg->unified_dir) return rn_cg_unified_signal(cg->unified_dir, sig, err);
  const char *dir = freezer;
  for (int c = 0; dir == NULL && c < RN_CG_COUNT; c++) dir = cg->v1_dir[c];
  if (dir == NULL) return 0;
  bool froze = false;
  if (freezer && freezer_freeze(freezer, &froze, err) < 0) return err->status == ENOENT ? 0 : -1;
  int ret = rn_cg_signal_procs(dir, sig, err);
  if (ret < 0 && err->status == ENOENT) ret = 0;
  if (froze) {
    rn_error thaw_err;
    if (rn_cgroup_write(freezer, "freezer.state", "THAWED", &thaw_err) < 0 && ret == 0) {
      *err = thaw_err;
      ret = -1;
    }
  }
  return ret;
}

static int v1_populated(rn_cgroup *cg, bool *out, rn_error *err) {
  /* cgroup.events counts the whole subtree and needs no scan of cgroup.procs. */
  if (cg->unified_dir) return rn_cg_unified_populated(cg->unified_dir, out, err);
  const char *dir = cg->v1_dir[RN_CG_MEMORY] ? cg->v1_dir[RN_CG_MEMORY] : cg->v1_dir[RN_CG_PIDS];
  for (int c = 0; dir == NULL && c < RN_CG_COUNT; c++) dir = cg->v1_dir[c];
  if (dir == NULL) {
    *out = false;
    return 0;
  }
  bool empty;
  if (rn_cg_procs_empty(dir, &empty, err) < 0) return -1;
  *out = !empty;
  return 0;
}

const rn_cgroup_driver rn_cgroup_driver_v1 = {
    .name = "v1",
    .create = v1_create,
    .attach = v1_attach,
    .prepare_join = v1_prepare_join,
    .oom_watch = v1_oom_watch,
    .oom_kills = v1_oom_kills,
    .signal_all = v1_signal_all,
    .populated = v1_populated,
    .destroy = rn_cg_destroy,
};
