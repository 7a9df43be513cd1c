#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "mounts.h"
#include "seccomp.h"
#include "spec.h"
#include "state.h"
#include "sync.h"

#define MAX_WAITERS 64
#define SOCK_NAME "shim.sock"
/* How long the shim keeps reading output after the init died, for processes that escaped a missing pid
 * namespace and still hold the pipes. */
#define DRAIN_MS 500

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct rn_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

typedef struct report {
  char ok;
  pid_t pid;
  int status;
  char msg[RN_ERROR_MAX];
} report;

typedef struct orphan {
  pid_t pid;
  int wstatus;
} orphan;

typedef struct shim {
  const char *dir;
  const char *id;
  bool foreground;
  const rn_spec *spec;
  const char *bundle;
  rn_cgroup cg;
  bool has_cg;
  rn_log log;
  bool has_log;
  int out_fd, err_fd;
  pid_t pid;
  uint64_t pid_start;
  pid_t runtime_pid; /* wrap mode: the runtime's `create` */
  int sync_fd;
  int listen_fd;
  int sig_fd;
  int report_fd;
  int waiters[MAX_WAITERS];
  size_t n_waiters;
  bool started, exited;
  int wstatus;
  char created[40];
  const char *log_path;
  rn_buf runtime_stderr; /* wrap mode: what the runtime printed before its create finished */
  orphan reaped[16];     /* wrap mode: children reaped before we knew which one is the container */
  size_t n_reaped;
} shim;

static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void send_report(int fd, const report *r) {
  if (fd < 0) return;
  ssize_t n;
  do n = write(fd, r, sizeof(*r));
  while (n < 0 && errno == EINTR);
}

static void report_error(shim *s, const rn_error *err) {
  report r = {.ok = 0, .status = err->status};
  snprintf(r.msg, sizeof(r.msg), "%s", err->msg);
  send_report(s->report_fd, &r);
}

static void write_state(shim *s, const char *status) {
  rn_buf b;
  rn_buf_init(&b);
  rn_buf_printf(&b, "{\"ociVersion\":\"1.0.2\",\"id\":");
  rn_buf_json_string(&b, s->id, strlen(s->id));
  rn_buf_printf(&b, ",\"status\":\"%s\",\"pid\":%d,\"pidStart\":%llu,\"shimPid\":%d,\"shimStart\":%llu,\"bundle\":",
                status, s->pid, (unsigned long long)s->pid_start, getpid(),
                (unsigned long long)rn_proc_starttime(getpid()));
  rn_buf_json_string(&b, s->bundle, strlen(s->bundle));
  if (s->spec) {
    rn_buf_puts(&b, ",\"rootfs\":");
    rn_buf_json_string(&b, s->spec->root_path, strlen(s->spec->root_path));
  }
  rn_buf_printf(&b, ",\"created\":\"%s\"", s->created);
  if (s->has_cg) {
    rn_buf_puts(&b, ",\"cgroupPath\":");
    rn_buf_json_string(&b, s->cg.path, strlen(s->cg.path));
    rn_buf_printf(&b, ",\"cgroupDriver\":\"%s\",\"cgroups\":", s->cg.driver->name);
    rn_cgroup_paths_json(&s->cg, &b);
  }
  if (s->log_path) {
    rn_buf_puts(&b, ",\"containerLog\":");
    rn_buf_json_string(&b, s->log_path, strlen(s->log_path));
  }
  rn_buf_puts(&b, ",\"annotations\":{");
  for (size_t i = 0; s->spec && i < s->spec->n_annotations; i++) {
    if (i) rn_buf_puts(&b, ",");
    rn_buf_json_string(&b, s->spec->annotations[i].key, strlen(s->spec->annotations[i].key));
    rn_buf_puts(&b, ":");
    rn_buf_json_string(&b, s->spec->annotations[i].value, strlen(s->spec->annotations[i].value));
  }
  rn_buf_puts(&b, "}}\n");
  rn_error ignored;
  rn_write_file_atomic(s->dir, "state.json", b.data, b.len, &ignored);
  rn_buf_free(&b);
}

