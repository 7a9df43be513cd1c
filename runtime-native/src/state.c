#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MARKER ".swarm-runtime"
#define STATE_MAX_BYTES (1u << 20)

int rn_state_check_id(const char *id, rn_error *err) {
  size_t n = strlen(id);
  if (n == 0) return rn_fail(err, 0, "invalid container id ``: must not be empty");
  if (n > RN_ID_MAX) return rn_fail(err, 0, "invalid container id `%.32s...`: longer than %d characters", id, RN_ID_MAX);
  if (id[0] == '.' || id[0] == '-')
    return rn_fail(err, 0, "invalid container id `%s`: must not start with '.' or '-'", id);
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return rn_fail(err, 0, "invalid container id `%s`: only letters, digits, '_', '.' and '-' are allowed", id);
  }
  return 0;
}

static int check_root_owner(const char *root, const struct stat *st, rn_error *err) {
  if (!S_ISDIR(st->st_mode)) return rn_fail(err, ENOTDIR, "state root `%s`", root);
  if (st->st_uid != geteuid())
    return rn_fail(err, 0, "state root `%s` is owned by uid %u, not by this user (%u)", root, st->st_uid, geteuid());
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return rn_fail(err, 0, "state root `%s` is writable by other users (mode %04o)", root, st->st_mode & 07777);
  return 0;
}

int rn_state_check_root(const char *root, rn_error *err) {
  struct stat st;
  if (stat(root, &st) < 0) return rn_fail(err, errno, "state root `%s`", root);
  if (check_root_owner(root, &st, err) < 0) return -1;
  cleanup_free char *marker = xasprintf("%s/" MARKER, root);
  if (access(marker, F_OK) < 0)
    return rn_fail(err, 0, "state root `%s` is not a swarm-runtime state directory (no " MARKER " marker)", root);
  return 0;
}

static int mkdir_parents(const char *path, mode_t mode, rn_error *err) {
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST) return rn_fail(err, errno, "mkdir `%s`", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST) return rn_fail(err, errno, "mkdir `%s`", p);
  return 0;
}

int rn_state_prepare_root(const char *root, rn_error *err) {
  if (root[0] != '/') return rn_fail(err, 0, "--root: must be an absolute path, got `%s`", root);
  struct stat st;
  if (stat(root, &st) < 0) {
    if (errno != ENOENT) return rn_fail(err, errno, "state root `%s`", root);
    if (mkdir_parents(root, 0700, err) < 0) return -1;
    if (stat(root, &st) < 0) return rn_fail(err, errno, "state root `%s`", root);
  }
  if (check_root_owner(root, &st, err) < 0) return -1;
  cleanup_free char *marker = xasprintf("%s/" MARKER, root);
  if (access(marker, F_OK) == 0) return 0;
  /* No marker: only an empty directory may become a root. Another create may be making this root at the
   * same moment: its marker counts as ours. */
  DIR *d = opendir(root);
  if (d == NULL) return rn_fail(err, errno, "open state root `%s`", root);
  struct dirent *de;
  bool empty = true, marked = false;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, MARKER) == 0) marked = true;
    else if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = false;
  }
  closedir(d);
  if (!empty && !marked)
    return rn_fail(err, 0, "state root `%s` is not empty and is not a swarm-runtime state directory (no " MARKER
                           " marker); refusing to use it",
                   root);
  if (marked) return 0;
  int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return rn_fail(err, errno, "create `%s`", marker);
  close(fd);
  return 0;
}

char *rn_state_create_dir(const char *root, const char *id, rn_error *err) {
  char *dir = xasprintf("%s/%s", root, id);
  if (mkdir(dir, 0700) < 0) {
    if (errno == EEXIST)
      rn_fail_code(err, EEXIST, "container `%s` already exists", id);
    else
      rn_fail(err, errno, "create state directory `%s`", dir);
    free(dir);
    return NULL;
  }
  return dir;
}

static const char *str_member(const rn_json *doc, const char *key) {
  const rn_json *v = rn_json_get(doc, key);
  return v && v->type == RN_JSON_STRING ? v->str : NULL;
}

static int64_t int_member(const rn_json *doc, const char *key) {
  const rn_json *v = rn_json_get(doc, key);
  if (v == NULL || v->type != RN_JSON_NUMBER) return 0;
  return v->is_int ? v->i : (int64_t)v->u;
}

