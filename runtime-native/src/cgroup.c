/* cgroups, the common part: where the hierarchies are mounted, a container's directories in them, the
 * file helpers, and the lifecycle pieces both drivers share (the cgroup2 core files are the same whether
 * the unified hierarchy is the only one or sits beside v1 controllers). */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "json.h"

static const char *const ctrl_names[RN_CG_COUNT] = {
    [RN_CG_MEMORY] = "memory", [RN_CG_CPU] = "cpu",         [RN_CG_CPUACCT] = "cpuacct",
    [RN_CG_CPUSET] = "cpuset", [RN_CG_PIDS] = "pids",       [RN_CG_DEVICES] = "devices",
    [RN_CG_FREEZER] = "freezer",
};

const char *rn_cgroup_mode_name(rn_cgroup_mode mode) {
  switch (mode) {
  case RN_CGROUP_V1:
    return "v1";
  case RN_CGROUP_HYBRID:
    return "hybrid";
  case RN_CGROUP_V2:
    return "v2";
  }
  return "unknown";
}

/* ---- layout ---- */

/* mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal). */
static char *unescape_mount_path(const char *s) {
  size_t n = strlen(s);
  char *out = xmalloc(n + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out[j++] = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
    } else {
      out[j++] = s[i];
    }
  }
  out[j] = '\0';
  return out;
}