static int listen_socket(const char *dir, rn_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" SOCK_NAME, dir);
  if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
    return rn_fail_code(err, ENAMETOOLONG, "shim socket `%s/" SOCK_NAME "`: the path is longer than %zu bytes", dir,
                   sizeof(addr.sun_path) - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return rn_fail(err, errno, "shim socket");
  unlink(addr.sun_path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    return rn_fail(err, e, "shim socket `%s`", addr.sun_path);
  }
  return fd;
}

static int connect_socket(const char *dir, rn_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" SOCK_NAME, dir);
  if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) return rn_fail(err, ENAMETOOLONG, "shim socket of `%s`", dir);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return rn_fail(err, errno, "shim socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    int e = errno;
    close(fd);
    return rn_fail(err, e, "connect to the shim at `%s`", addr.sun_path);
  }
  return fd;
}

static void exit_record(shim *s, rn_exit *ex) {
  memset(ex, 0, sizeof(*ex));
  if (WIFEXITED(s->wstatus)) {
    ex->exit_code = WEXITSTATUS(s->wstatus);
  } else if (WIFSIGNALED(s->wstatus)) {
    ex->signal = WTERMSIG(s->wstatus);
    ex->exit_code = 128 + ex->signal;
  }
  if (s->has_cg && s->cg.oom_fd >= 0) {
    uint64_t n = 0;
    rn_error ignored;
    if (s->cg.driver->oom_kills(&s->cg, &n, &ignored) == 0) {
      ex->oom_kills = n;
      ex->oom_killed = n > 0;
    }
  }
  rn_now_rfc3339(ex->finished_at, sizeof(ex->finished_at));
}

static void reply(int fd, const char *text) {
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
}

/* START: lets the init exec and reports whether the exec worked. */
static void handle_start(shim *s, int client) {
  if (s->sync_fd < 0) {
    reply(client, "err this container is started through its own runtime\n");
    return;
  }
  if (s->started || s->exited) {
    reply(client, s->exited ? "err container has stopped\n" : "err container already started\n");
    return;
  }
  rn_sync_msg m;
  if (rn_sync_send(s->sync_fd, RN_SYNC_START) < 0) {
    reply(client, "err the container's init is gone\n");
    return;
  }
  int r = rn_sync_recv(s->sync_fd, &m, 30000);
  if (r == 0) {
    s->started = true;
    close(s->sync_fd);
    s->sync_fd = -1;
    write_state(s, "running");
    reply(client, "ok\n");
    return;
  }
  char buf[RN_ERROR_MAX + 8];
  snprintf(buf, sizeof(buf), "err %s\n", r == 1 && m.type == RN_SYNC_ERROR ? m.msg : "the container's init is gone");
  reply(client, buf);
}

static void handle_client(shim *s, int client) {
  char req[64];
  struct pollfd p = {.fd = client, .events = POLLIN};
  ssize_t n = -1;
  if (poll(&p, 1, 1000) == 1) n = recv(client, req, sizeof(req) - 1, 0);
  if (n <= 0) {
    close(client);
    return;
  }
  req[n] = '\0';
  char *nl = strchr(req, '\n');
  if (nl) *nl = '\0';
  if (strcmp(req, "start") == 0) {
    handle_start(s, client);
    close(client);
  } else if (strcmp(req, "wait") == 0 && s->n_waiters < MAX_WAITERS) {
    s->waiters[s->n_waiters++] = client;
  } else {
    reply(client, "err unknown request\n");
    close(client);
  }
}