int rn_state_load(const char *root, const char *id, rn_state *out, rn_error *err) {
  memset(out, 0, sizeof(*out));
  if (rn_state_check_id(id, err) < 0) return -1;
  if (rn_state_check_root(root, err) < 0) {
    if (err->status == ENOENT) return rn_fail_code(err, ENOENT, "container `%s` does not exist", id);
    return -1;
  }
  out->dir = xasprintf("%s/%s", root, id);
  out->id = xstrdup(id);
  struct stat st;
  if (stat(out->dir, &st) < 0) {
    int e = errno;
    rn_state_free(out);
    if (e == ENOENT) return rn_fail_code(err, ENOENT, "container `%s` does not exist", id);
    return rn_fail(err, e, "container `%s`", id);
  }
  cleanup_free char *path = xasprintf("%s/state.json", out->dir);
  out->doc = rn_json_parse_file(path, STATE_MAX_BYTES, err);
  if (out->doc == NULL) {
    if (err->status == ENOENT) {
      /* The shim has not written state.json yet: the container is being created. */
      out->recorded = RN_STATUS_CREATING;
      rn_error_reset(err);
      return 0;
    }
    rn_state_free(out);
    return -1;
  }
  const char *status = str_member(out->doc, "status");
  out->recorded = status && strcmp(status, "running") == 0 ? RN_STATUS_RUNNING : RN_STATUS_CREATED;
  out->pid = (pid_t)int_member(out->doc, "pid");
  out->pid_start = (uint64_t)int_member(out->doc, "pidStart");
  out->shim_pid = (pid_t)int_member(out->doc, "shimPid");
  out->shim_start = (uint64_t)int_member(out->doc, "shimStart");
  const char *s;
  if ((s = str_member(out->doc, "bundle"))) out->bundle = xstrdup(s);
  if ((s = str_member(out->doc, "rootfs"))) out->rootfs = xstrdup(s);
  if ((s = str_member(out->doc, "created"))) out->created = xstrdup(s);
  if ((s = str_member(out->doc, "cgroupPath"))) out->cgroup_path = xstrdup(s);
  if ((s = str_member(out->doc, "cgroupDriver"))) out->cgroup_driver = xstrdup(s);
  return 0;
}

void rn_state_free(rn_state *st) {
  free(st->id);
  free(st->dir);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup_path);
  free(st->cgroup_driver);
  rn_json_free(st->doc);
  memset(st, 0, sizeof(*st));
}

rn_status rn_state_status(const rn_state *st) {
  cleanup_free char *exit_path = xasprintf("%s/exit.json", st->dir);
  if (access(exit_path, F_OK) == 0) return RN_STATUS_STOPPED;
  if (st->recorded == RN_STATUS_CREATING) {
    /* No state.json: either the shim is still setting up, or create died half-way. */
    return RN_STATUS_CREATING;
  }
  if (st->pid <= 0 || !rn_proc_alive(st->pid, st->pid_start)) return RN_STATUS_STOPPED;
  return st->recorded;
}

const char *rn_status_name(rn_status s) {
  switch (s) {
  case RN_STATUS_CREATING:
    return "creating";
  case RN_STATUS_CREATED:
    return "created";
  case RN_STATUS_RUNNING:
    return "running";
  case RN_STATUS_STOPPED:
    return "stopped";
  }
  return "unknown";
}

void rn_exit_json(const rn_exit *ex, rn_buf *out) {
  rn_buf_printf(out, "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"oomKills\":%llu,\"finishedAt\":\"%s\"}",
                ex->exit_code, ex->signal, ex->oom_killed ? "true" : "false", (unsigned long long)ex->oom_kills,
                ex->finished_at);
}

int rn_state_read_exit(const char *dir, rn_exit *out, rn_error *err) {
  memset(out, 0, sizeof(*out));
  cleanup_free char *path = xasprintf("%s/exit.json", dir);
  rn_json *doc = rn_json_parse_file(path, STATE_MAX_BYTES, err);
  if (doc == NULL) return -1;
  out->exit_code = (int)int_member(doc, "exitCode");
  out->signal = (int)int_member(doc, "signal");
  out->oom_kills = (uint64_t)int_member(doc, "oomKills");
  const rn_json *oom = rn_json_get(doc, "oomKilled");
  out->oom_killed = oom && oom->type == RN_JSON_BOOL && oom->boolean;
  const char *f = str_member(doc, "finishedAt");
  snprintf(out->finished_at, sizeof(out->finished_at), "%s", f ? f : "");
  rn_json_free(doc);
  return 0;
}