static char *join_prefix(const char *prefix, const char *mount_point) {
  if (prefix == NULL || prefix[0] == '\0') return xstrdup(mount_point);
  size_t plen = strlen(prefix);
  while (plen > 1 && prefix[plen - 1] == '/') plen--;
  if (strcmp(mount_point, "/") == 0) return xstrndup(prefix, plen);
  return xasprintf("%.*s%s", (int)plen, prefix, mount_point);
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
 * Only the mount point, the fs type and the super options matter here. */
static void layout_add_line(rn_cgroup_layout *out, char *line, const char *prefix) {
  char *save = NULL;
  char *fields[6];
  size_t nf = 0;
  char *tok;
  for (tok = strtok_r(line, " ", &save); tok && nf < 6; tok = strtok_r(NULL, " ", &save))
    fields[nf++] = tok;
  if (nf < 6) return;
  /* Skip the optional fields up to the "-" separator. */
  while (tok && strcmp(tok, "-") != 0) tok = strtok_r(NULL, " ", &save);
  if (tok == NULL) return;
  const char *fstype = strtok_r(NULL, " ", &save);
  const char *source = strtok_r(NULL, " ", &save);
  char *superopts = strtok_r(NULL, " ", &save);
  if (fstype == NULL || source == NULL || superopts == NULL) return;
  const char *mount_point = fields[4];

  if (strcmp(fstype, "cgroup2") == 0) {
    if (out->unified == NULL) {
      cleanup_free char *mp = unescape_mount_path(mount_point);
      out->unified = join_prefix(prefix, mp);
    }
    return;
  }
  if (strcmp(fstype, "cgroup") != 0) return;
  /* A v1 hierarchy: its controllers are among the super options ("rw,cpu,cpuacct"); named hierarchies
   * ("name=systemd") carry no controller and are skipped by the exact name match. */
  char *osave = NULL;
  for (char *opt = strtok_r(superopts, ",", &osave); opt; opt = strtok_r(NULL, ",", &osave)) {
    for (int c = 0; c < RN_CG_COUNT; c++) {
      if (strcmp(opt, ctrl_names[c]) == 0 && out->v1[c] == NULL) {
        cleanup_free char *mp = unescape_mount_path(mount_point);
        out->v1[c] = join_prefix(prefix, mp);
      }
    }
  }
}

int rn_cgroup_layout_from_mountinfo(rn_cgroup_layout *out, const char *mountinfo, const char *prefix,
                                    rn_error *err) {
  memset(out, 0, sizeof(*out));
  cleanup_free char *text = xstrdup(mountinfo);
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    layout_add_line(out, line, prefix);

  bool any_v1 = false;
  for (int c = 0; c < RN_CG_COUNT; c++) any_v1 |= out->v1[c] != NULL;
  if (any_v1)
    out->mode = out->unified ? RN_CGROUP_HYBRID : RN_CGROUP_V1;
  else if (out->unified)
    out->mode = RN_CGROUP_V2;
  else
    return rn_fail(err, 0,
                   "no usable cgroup hierarchy is mounted (no cgroup2 mount, and none of memory, cpu, "
                   "cpuacct, cpuset, pids, devices, freezer on a cgroup v1 mount)");
  return 0;
}

int rn_cgroup_layout_detect(rn_cgroup_layout *out, rn_error *err) {
  const char *path = "/proc/self/mountinfo";
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "open `%s`", path);
  size_t cap = 16384, len = 0;
  cleanup_free char *text = xmalloc(cap);
  for (;;) {
    if (cap - len < 4096) text = xrealloc(text, cap *= 2);
    ssize_t r = read(fd, text + len, cap - len - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return rn_fail(err, errno, "read `%s`", path);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  text[len] = '\0';
  if (rn_cgroup_layout_from_mountinfo(out, text, NULL, err) < 0) {
    rn_error_wrap(err, "%s", path);
    return -1;
  }
  return 0;
}

void rn_cgroup_layout_free(rn_cgroup_layout *layout) {
  if (layout == NULL) return;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    free(layout->v1[c]);
    layout->v1[c] = NULL;
  }
  free(layout->unified);
  layout->unified = NULL;
}

const rn_cgroup_driver *rn_cgroup_driver_for(const rn_cgroup_layout *layout) {
  return layout->mode == RN_CGROUP_V2 ? &rn_cgroup_driver_v2 : &rn_cgroup_driver_v1;
}

/* ---- one container's cgroup ---- */

/* Normalises "/a//b/" to "a/b"; refuses "." and ".." components (the path must stay below the hierarchy
 * roots) and the root itself (a container never runs in the hierarchy's root cgroup). */
static int normalise_path(const char *path, char **out, rn_error *err) {
  if (path == NULL) return rn_fail_code(err, EINVAL, "cgroup path is missing");
  size_t n = strlen(path);
  char *res = xmalloc(n + 1);
  size_t j = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    if (*p == '\0') break;
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
      free(res);
      return rn_fail_code(err, EINVAL, "cgroup path `%s`: `.` and `..` are not allowed", path);
    }
    if (j) res[j++] = '/';
    memcpy(res + j, p, len);
    j += len;
    p += len;
  }
  res[j] = '\0';
  if (j == 0) {
    free(res);
    return rn_fail_code(err, EINVAL, "cgroup path `%s`: must name a cgroup below the hierarchy root", path);
  }
  *out = res;
  return 0;
}

int rn_cgroup_init(rn_cgroup *cg, const rn_cgroup_layout *layout, const char *path, rn_error *err) {
  memset(cg, 0, sizeof(*cg));
  cg->oom_fd = -1;
  cg->oom_aux_fd = -1;
  if (normalise_path(path, &cg->path, err) < 0) return -1;
  cg->layout = layout;
  cg->driver = rn_cgroup_driver_for(layout);
  if (layout->mode != RN_CGROUP_V2) {
    for (int c = 0; c < RN_CG_COUNT; c++)
      if (layout->v1[c]) cg->v1_dir[c] = xasprintf("%s/%s", layout->v1[c], cg->path);
  }
  if (layout->unified && layout->mode != RN_CGROUP_V1)
    cg->unified_dir = xasprintf("%s/%s", layout->unified, cg->path);
  return 0;
}

int rn_cgroup_open(rn_cgroup *cg, const rn_cgroup_layout *layout, const char *path, rn_error *err) {
  /* Nothing to check on disk: delete must work (idempotently) on a cgroup that is already gone, and
   * attach reports a missing directory by its name. The OOM baseline stays 0, so oom_kills() without
   * oom_watch() counts every kill since creation: the cgroup belongs to this one container. */
  return rn_cgroup_init(cg, layout, path, err);
}