static void read_output(shim *s, int *fd, int stream) {
  char buf[65536];
  ssize_t n = read(*fd, buf, sizeof(buf));
  if (n > 0) {
    if (s->has_log) rn_log_write(&s->log, stream, buf, (size_t)n);
    if (s->runtime_pid > 0 && stream == RN_LOG_STDERR && s->runtime_stderr.len < 4096)
      rn_buf_append(&s->runtime_stderr, buf, (size_t)n);
    return;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (s->has_log) rn_log_flush(&s->log, stream);
  close(*fd);
  *fd = -1;
}

static void adopt_wrapped(shim *s, int wstatus);

/* Reaps every exited child: the container's init, the wrapped runtime, and orphans we adopted. */
static void reap(shim *s) {
  for (;;) {
    int ws;
    pid_t p = waitpid(-1, &ws, WNOHANG);
    if (p <= 0) break;
    if (p == s->pid && s->pid > 0) {
      s->exited = true;
      s->wstatus = ws;
    } else if (p == s->runtime_pid) {
      adopt_wrapped(s, ws);
    } else if (s->pid == 0 && s->n_reaped < ARRAY_LEN(s->reaped)) {
      s->reaped[s->n_reaped++] = (orphan){p, ws};
    }
  }
}

static void forward_signal(shim *s, int sig) {
  if (s->pid > 0 && !s->exited) kill(s->pid, sig);
}

static void handle_signals(shim *s) {
  struct signalfd_siginfo si;
  while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
    if ((int)si.ssi_signo == SIGCHLD) continue;
    forward_signal(s, (int)si.ssi_signo);
  }
  reap(s);
}

/* Serves until the container has exited and its output is drained, then records the end. */
static void serve(shim *s, rn_exit *ex) {
  int64_t drain_deadline = -1;
  for (;;) {
    if (s->exited && drain_deadline < 0) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      drain_deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + DRAIN_MS;
    }
    if (s->exited && s->out_fd < 0 && s->err_fd < 0) break;
    int timeout = -1;
    if (drain_deadline >= 0) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
      if (now >= drain_deadline) break;
      timeout = (int)(drain_deadline - now);
    }
    struct pollfd fds[4];
    int nf = 0;
    int i_sig = -1, i_listen = -1, i_out = -1, i_err = -1;
    if (s->sig_fd >= 0) fds[i_sig = nf++] = (struct pollfd){s->sig_fd, POLLIN, 0};
    if (s->listen_fd >= 0) fds[i_listen = nf++] = (struct pollfd){s->listen_fd, POLLIN, 0};
    if (s->out_fd >= 0) fds[i_out = nf++] = (struct pollfd){s->out_fd, POLLIN, 0};
    if (s->err_fd >= 0) fds[i_err = nf++] = (struct pollfd){s->err_fd, POLLIN, 0};
    int r = poll(fds, (nfds_t)nf, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (i_sig >= 0 && fds[i_sig].revents) handle_signals(s);
    if (i_out >= 0 && fds[i_out].revents) read_output(s, &s->out_fd, RN_LOG_STDOUT);
    if (i_err >= 0 && fds[i_err].revents) read_output(s, &s->err_fd, RN_LOG_STDERR);
    if (i_listen >= 0 && (fds[i_listen].revents & POLLIN)) {
      int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) handle_client(s, c);
    }
  }
  exit_record(s, ex);
}

static void finish(shim *s, const rn_exit *ex) {
  if (s->has_log) rn_log_close(&s->log);
  rn_error ignored;
  rn_state_write_exit(s->dir, ex, &ignored);
  rn_buf b;
  rn_buf_init(&b);
  rn_exit_json(ex, &b);
  rn_buf_append(&b, "\n", 1);
  for (size_t i = 0; i < s->n_waiters; i++) {
    reply(s->waiters[i], b.data);
    close(s->waiters[i]);
  }
  rn_buf_free(&b);
  s->n_waiters = 0;
  if (s->listen_fd >= 0) {
    cleanup_free char *sock = xasprintf("%s/" SOCK_NAME, s->dir);
    unlink(sock);
    close(s->listen_fd);
    s->listen_fd = -1;
  }
}

static int block_signals(shim *s, sigset_t *old, rn_error *err) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (s->foreground)
    for (size_t i = 0; i < ARRAY_LEN(FORWARDED); i++) sigaddset(&set, FORWARDED[i]);
  if (sigprocmask(SIG_BLOCK, &set, old) < 0) return rn_fail(err, errno, "sigprocmask");
  s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sig_fd < 0) return rn_fail(err, errno, "signalfd");
  return 0;
}