int rn_state_write_exit(const char *dir, const rn_exit *ex, rn_error *err) {
  rn_buf b;
  rn_buf_init(&b);
  rn_exit_json(ex, &b);
  rn_buf_append(&b, "\n", 1);
  int r = rn_write_file_atomic(dir, "exit.json", b.data, b.len, err);
  rn_buf_free(&b);
  return r;
}

int rn_write_file_atomic(const char *dir, const char *name, const char *data, size_t len, rn_error *err) {
  cleanup_free char *dst = xasprintf("%s/%s", dir, name);
  /* An unpredictable name, created exclusively and never through a symlink: the directory may be one
   * others can write to (a --pid-file in /tmp). */
  char *tmp = NULL;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r)) r = ((uint64_t)getpid() << 32) ^ (uint64_t)attempt;
    free(tmp);
    tmp = xasprintf("%s/.%s.%016llx.tmp", dir, name, (unsigned long long)r);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int e = errno;
    rn_fail(err, e, "create a temporary file in `%s`", dir);
    free(tmp);
    return -1;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      unlink(tmp);
      rn_fail(err, e, "write `%s`", tmp);
      free(tmp);
      return -1;
    }
    off += (size_t)w;
  }
  if (close(fd) < 0) {
    int e = errno;
    unlink(tmp);
    rn_fail(err, e, "close `%s`", tmp);
    free(tmp);
    return -1;
  }
  if (rename(tmp, dst) < 0) {
    int e = errno;
    unlink(tmp);
    rn_fail(err, e, "rename `%s` to `%s`", tmp, dst);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

int rn_state_lock(const char *dir, int timeout_ms, rn_error *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "open `%s`", dir);
  for (int waited = 0;; waited += 5) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK && errno != EINTR) break;
    if (waited >= timeout_ms) {
      close(fd);
      return rn_fail_code(err, EBUSY, "container directory `%s` is locked: a create is still running", dir);
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  int e = errno;
  close(fd);
  return rn_fail(err, e, "lock `%s`", dir);
}

static int remove_at(int parent, const char *name, dev_t dev, rn_error *err, const char *shown) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return 0;
    return rn_fail(err, errno, "stat `%s`", shown);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(parent, name, 0) < 0 && errno != ENOENT) return rn_fail(err, errno, "remove `%s`", shown);
    return 0;
  }
  if (st.st_dev != dev) return rn_fail_code(err, EBUSY, "remove `%s`: a filesystem is mounted there", shown);
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return rn_fail(err, errno, "open `%s`", shown);
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return rn_fail(err, errno, "open `%s`", shown);
  }
  struct dirent *de;
  int r = 0;
  while (r == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    cleanup_free char *child = xasprintf("%s/%s", shown, de->d_name);
    r = remove_at(dirfd(d), de->d_name, dev, err, child);
  }
  closedir(d);
  if (r < 0) return r;
  if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT) return rn_fail(err, errno, "remove `%s`", shown);
  return 0;
}

int rn_remove_tree(const char *path, rn_error *err) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return 0;
    return rn_fail(err, errno, "stat `%s`", path);
  }
  return remove_at(AT_FDCWD, path, st.st_dev, err, path);
}

uint64_t rn_proc_starttime(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  /* The command name (field 2) may hold spaces and parentheses: count fields after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return 0;
  p++;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p + 1, ' ');
  }
  if (p == NULL) return 0;
  /* A zombie has exited: report it as gone so status reads stopped until it is reaped. */
  char state = buf[(strrchr(buf, ')') - buf) + 2];
  if (state == 'Z' || state == 'X') return 0;
  return strtoull(p + 1, NULL, 10);
}

bool rn_proc_alive(pid_t pid, uint64_t start) {
  uint64_t now = rn_proc_starttime(pid);
  if (now == 0) return false;
  return start == 0 || now == start;
}

void rn_now_rfc3339(char *buf, size_t size) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

char *rn_state_cgroup_path(const char *root, const char *id, const char *cgroups_path) {
  if (cgroups_path) return xstrdup(cgroups_path + (cgroups_path[0] == '/'));
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const char *c = root; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  return xasprintf("swarm-runtime/%08x-%s", h, id);
}