void rn_cgroup_release(rn_cgroup *cg) {
  if (cg == NULL) return;
  free(cg->path);
  cg->path = NULL;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    free(cg->v1_dir[c]);
    cg->v1_dir[c] = NULL;
  }
  free(cg->unified_dir);
  cg->unified_dir = NULL;
  if (cg->oom_fd >= 0) close(cg->oom_fd);
  if (cg->oom_aux_fd >= 0) close(cg->oom_aux_fd);
  cg->oom_fd = -1;
  cg->oom_aux_fd = -1;
}

void rn_cgroup_paths_json(const rn_cgroup *cg, struct rn_buf *out) {
  rn_buf_puts(out, "{");
  bool first = true;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    if (cg->v1_dir[c] == NULL) continue;
    if (!first) rn_buf_puts(out, ",");
    first = false;
    rn_buf_json_string(out, ctrl_names[c], strlen(ctrl_names[c]));
    rn_buf_puts(out, ":");
    rn_buf_json_string(out, cg->v1_dir[c], strlen(cg->v1_dir[c]));
  }
  if (cg->unified_dir) {
    if (!first) rn_buf_puts(out, ",");
    rn_buf_puts(out, "\"unified\":");
    rn_buf_json_string(out, cg->unified_dir, strlen(cg->unified_dir));
  }
  rn_buf_puts(out, "}");
}

/* ---- file helpers ---- */

int rn_cgroup_write(const char *dir, const char *file, const char *value, rn_error *err) {
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  /* No O_CREAT: a missing file means a missing controller, never something to create. O_TRUNC changes
   * nothing on cgroupfs but makes a fixture's plain file hold exactly the last value written. */
  cleanup_close int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "write `%s` to `%s`", value, path);
  size_t len = strlen(value);
  /* cgroupfs parses each write() as one value, so it must go in a single call. */
  ssize_t w;
  do
    w = write(fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0) return rn_fail(err, errno, "write `%s` to `%s`", value, path);
  if ((size_t)w != len) return rn_fail_code(err, EIO, "write `%s` to `%s`: short write", value, path);
  return 0;
}

int rn_cgroup_read(const char *dir, const char *file, char *buf, size_t size, rn_error *err) {
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  if (size == 0) return rn_fail_code(err, EINVAL, "read `%s`: no buffer", path);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "read `%s`", path);
  size_t len = 0;
  for (;;) {
    if (len == size - 1) {
      /* Full: a file that does not fit is an error rather than a silently cut value. */
      char extra;
      ssize_t r = read(fd, &extra, 1);
      if (r > 0) return rn_fail_code(err, EOVERFLOW, "read `%s`: larger than %zu bytes", path, size - 1);
      break;
    }
    ssize_t r = read(fd, buf + len, size - 1 - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return rn_fail(err, errno, "read `%s`", path);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  return 0;
}

int rn_cg_read_alloc(const char *dir, const char *file, char **out, rn_error *err) {
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "read `%s`", path);
  size_t cap = 4096, len = 0;
  char *buf = xmalloc(cap);
  for (;;) {
    if (cap - len < 1024) buf = xrealloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      return rn_fail(err, e, "read `%s`", path);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

int rn_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *value, bool *found,
                   rn_error *err) {
  cleanup_free char *text = NULL;
  *value = 0;
  *found = false;
  if (rn_cg_read_alloc(dir, file, &text, err) < 0) return -1;
  size_t klen = strlen(key);
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(line + klen + 1, &end, 10);
      if (errno != 0 || end == line + klen + 1)
        return rn_fail(err, 0, "read `%s/%s`: bad value for `%s`: `%s`", dir, file, key, line + klen + 1);
      *value = v;
      *found = true;
      return 0;
    }
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}

bool rn_cg_has_word(const char *list, const char *word) {
  size_t wlen = strlen(word);
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == '\n' || *p == '\t') p++;
    const char *start = p;
    while (*p && *p != ' ' && *p != '\n' && *p != '\t') p++;
    if ((size_t)(p - start) == wlen && memcmp(start, word, wlen) == 0) return true;
  }
  return false;
}