static void reset_signals_for_child(const sigset_t *old) {
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
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

/* Everything from cgroups to a READY init. On failure undoes what it did and returns -1. */
static int launch(shim *s, const rn_bpf *prog, const sigset_t *old_mask, int stdio[3], rn_error *err) {
  const rn_spec *spec = s->spec;
  size_t n_rules = 0;
  rn_device_rule *rules = rn_device_rules(spec, &n_rules);
  rn_resources res = spec->resources;
  res.devices = rules;
  res.n_devices = n_rules;
  bool busy = false;
  if (s->cg.driver->populated(&s->cg, &busy, err) < 0 || busy) {
    free(rules);
    if (busy)
      rn_fail(err, 0, "config.json: linux.cgroupsPath: cgroup `%s` already holds processes (another container's?)",
              s->cg.path);
    return -1;
  }
  int r = s->cg.driver->create(&s->cg, &res, true, err);
  free(rules);
  if (r < 0) return -1;
  s->has_cg = true;
  if (s->cg.driver->oom_watch(&s->cg, err) < 0) goto fail_cg;

  int clone_fd = -1, join_fds[RN_CG_COUNT];
  size_t n_join = 0;
  if (s->cg.driver->prepare_join(&s->cg, &clone_fd, join_fds, &n_join, err) < 0) goto fail_cg;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    rn_fail(err, errno, "socketpair");
    close_all(clone_fd, join_fds, n_join);
    goto fail_cg;
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
    goto fail_cg;
  }
  if (pid == 0) {
    close(sv[0]);
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
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(s->sync_fd);
  s->sync_fd = -1;
  s->pid = 0;
fail_cg : {
  rn_error ignored;
  s->cg.driver->destroy(&s->cg, &ignored);
  s->has_cg = false;
}
  return -1;
}

static int open_devnull(void) {
  return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static void daemon_stdio(void) {
  int fd = open_devnull();
  if (fd >= 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
  }
}

static int prepare_common(shim *s, const rn_create_opts *o, rn_spec **spec_out, char **dir_out, rn_error *err) {
  rn_spec *spec = rn_spec_load(o->bundle, err);
  if (spec == NULL) return -1;
  if (!spec->namespaces[RN_NS_MNT].enabled || spec->namespaces[RN_NS_MNT].path) {
    rn_spec_free(spec);
    return rn_fail(err, 0, "config.json: linux.namespaces: a new mount namespace is required");
  }
  if (rn_state_prepare_root(o->root, err) < 0) {
    rn_spec_free(spec);
    return -1;
  }
  char *dir = rn_state_create_dir(o->root, o->id, err);
  if (dir == NULL) {
    rn_spec_free(spec);
    return -1;
  }
  memset(s, 0, sizeof(*s));
  s->dir = dir;
  s->id = o->id;
  s->spec = spec;
  s->bundle = o->bundle;
  s->out_fd = s->err_fd = s->sync_fd = s->listen_fd = s->sig_fd = s->report_fd = -1;
  rn_now_rfc3339(s->created, sizeof(s->created));
  /* exec reads the process defaults from this copy, whatever happens to the bundle later. */
  cleanup_free char *src = xasprintf("%s/config.json", o->bundle);
  cleanup_free char *dst = xasprintf("%s/config.json", dir);
  if (link(src, dst) < 0) {
    rn_json *doc = rn_json_parse_file(src, RN_SPEC_MAX_BYTES, err);
    if (doc == NULL) goto fail;
    rn_json_free(doc);
    FILE *in = fopen(src, "re");
    if (in == NULL) {
      rn_fail(err, errno, "read `%s`", src);
      goto fail;
    }
    rn_buf b;
    rn_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) rn_buf_append(&b, chunk, n);
    fclose(in);
    int r = rn_write_file_atomic(dir, "config.json", b.data, b.len, err);
    rn_buf_free(&b);
    if (r < 0) goto fail;
  }
  const char *cg_path = spec->cgroups_path ? spec->cgroups_path : NULL;
  cleanup_free char *default_cg = xasprintf("swarm-runtime/%s", o->id);
  if (rn_cgroup_init(&s->cg, o->layout, cg_path ? cg_path + (cg_path[0] == '/') : default_cg, err) < 0) goto fail;
  *spec_out = spec;
  *dir_out = dir;
  return 0;
fail : {
  rn_error ignored;
  rn_remove_tree(dir, &ignored);
  free(dir);
  rn_spec_free(spec);
  s->dir = NULL;
  return -1;
}
}

static void abandon(shim *s, rn_spec *spec, char *dir) {
  rn_error ignored;
  rn_remove_tree(dir, &ignored);
  rn_cgroup_release(&s->cg);
  free(dir);
  rn_spec_free(spec);
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
  return rn_write_file_atomic(dir, name, text, (size_t)n, err);
}

/* The detached shim of `create`: never returns. */
__attribute__((noreturn)) static void shim_main(shim *s, const rn_create_opts *o) {
  rn_error err;
  rn_error_reset(&err);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  daemon_stdio();
  sigset_t old;
  cleanup_free char *cache = xasprintf("%s/.seccomp-cache", o->root);
  rn_bpf prog = {0};
  if (block_signals(s, &old, &err) < 0) goto fail;
  if (s->spec->has_seccomp && rn_seccomp_compile(&s->spec->seccomp, cache, &prog, &err) < 0) goto fail;
  cleanup_free char *default_log = xasprintf("%s/container.log", s->dir);
  s->log_path = o->container_log ? o->container_log : default_log;
  if (rn_log_open(&s->log, s->log_path, o->log_max_bytes, o->log_max_files, &err) < 0) goto fail;
  s->has_log = true;
  int outp[2], errp[2];
  if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    rn_fail(&err, errno, "pipe");
    goto fail;
  }
  int devnull = open_devnull();
  int stdio[3] = {devnull, outp[1], errp[1]};
  if ((s->listen_fd = listen_socket(s->dir, &err)) < 0) goto fail;
  if (launch(s, s->spec->has_seccomp ? &prog : NULL, &old, stdio, &err) < 0) goto fail;
  close(outp[1]);
  close(errp[1]);
  close(devnull);
  s->out_fd = outp[0];
  s->err_fd = errp[0];
  fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
  fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
  write_state(s, "created");
  report ok = {.ok = 1, .pid = s->pid};
  send_report(s->report_fd, &ok);
  close(s->report_fd);
  s->report_fd = -1;
  rn_exit ex;
  serve(s, &ex);
  finish(s, &ex);
  _exit(0);
fail:
  if (s->has_log) rn_log_close(&s->log);
  report_error(s, &err);
  _exit(1);
}

