#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "mounts.h"
#include "seccomp.h"
#include "shim.h"
#include "spec.h"
#include "state.h"
#include "sync.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* How long `create` waits for a concurrent operation on the same directory to let go of it. */
#define LOCK_TIMEOUT_MS 30000

struct rn_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static void reset_signals_for_child(const sigset_t *old) {
  static const int RESET[] = {SIGPIPE, SIGHUP, SIGTERM, SIGINT};
  for (size_t i = 0; i < ARRAY_LEN(RESET); i++) signal(RESET[i], SIG_DFL);
  sigprocmask(SIG_SETMASK, old, NULL);
}

static uint64_t clone_flags(const rn_spec *spec) {
  static const uint64_t flags[RN_NS_COUNT] = {
      [RN_NS_PID] = CLONE_NEWPID, [RN_NS_NET] = CLONE_NEWNET, [RN_NS_MNT] = CLONE_NEWNS,
      [RN_NS_IPC] = CLONE_NEWIPC, [RN_NS_UTS] = CLONE_NEWUTS, [RN_NS_CGROUP] = 0 /* later, see child.c */,
  };
  uint64_t f = 0;
  for (int t = 0; t < RN_NS_COUNT; t++)
    if (spec->namespaces[t].enabled && spec->namespaces[t].path == NULL) f |= flags[t];
  return f;
}

static void close_all(int fd, const int *fds, size_t n) {
  if (fd >= 0) close(fd);
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

static void kill_init(rn_shim *s) {
  if (s->pid <= 0) return;
  kill(s->pid, SIGKILL);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
}

static void destroy_cgroup(rn_shim *s) {
  if (!s->has_cg) return;
  rn_error ignored;
  s->cg.driver->destroy(&s->cg, &ignored);
  s->has_cg = false;
}

/* Everything from cgroups to a READY init. On failure undoes what it did and returns -1. */
static int launch(rn_shim *s, const rn_bpf *prog, const sigset_t *old_mask, int stdio[3], rn_error *err) {
  const rn_spec *spec = s->spec;
  /* A container's cgroup is its own: deleting it kills whatever is inside, so it must not be one that
   * exists already (another container's, under this root or another). */
  if (rn_cgroup_exists(&s->cg))
    return rn_fail(err, 0, "config.json: linux.cgroupsPath: cgroup `%s` already exists (another container's?)",
                   s->cg.path);
  size_t n_rules = 0;
  rn_device_rule *rules = rn_device_rules(spec, &n_rules);
  rn_resources res = spec->resources;
  res.devices = rules;
  res.n_devices = n_rules;
  int r = s->cg.driver->create(&s->cg, &res, true, err);
  free(rules);
  if (r < 0) return -1;
  s->has_cg = true;
  if (s->cg.driver->oom_watch(&s->cg, err) < 0) goto fail;

  int clone_fd = -1, join_fds[RN_CG_COUNT];
  size_t n_join = 0;
  if (s->cg.driver->prepare_join(&s->cg, &clone_fd, join_fds, &n_join, err) < 0) goto fail;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    rn_fail(err, errno, "socketpair");
    close_all(clone_fd, join_fds, n_join);
    goto fail;
  }
  /* clone3 without a stack behaves like fork: the child runs on a copy of this stack. The cgroup2 leaf,
   * when there is one, is entered at birth (CLONE_INTO_CGROUP); the v1 ones by the child itself. */
  struct rn_clone_args ca = {.flags = clone_flags(spec), .exit_signal = SIGCHLD};
  if (clone_fd >= 0) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = (uint64_t)clone_fd;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  if (pid < 0) {
    rn_fail(err, errno, "clone the container's init");
    close(sv[0]);
    close(sv[1]);
    close_all(clone_fd, join_fds, n_join);
    goto fail;
  }
  if (pid == 0) {
    close(sv[0]);
    /* The init waits for START with these open; the directory lock above all must not outlive the shim's
     * report (every fd here closes on exec anyway). */
    int shim_fds[] = {s->lock_fd, s->report_fd, s->listen_fd, s->sig_fd, s->log.fd};
    for (size_t i = 0; i < ARRAY_LEN(shim_fds); i++)
      if (shim_fds[i] > 2) close(shim_fds[i]);
    reset_signals_for_child(old_mask);
    rn_child_args a = {.spec = spec,
                       .seccomp = prog,
                       .sync_fd = sv[1],
                       .stdio = {stdio[0], stdio[1], stdio[2]},
                       .join_fds = join_fds,
                       .n_join = n_join};
    rn_child_main(&a);
  }
  close(sv[1]);
  close_all(clone_fd, join_fds, n_join);
  s->pid = pid;
  s->sync_fd = sv[0];
  rn_sync_msg m;
  int got = rn_sync_recv(s->sync_fd, &m, 60000);
  if (got == 1 && m.type == RN_SYNC_READY) {
    s->pid_start = rn_proc_starttime(pid);
    return 0;
  }
  if (got == 1 && m.type == RN_SYNC_ERROR) {
    err->status = m.status;
    snprintf(err->msg, sizeof(err->msg), "%s", m.msg);
  } else {
    rn_fail(err, got < 0 ? errno : 0, "the container's init died while being set up");
  }
  close(s->sync_fd);
  s->sync_fd = -1;
  kill_init(s);
fail:
  destroy_cgroup(s);
  return -1;
}