/* ---- directories ---- */

static void dirlist_add(rn_cg_dirlist *list, const char *dir) {
  list->dirs = xrealloc(list->dirs, (list->n + 1) * sizeof(*list->dirs));
  list->dirs[list->n++] = xstrdup(dir);
}

int rn_cg_mkdir_p(const char *root, const char *rel, rn_cg_dirlist *created, rn_error *err) {
  cleanup_free char *path = xasprintf("%s/%s", root, rel);
  size_t start = strlen(root) + 1;
  /* A parent can vanish between our mkdir and the child's when another container's failed create rolls
   * it back; start over a few times before giving up. */
  for (int attempt = 0;; attempt++) {
    bool retry = false;
    for (size_t i = start;; i++) {
      char c = path[i];
      if (c != '/' && c != '\0') continue;
      path[i] = '\0';
      if (mkdir(path, 0755) == 0) {
        dirlist_add(created, path);
      } else if (errno != EEXIST) {
        int e = errno;
        if (e == ENOENT && attempt < 3) {
          path[i] = c;
          retry = true;
          break;
        }
        return rn_fail(err, e, "create cgroup `%s`", path);
      }
      path[i] = c;
      if (c == '\0') break;
    }
    if (!retry) return 0;
  }
}

void rn_cg_dirlist_rollback(rn_cg_dirlist *created) {
  for (size_t i = created->n; i-- > 0;) {
    int saved = errno;
    rmdir(created->dirs[i]);
    errno = saved;
  }
  rn_cg_dirlist_free(created);
}

void rn_cg_dirlist_free(rn_cg_dirlist *list) {
  for (size_t i = 0; i < list->n; i++) free(list->dirs[i]);
  free(list->dirs);
  list->dirs = NULL;
  list->n = 0;
}

/* ---- processes ---- */

void rn_cg_sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

uint64_t rn_cg_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int rn_cg_signal_procs(const char *dir, int sig, rn_error *err) {
  cleanup_free char *procs = NULL;
  if (rn_cg_read_alloc(dir, "cgroup.procs", &procs, err) < 0) return -1;
  for (char *p = procs; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    if (pid > 0 && kill((pid_t)pid, sig) < 0 && errno != ESRCH)
      return rn_fail(err, errno, "kill pid %ld of `%s` with signal %d", pid, dir, sig);
    p = end;
    while (*p == '\n') p++;
  }
  return 0;
}

int rn_cg_procs_empty(const char *dir, bool *empty, rn_error *err) {
  cleanup_free char *procs = NULL;
  if (rn_cg_read_alloc(dir, "cgroup.procs", &procs, err) < 0) {
    if (err->status == ENOENT) {
      *empty = true;
      return 0;
    }
    return -1;
  }
  *empty = procs[strspn(procs, " \n")] == '\0';
  return 0;
}

int rn_cg_unified_populated(const char *dir, bool *out, rn_error *err) {
  uint64_t v;
  bool found;
  if (rn_cg_read_key(dir, "cgroup.events", "populated", &v, &found, err) < 0) {
    if (err->status == ENOENT) {
      *out = false;
      return 0;
    }
    return -1;
  }
  if (!found) return rn_fail(err, 0, "`%s/cgroup.events` has no `populated` line", dir);
  *out = v != 0;
  return 0;
}