int rn_container_create(const rn_create_opts *o, rn_error *err) {
  shim s;
  rn_spec *spec = NULL;
  char *dir = NULL;
  if (prepare_common(&s, o, &spec, &dir, err) < 0) return -1;
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) < 0) {
    rn_fail(err, errno, "pipe");
    abandon(&s, spec, dir);
    return -1;
  }
  pid_t mid = fork();
  if (mid < 0) {
    rn_fail(err, errno, "fork the shim");
    close(rp[0]);
    close(rp[1]);
    abandon(&s, spec, dir);
    return -1;
  }
  if (mid == 0) {
    /* The intermediate process: a new session, then the shim as its child, then exit, so that the shim
     * is re-parented away from the caller and outlives it. */
    close(rp[0]);
    setsid();
    pid_t shim_pid = fork();
    if (shim_pid != 0) _exit(shim_pid < 0 ? 1 : 0);
    s.report_fd = rp[1];
    shim_main(&s, o);
  }
  close(rp[1]);
  waitpid(mid, NULL, 0);
  report r;
  ssize_t n;
  do n = read(rp[0], &r, sizeof(r));
  while (n < 0 && errno == EINTR);
  close(rp[0]);
  if (n != (ssize_t)sizeof(r)) {
    rn_fail(err, 0, "the shim exited before it reported");
    abandon(&s, spec, dir);
    return -1;
  }
  if (!r.ok) {
    err->status = r.status;
    snprintf(err->msg, sizeof(err->msg), "%s", r.msg);
    abandon(&s, spec, dir);
    return -1;
  }
  if (o->pid_file && write_pid_file(o->pid_file, r.pid, err) < 0) {
    kill(r.pid, SIGKILL);
    rn_error_wrap(err, "--pid-file");
    rn_cgroup_release(&s.cg);
    free(dir);
    rn_spec_free(spec);
    return -1;
  }
  rn_cgroup_release(&s.cg);
  free(dir);
  rn_spec_free(spec);
  return 0;
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
  int fd = connect_socket(st.dir, err);
  rn_state_free(&st);
  if (fd < 0) return -1;
  int r = 0;
  if (send(fd, "start\n", 6, MSG_NOSIGNAL) != 6) {
    r = rn_fail(err, errno, "talk to the shim");
  } else {
    char buf[RN_ERROR_MAX + 8];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
      len += (size_t)n;
      if (memchr(buf, '\n', len)) break;
    }
    buf[len] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    if (strcmp(buf, "ok") != 0)
      r = rn_fail(err, 0, "%s", strncmp(buf, "err ", 4) == 0 ? buf + 4 : "the shim did not answer");
  }
  close(fd);
  return r;
}