static int write_pid_file(const char *path, pid_t pid, rn_error *err) {
  cleanup_free char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  const char *dir = ".", *name = copy;
  if (slash) {
    *slash = '\0';
    dir = slash == copy ? "/" : copy;
    name = slash + 1;
  }
  char text[32];
  int n = snprintf(text, sizeof(text), "%d", pid);
  if (rn_write_file_atomic(dir, name, text, (size_t)n, err) < 0) {
    rn_error_wrap(err, "--pid-file");
    return -1;
  }
  return 0;
}

/* What create and run share: the spec (and the exact bytes validated), the locked container directory
 * with a private copy of config.json, and the cgroup's names. */
typedef struct prepared {
  rn_spec *spec;
  char *dir;
  int lock_fd;
} prepared;

static void unprepare(prepared *p, rn_shim *s, bool remove_dir) {
  if (remove_dir && p->dir) {
    rn_error ignored;
    rn_remove_tree(p->dir, &ignored);
  }
  if (p->lock_fd >= 0) close(p->lock_fd);
  rn_cgroup_release(&s->cg);
  free(p->dir);
  rn_spec_free(p->spec);
  memset(p, 0, sizeof(*p));
  p->lock_fd = -1;
}

static int prepare(rn_shim *s, const rn_create_opts *o, prepared *p, rn_error *err) {
  memset(p, 0, sizeof(*p));
  p->lock_fd = -1;
  rn_shim_init(s, NULL, o->id, o->bundle);
  rn_buf raw;
  p->spec = rn_spec_load_raw(o->bundle, &raw, err);
  if (p->spec == NULL) {
    rn_buf_free(&raw);
    return -1;
  }
  if (!p->spec->namespaces[RN_NS_MNT].enabled || p->spec->namespaces[RN_NS_MNT].path) {
    rn_buf_free(&raw);
    unprepare(p, s, false);
    return rn_fail(err, 0, "config.json: linux.namespaces: a new mount namespace is required");
  }
  if (o->pid_file) {
    /* Checked now so that a bad --pid-file fails before anything is made. */
    cleanup_free char *parent = xstrdup(o->pid_file);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = '\0';
    struct stat st;
    if (stat(slash == parent ? "/" : parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
      rn_buf_free(&raw);
      unprepare(p, s, false);
      return rn_fail(err, ENOENT, "--pid-file `%s`: its directory does not exist", o->pid_file);
    }
  }
  if (rn_state_prepare_root(o->root, err) < 0 || (p->dir = rn_state_create_dir(o->root, o->id, err)) == NULL) {
    rn_buf_free(&raw);
    unprepare(p, s, false);
    return -1;
  }
  /* Held until the shim has reported: `delete` waits for it instead of racing a create. */
  if ((p->lock_fd = rn_state_lock(p->dir, LOCK_TIMEOUT_MS, err)) < 0) goto fail;
  s->dir = p->dir;
  s->bundle = p->spec->bundle;
  s->spec = p->spec;
  s->lock_fd = p->lock_fd;
  /* exec reads the process defaults from this copy of what was validated, whatever becomes of the bundle. */
  if (rn_write_file_atomic(p->dir, "config.json", raw.data ? raw.data : "", raw.len, err) < 0) goto fail;
  rn_buf_free(&raw);
  cleanup_free char *cg_path = rn_state_cgroup_path(o->root, o->id, p->spec->cgroups_path);
  if (rn_cgroup_init(&s->cg, o->layout, cg_path, err) < 0) goto fail;
  return 0;
fail:
  rn_buf_free(&raw);
  unprepare(p, s, true);
  return -1;
}

/* The detached shim of `create`: never returns. */
__attribute__((noreturn)) static void shim_main(rn_shim *s, const rn_create_opts *o) {
  rn_error err;
  rn_error_reset(&err);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  rn_shim_detach(s);
  sigset_t old;
  cleanup_free char *cache = xasprintf("%s/.seccomp-cache", o->root);
  cleanup_free char *default_log = xasprintf("%s/container.log", s->dir);
  rn_bpf prog = {0};
  int outp[2] = {-1, -1}, errp[2] = {-1, -1};
  if (rn_shim_block_signals(s, &old, &err) < 0) goto fail;
  if (s->spec->has_seccomp && rn_seccomp_compile(&s->spec->seccomp, cache, &prog, &err) < 0) goto fail;
  s->log_path = o->container_log ? o->container_log : default_log;
  if (rn_log_open(&s->log, s->log_path, o->log_max_bytes, o->log_max_files, &err) < 0) goto fail;
  s->has_log = true;
  if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    rn_fail(&err, errno, "pipe");
    goto fail;
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int stdio[3] = {devnull, outp[1], errp[1]};
  if (rn_shim_listen(s, &err) < 0) goto fail;
  if (launch(s, s->spec->has_seccomp ? &prog : NULL, &old, stdio, &err) < 0) goto fail;
  close(outp[1]);
  close(errp[1]);
  close(devnull);
  if (o->pid_file && write_pid_file(o->pid_file, s->pid, &err) < 0) {
    kill_init(s);
    destroy_cgroup(s);
    goto fail;
  }
  s->out_fd = outp[0];
  s->err_fd = errp[0];
  fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
  fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
  rn_shim_write_state(s, "created");
  rn_shim_report_ok(s);
  rn_exit ex;
  rn_shim_serve(s, &ex);
  rn_shim_finish(s, &ex);
  _exit(0);
fail:
  if (s->has_log) rn_log_close(&s->log);
  rn_shim_report_error(s, &err);
  _exit(1);
}

/* Runs fn(s, arg) in a grandchild in a new session (so that it is re-parented away from the caller and
 * outlives it) and returns what it reports. */
static int spawn_detached(rn_shim *s, void (*fn)(rn_shim *, const void *), const void *arg, rn_report *r,
                          rn_error *err) {
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) < 0) return rn_fail(err, errno, "pipe");
  pid_t mid = fork();
  if (mid < 0) {
    close(rp[0]);
    close(rp[1]);
    return rn_fail(err, errno, "fork the shim");
  }
  if (mid == 0) {
    close(rp[0]);
    setsid();
    pid_t shim_pid = fork();
    if (shim_pid != 0) _exit(shim_pid < 0 ? 1 : 0);
    s->report_fd = rp[1];
    fn(s, arg);
    _exit(1);
  }
  close(rp[1]);
  waitpid(mid, NULL, 0);
  ssize_t n;
  do n = read(rp[0], r, sizeof(*r));
  while (n < 0 && errno == EINTR);
  close(rp[0]);
  if (n != (ssize_t)sizeof(*r)) return rn_fail(err, 0, "the shim exited before it reported");
  if (!r->ok) {
    err->status = r->status;
    snprintf(err->msg, sizeof(err->msg), "%s", r->msg);
    return -1;
  }
  return 0;
}