int rn_cg_unified_signal(const char *dir, int sig, rn_error *err) {
  if (sig == SIGKILL) {
    /* cgroup.kill (5.14+) kills the whole subtree atomically: nothing can fork its way out. */
    if (rn_cgroup_write(dir, "cgroup.kill", "1", err) == 0) return 0;
    if (err->status != ENOENT) return -1;
    if (access(dir, F_OK) < 0) return 0; /* the cgroup is gone: nothing left to signal */
  }
  /* Freeze so that no process forks between reading cgroup.procs and signalling; a cgroup the user
   * paused stays paused. */
  char state[16] = "";
  bool froze = false;
  if (rn_cgroup_read(dir, "cgroup.freeze", state, sizeof(state), err) == 0 && state[0] == '0') {
    if (rn_cgroup_write(dir, "cgroup.freeze", "1", err) < 0) return -1;
    froze = true;
    uint64_t deadline = rn_cg_now_ms() + 1000;
    for (;;) {
      uint64_t frozen;
      bool found;
      if (rn_cg_read_key(dir, "cgroup.events", "frozen", &frozen, &found, err) < 0) break;
      /* Not frozen in time (a task stuck in the kernel): signal anyway; the freeze only narrows races. */
      if ((found && frozen) || rn_cg_now_ms() >= deadline) break;
      rn_cg_sleep_ms(1);
    }
  }
  int ret = rn_cg_signal_procs(dir, sig, err);
  if (ret < 0 && err->status == ENOENT) ret = 0; /* removed meanwhile: nothing left to signal */
  if (froze) {
    rn_error thaw_err;
    if (rn_cgroup_write(dir, "cgroup.freeze", "0", &thaw_err) < 0 && ret == 0) {
      *err = thaw_err;
      ret = -1;
    }
  }
  return ret;
}

/* ---- destroy ---- */

static int rmdir_retry(const char *dir, rn_error *err) {
  /* A cgroup can stay busy for a moment after its last task exited (the kernel finishes tearing the
   * tasks down asynchronously). */
  uint64_t deadline = rn_cg_now_ms() + 1000;
  for (;;) {
    if (rmdir(dir) == 0 || errno == ENOENT) return 0;
    int e = errno;
    if (e != EBUSY || rn_cg_now_ms() >= deadline) return rn_fail(err, e, "remove cgroup `%s`", dir);
    rn_cg_sleep_ms(10);
  }
}

int rn_cg_destroy(rn_cgroup *cg, rn_error *err) {
  bool populated = false;
  if (cg->driver->populated(cg, &populated, err) < 0) populated = true; /* unknown: kill to be sure */
  if (populated) {
    rn_error kill_err;
    int kr = cg->driver->signal_all(cg, SIGKILL, &kill_err);
    uint64_t deadline = rn_cg_now_ms() + 2000;
    for (;;) {
      if (cg->driver->populated(cg, &populated, err) == 0 && !populated) break;
      if (rn_cg_now_ms() >= deadline) {
        if (kr < 0) {
          *err = kill_err;
          rn_error_wrap(err, "destroy cgroup `%s`", cg->path);
          return -1;
        }
        break; /* rmdir below reports EBUSY with the directory's name */
      }
      rn_cg_sleep_ms(10);
    }
  }
  int ret = 0;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    if (cg->v1_dir[c] == NULL) continue;
    /* Co-mounted controllers share one directory: remove it once. */
    bool dup = false;
    for (int d = 0; d < c; d++) dup |= cg->v1_dir[d] && strcmp(cg->v1_dir[d], cg->v1_dir[c]) == 0;
    if (dup) continue;
    rn_error e;
    if (rmdir_retry(cg->v1_dir[c], &e) < 0 && ret == 0) {
      *err = e;
      ret = -1;
    }
  }
  if (cg->unified_dir) {
    rn_error e;
    if (rmdir_retry(cg->unified_dir, &e) < 0 && ret == 0) {
      *err = e;
      ret = -1;
    }
  }
  return ret;
}

int rn_cgroup_join_self(const int *join_fds, size_t n_join, rn_error *err) {
  for (size_t i = 0; i < n_join; i++) {
    ssize_t w;
    do w = write(join_fds[i], "0", 1);
    while (w < 0 && errno == EINTR);
    if (w != 1) return rn_fail(err, errno, "join the container's cgroups");
  }
  return 0;
}

bool rn_cgroup_exists(const rn_cgroup *cg) {
  for (int c = 0; c < RN_CG_COUNT; c++)
    if (cg->v1_dir[c] && access(cg->v1_dir[c], F_OK) == 0) return true;
  return cg->unified_dir && access(cg->unified_dir, F_OK) == 0;
}