int rn_container_run(const rn_create_opts *o, int *exit_code, rn_error *err) {
  if (o->detach) {
    if (rn_container_create(o, err) < 0) return -1;
    if (rn_container_start(o->root, o->id, err) < 0) return -1;
    *exit_code = 0;
    return 0;
  }
  shim s;
  rn_spec *spec = NULL;
  char *dir = NULL;
  if (prepare_common(&s, o, &spec, &dir, err) < 0) return -1;
  s.foreground = true;
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigset_t old;
  cleanup_free char *cache = xasprintf("%s/.seccomp-cache", o->root);
  rn_bpf prog = {0};
  int stdio[3] = {-1, -1, -1};
  if (block_signals(&s, &old, err) < 0) goto fail;
  if (spec->has_seccomp && rn_seccomp_compile(&spec->seccomp, cache, &prog, err) < 0) goto fail;
  if (launch(&s, spec->has_seccomp ? &prog : NULL, &old, stdio, err) < 0) goto fail;
  write_state(&s, "created");
  if (o->pid_file && write_pid_file(o->pid_file, s.pid, err) < 0) {
    rn_error_wrap(err, "--pid-file");
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
    goto fail_cg;
  }
  rn_sync_msg m;
  if (rn_sync_send(s.sync_fd, RN_SYNC_START) < 0) {
    rn_fail(err, errno, "start the container's init");
    goto fail_cg;
  }
  int got = rn_sync_recv(s.sync_fd, &m, 30000);
  close(s.sync_fd);
  s.sync_fd = -1;
  if (got != 0) {
    if (got == 1 && m.type == RN_SYNC_ERROR) {
      err->status = m.status;
      snprintf(err->msg, sizeof(err->msg), "%s", m.msg);
    } else {
      rn_fail(err, 0, "the container's init died before it ran its program");
    }
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
    goto fail_cg;
  }
  s.started = true;
  write_state(&s, "running");
  rn_exit ex;
  serve(&s, &ex);
  finish(&s, &ex);
  *exit_code = ex.exit_code;
  rn_bpf_free(&prog);
  {
    rn_error ignored;
    s.cg.driver->destroy(&s.cg, &ignored);
  }
  abandon(&s, spec, dir);
  return 0;
fail_cg : {
  rn_error ignored;
  s.cg.driver->destroy(&s.cg, &ignored);
}
fail:
  rn_bpf_free(&prog);
  abandon(&s, spec, dir);
  return -1;
}

/* ---- wrapping another runtime ---- */

static void adopt_wrapped(shim *s, int wstatus) {
  s->runtime_pid = -1;
  rn_error err;
  rn_error_reset(&err);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    /* Whatever the runtime printed is the reason. */
    char *text = s->runtime_stderr.data ? s->runtime_stderr.data : "";
    size_t len = s->runtime_stderr.len;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    rn_fail(&err, 0, "the runtime's create failed (%s %d): %.*s", WIFEXITED(wstatus) ? "exit status" : "signal",
            WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus), (int)len, text);
    report_error(s, &err);
    s->exited = true; /* nothing to watch: the shim ends */
    s->wstatus = wstatus;
    return;
  }
  cleanup_free char *pid_path = xasprintf("%s/pid", s->dir);
  FILE *f = fopen(pid_path, "re");
  int pid = 0;
  if (f == NULL || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
    if (f) fclose(f);
    rn_fail(&err, 0, "the runtime's create did not write `%s`", pid_path);
    report_error(s, &err);
    s->exited = true;
    return;
  }
  fclose(f);
  s->pid = pid;
  s->pid_start = rn_proc_starttime(pid);
  /* The runtime made the cgroup during its create: only now can the OOM counter be watched. */
  if (s->has_cg && s->cg.driver->oom_watch(&s->cg, &err) < 0) {
    rn_error_reset(&err);
    s->has_cg = false;
  }
  for (size_t i = 0; i < s->n_reaped; i++) {
    if (s->reaped[i].pid == pid) {
      s->exited = true;
      s->wstatus = s->reaped[i].wstatus;
    }
  }
  write_state(s, "created");
  rn_buf_free(&s->runtime_stderr);
  report ok = {.ok = 1, .pid = pid};
  send_report(s->report_fd, &ok);
  close(s->report_fd);
  s->report_fd = -1;
}