static void create_shim(rn_shim *s, const void *arg) {
  shim_main(s, arg);
}

int rn_container_create(const rn_create_opts *o, rn_error *err) {
  rn_shim s;
  prepared p;
  if (prepare(&s, o, &p, err) < 0) return -1;
  rn_report r;
  int rc = spawn_detached(&s, create_shim, o, &r, err);
  /* On failure the shim has already removed the container's cgroup and init; the directory goes too. */
  unprepare(&p, &s, rc < 0);
  return rc;
}

int rn_container_start(const char *root, const char *id, rn_error *err) {
  rn_state st;
  if (rn_state_load(root, id, &st, err) < 0) return -1;
  rn_status status = rn_state_status(&st);
  if (status != RN_STATUS_CREATED) {
    rn_fail(err, 0, "container `%s` is not in created state: it is %s", id, rn_status_name(status));
    rn_state_free(&st);
    return -1;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" RN_SHIM_SOCK, st.dir);
  rn_state_free(&st);
  if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) return rn_fail_code(err, ENAMETOOLONG, "shim socket of `%s`", id);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return rn_fail(err, errno, "shim socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return rn_fail(err, errno, "connect to the shim at `%s`", addr.sun_path);
  if (send(fd, "start\n", 6, MSG_NOSIGNAL) != 6) return rn_fail(err, errno, "talk to the shim");
  char buf[RN_ERROR_MAX + 8];
  size_t len = 0;
  ssize_t got;
  while (len < sizeof(buf) - 1 && (got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
    len += (size_t)got;
    if (memchr(buf, '\n', len)) break;
  }
  buf[len] = '\0';
  char *nl = strchr(buf, '\n');
  if (nl) *nl = '\0';
  if (strcmp(buf, "ok") != 0)
    return rn_fail(err, 0, "%s", strncmp(buf, "err ", 4) == 0 ? buf + 4 : "the shim did not answer");
  return 0;
}

int rn_container_run(const rn_create_opts *o, int *exit_code, rn_error *err) {
  if (o->detach) {
    if (rn_container_create(o, err) < 0) return -1;
    if (rn_container_start(o->root, o->id, err) < 0) return -1;
    *exit_code = 0;
    return 0;
  }
  rn_shim s;
  prepared p;
  if (prepare(&s, o, &p, err) < 0) return -1;
  s.foreground = true;
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigset_t old;
  cleanup_free char *cache = xasprintf("%s/.seccomp-cache", o->root);
  rn_bpf prog = {0};
  int stdio[3] = {-1, -1, -1};
  int rc = -1;
  if (rn_shim_block_signals(&s, &old, err) < 0) goto out;
  if (p.spec->has_seccomp && rn_seccomp_compile(&p.spec->seccomp, cache, &prog, err) < 0) goto out;
  if (launch(&s, p.spec->has_seccomp ? &prog : NULL, &old, stdio, err) < 0) goto out;
  rn_shim_write_state(&s, "created");
  rn_sync_msg m;
  int got = -1;
  if (o->pid_file && write_pid_file(o->pid_file, s.pid, err) < 0) goto out_kill;
  if (rn_sync_send(s.sync_fd, RN_SYNC_START) == 0) got = rn_sync_recv(s.sync_fd, &m, 30000);
  close(s.sync_fd);
  s.sync_fd = -1;
  if (got != 0) {
    if (got == 1 && m.type == RN_SYNC_ERROR) {
      err->status = m.status;
      snprintf(err->msg, sizeof(err->msg), "%s", m.msg);
    } else {
      rn_fail(err, 0, "the container's init died before it ran its program");
    }
    goto out_kill;
  }
  s.started = true;
  rn_shim_write_state(&s, "running");
  /* Nothing else waits for this container: the record is written, then it is deleted, as crun does. */
  close(p.lock_fd);
  p.lock_fd = s.lock_fd = -1;
  rn_exit ex;
  rn_shim_serve(&s, &ex);
  rn_shim_finish(&s, &ex);
  *exit_code = ex.exit_code;
  rc = 0;
  goto out_cg;
out_kill:
  kill_init(&s);
out_cg:
  destroy_cgroup(&s);
out:
  rn_bpf_free(&prog);
  unprepare(&p, &s, true);
  return rc;
}

/* ---- wrapping another runtime ---- */

__attribute__((noreturn)) static void wrap_main(rn_shim *s, const rn_wrap_opts *o) {
  rn_error err;
  rn_error_reset(&err);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  rn_shim_detach(s);
  sigset_t old;
  cleanup_free char *default_log = xasprintf("%s/container.log", s->dir);
  cleanup_free char *pid_path = xasprintf("%s/pid", s->dir);
  int outp[2], errp[2];
  if (rn_shim_block_signals(s, &old, &err) < 0) goto fail;
  s->log_path = o->container_log ? o->container_log : default_log;
  if (rn_log_open(&s->log, s->log_path, o->log_max_bytes, o->log_max_files, &err) < 0) goto fail;
  s->has_log = true;
  /* The runtime makes the cgroup; we only read its OOM counter, once its create has made it. */
  if (o->cgroup_path && rn_cgroup_open(&s->cg, o->layout, o->cgroup_path + (o->cgroup_path[0] == '/'), &err) == 0)
    s->has_cg = true;
  rn_error_reset(&err);
  if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    rn_fail(&err, errno, "pipe");
    goto fail;
  }
  if (rn_shim_listen(s, &err) < 0) goto fail;
  s->pid_file = pid_path;
  pid_t child = fork();
  if (child < 0) {
    rn_fail(&err, errno, "fork the runtime");
    goto fail;
  }
  if (child == 0) {
    reset_signals_for_child(&old);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(outp[1], 1);
    dup2(errp[1], 2);
    const char *argv[12];
    int k = 0;
    argv[k++] = o->runtime;
    if (o->runtime_root) {
      argv[k++] = "--root";
      argv[k++] = o->runtime_root;
    }
    argv[k++] = "create";
    argv[k++] = "--bundle";
    argv[k++] = o->bundle;
    argv[k++] = "--pid-file";
    argv[k++] = pid_path;
    argv[k++] = o->id;
    argv[k] = NULL;
    execv(o->runtime, (char *const *)argv);
    dprintf(2, "exec `%s`: %s\n", o->runtime, strerror(errno));
    _exit(127);
  }
  s->runtime_pid = child;
  close(outp[1]);
  close(errp[1]);
  s->out_fd = outp[0];
  s->err_fd = errp[0];
  fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
  fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
  rn_exit ex;
  rn_shim_serve(s, &ex);
  if (s->pid > 0) rn_shim_finish(s, &ex);
  _exit(0);
fail:
  if (s->has_log) rn_log_close(&s->log);
  rn_shim_report_error(s, &err);
  _exit(1);
}

static void wrap_shim(rn_shim *s, const void *arg) {
  wrap_main(s, arg);
}

int rn_container_wrap(const rn_wrap_opts *o, rn_error *err) {
  if (o->state_dir[0] != '/') return rn_fail(err, 0, "--state-dir: must be an absolute path");
  if (mkdir(o->state_dir, 0700) < 0) return rn_fail(err, errno, "--state-dir: create `%s`", o->state_dir);
  rn_shim s;
  rn_shim_init(&s, o->state_dir, o->id, o->bundle);
  rn_report r;
  if (spawn_detached(&s, wrap_shim, o, &r, err) < 0) {
    rn_error ignored;
    rn_remove_tree(o->state_dir, &ignored);
    return -1;
  }
  return 0;
}