__attribute__((noreturn)) static void wrap_main(shim *s, const rn_wrap_opts *o) {
  rn_error err;
  rn_error_reset(&err);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  daemon_stdio();
  sigset_t old;
  if (block_signals(s, &old, &err) < 0) goto fail;
  cleanup_free char *default_log = xasprintf("%s/container.log", s->dir);
  s->log_path = o->container_log ? o->container_log : default_log;
  if (rn_log_open(&s->log, s->log_path, o->log_max_bytes, o->log_max_files, &err) < 0) goto fail;
  s->has_log = true;
  if (o->cgroup_path) {
    if (rn_cgroup_open(&s->cg, o->layout, o->cgroup_path + (o->cgroup_path[0] == '/'), &err) == 0) {
      s->has_cg = true;
    }
  }
  int outp[2], errp[2];
  if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    rn_fail(&err, errno, "pipe");
    goto fail;
  }
  if ((s->listen_fd = listen_socket(s->dir, &err)) < 0) goto fail;
  cleanup_free char *pid_path = xasprintf("%s/pid", s->dir);
  pid_t child = fork();
  if (child < 0) {
    rn_fail(&err, errno, "fork the runtime");
    goto fail;
  }
  if (child == 0) {
    reset_signals_for_child(&old);
    int devnull = open_devnull();
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
  serve(s, &ex);
  if (s->pid > 0) finish(s, &ex);
  _exit(0);
fail:
  if (s->has_log) rn_log_close(&s->log);
  report_error(s, &err);
  _exit(1);
}

int rn_container_wrap(const rn_wrap_opts *o, rn_error *err) {
  if (o->state_dir[0] != '/') return rn_fail(err, 0, "--state-dir: must be an absolute path");
  if (mkdir(o->state_dir, 0700) < 0) return rn_fail(err, errno, "--state-dir: create `%s`", o->state_dir);
  shim s;
  memset(&s, 0, sizeof(s));
  s.dir = o->state_dir;
  s.id = o->id;
  s.bundle = o->bundle;
  s.out_fd = s.err_fd = s.sync_fd = s.listen_fd = s.sig_fd = s.report_fd = -1;
  rn_now_rfc3339(s.created, sizeof(s.created));
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) < 0) {
    rn_error ignored;
    rn_remove_tree(o->state_dir, &ignored);
    return rn_fail(err, errno, "pipe");
  }
  pid_t mid = fork();
  if (mid == 0) {
    close(rp[0]);
    setsid();
    pid_t shim_pid = fork();
    if (shim_pid != 0) _exit(shim_pid < 0 ? 1 : 0);
    s.report_fd = rp[1];
    wrap_main(&s, o);
  }
  close(rp[1]);
  if (mid > 0) waitpid(mid, NULL, 0);
  report r;
  ssize_t n;
  do n = read(rp[0], &r, sizeof(r));
  while (n < 0 && errno == EINTR);
  close(rp[0]);
  if (n != (ssize_t)sizeof(r) || !r.ok) {
    if (n == (ssize_t)sizeof(r)) {
      err->status = r.status;
      snprintf(err->msg, sizeof(err->msg), "%s", r.msg);
    } else {
      rn_fail(err, 0, "the shim exited before it reported");
    }
    rn_error ignored;
    rn_remove_tree(o->state_dir, &ignored);
    return -1;
  }
  return 0;
}
