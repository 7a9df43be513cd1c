#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

/* How long the shim keeps reading output after the init died, for processes that escaped a missing pid
 * namespace and still hold the pipes. */
#define DRAIN_MS 500

static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void rn_shim_init(rn_shim *s, const char *dir, const char *id, const char *bundle) {
  memset(s, 0, sizeof(*s));
  s->dir = dir;
  s->id = id;
  s->bundle = bundle;
  s->out_fd = s->err_fd = s->sync_fd = s->listen_fd = s->sig_fd = s->report_fd = s->lock_fd = -1;
  s->cg.oom_fd = s->cg.oom_aux_fd = -1;
  rn_now_rfc3339(s->created, sizeof(s->created));
}

int rn_shim_block_signals(rn_shim *s, sigset_t *old, rn_error *err) {
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

static int cmp_int(const void *a, const void *b) {
  return *(const int *)a - *(const int *)b;
}

void rn_shim_detach(rn_shim *s) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  /* Whatever else the caller left open must not live on in the shim for the container's whole life. */
  int keep[2] = {s->report_fd, s->lock_fd};
  qsort(keep, 2, sizeof(int), cmp_int);
  unsigned from = 3;
  for (int i = 0; i < 2; i++) {
    if (keep[i] < (int)from) continue;
    if ((unsigned)keep[i] > from) syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
    from = (unsigned)keep[i] + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0);
}

void rn_shim_write_state(rn_shim *s, const char *status) {
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
  if (s->cg.path) {
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

int rn_shim_listen(rn_shim *s, rn_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" RN_SHIM_SOCK, s->dir);
  if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
    return rn_fail_code(err, ENAMETOOLONG, "shim socket `%s/" RN_SHIM_SOCK "`: the path is longer than %zu bytes",
                        s->dir, sizeof(addr.sun_path) - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return rn_fail(err, errno, "shim socket");
  unlink(addr.sun_path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, SOMAXCONN) < 0) {
    int e = errno;
    close(fd);
    return rn_fail(err, e, "shim socket `%s`", addr.sun_path);
  }
  s->listen_fd = fd;
  return 0;
}

static void send_report(rn_shim *s, const rn_report *r) {
  if (s->report_fd >= 0) {
    ssize_t n;
    do n = write(s->report_fd, r, sizeof(*r));
    while (n < 0 && errno == EINTR);
    close(s->report_fd);
    s->report_fd = -1;
  }
  if (s->lock_fd >= 0) {
    close(s->lock_fd);
    s->lock_fd = -1;
  }
}

void rn_shim_report_ok(rn_shim *s) {
  rn_report r = {.ok = 1, .pid = s->pid};
  send_report(s, &r);
}

void rn_shim_report_error(rn_shim *s, const rn_error *err) {
  rn_report r = {.ok = 0, .status = err->status};
  snprintf(r.msg, sizeof(r.msg), "%s", err->msg);
  send_report(s, &r);
}

static void exit_record(rn_shim *s, rn_exit *ex) {
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
static void handle_start(rn_shim *s, int client) {
  if (s->sync_fd < 0) {
    reply(client, s->spec ? "err container already started\n" : "err this container is started through its own runtime\n");
    return;
  }
  if (s->exited) {
    reply(client, "err container has stopped\n");
    return;
  }
  rn_sync_msg m;
  if (rn_sync_send(s->sync_fd, RN_SYNC_START) < 0) {
    reply(client, "err the container's init is gone\n");
    return;
  }
  int r = rn_sync_recv(s->sync_fd, &m, 30000);
  close(s->sync_fd);
  s->sync_fd = -1;
  if (r == 0) {
    s->started = true;
    rn_shim_write_state(s, "running");
    reply(client, "ok\n");
    return;
  }
  char buf[RN_ERROR_MAX + 8];
  snprintf(buf, sizeof(buf), "err %s\n", r == 1 && m.type == RN_SYNC_ERROR ? m.msg : "the container's init is gone");
  reply(client, buf);
}

static void add_fd(int **list, size_t *n, int fd) {
  *list = xrealloc(*list, (*n + 1) * sizeof(int));
  (*list)[(*n)++] = fd;
}

/* A connected client's request, read once it is readable (the loop never blocks on a silent client). */
static void handle_request(rn_shim *s, int client) {
  char req[64];
  ssize_t n = recv(client, req, sizeof(req) - 1, MSG_DONTWAIT);
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
  } else if (strcmp(req, "wait") == 0) {
    add_fd(&s->waiters, &s->n_waiters, client);
  } else {
    reply(client, "err unknown request\n");
    close(client);
  }
}

static void read_output(rn_shim *s, int *fd, int stream) {
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

/* Wrap mode: the runtime's `create` exited; on success the container's pid is in the pid file. */
static void adopt_wrapped(rn_shim *s, int wstatus) {
  /* The runtime wrote its reason before it exited, but the exit may be seen before the pipe is read:
     take what is already in it (without waiting: the container's init may hold the pipe open). */
  for (int i = 0; i < 64 && s->err_fd >= 0; i++) {
    struct pollfd p = {s->err_fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) break;
    read_output(s, &s->err_fd, RN_LOG_STDERR);
  }
  s->runtime_pid = -1;
  rn_error err;
  rn_error_reset(&err);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    /* Whatever the runtime printed is the reason. */
    const char *text = s->runtime_stderr.data ? s->runtime_stderr.data : "";
    size_t len = s->runtime_stderr.len;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    rn_fail(&err, 0, "the runtime's create failed (%s %d): %.*s", WIFEXITED(wstatus) ? "exit status" : "signal",
            WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus), (int)len, text);
    rn_shim_report_error(s, &err);
    s->exited = true; /* nothing to watch: the shim ends */
    s->wstatus = wstatus;
    return;
  }
  FILE *f = fopen(s->pid_file, "re");
  int pid = 0;
  if (f == NULL || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
    if (f) fclose(f);
    rn_fail(&err, 0, "the runtime's create did not write `%s`", s->pid_file);
    rn_shim_report_error(s, &err);
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
  rn_shim_write_state(s, "created");
  rn_buf_free(&s->runtime_stderr);
  rn_shim_report_ok(s);
}

/* Reaps every exited child: the container's init, the wrapped runtime, and orphans we adopted. */
static void reap(rn_shim *s) {
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
      s->reaped[s->n_reaped++] = (rn_orphan){p, ws};
    }
  }
}

static void handle_signals(rn_shim *s) {
  struct signalfd_siginfo si;
  while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
    if ((int)si.ssi_signo == SIGCHLD) continue;
    if (s->pid > 0 && !s->exited) kill(s->pid, (int)si.ssi_signo);
  }
  reap(s);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rn_shim_serve(rn_shim *s, rn_exit *ex) {
  int64_t drain_deadline = -1;
  struct pollfd *fds = NULL;
  for (;;) {
    if (s->exited && drain_deadline < 0) drain_deadline = now_ms() + DRAIN_MS;
    if (s->exited && s->out_fd < 0 && s->err_fd < 0) break;
    int timeout = -1;
    if (drain_deadline >= 0) {
      int64_t now = now_ms();
      if (now >= drain_deadline) break;
      timeout = (int)(drain_deadline - now);
    }
    fds = xrealloc(fds, (4 + s->n_waiters + s->n_pending) * sizeof(*fds));
    nfds_t nf = 0;
    int i_sig = -1, i_listen = -1, i_out = -1, i_err = -1;
    if (s->sig_fd >= 0) fds[i_sig = (int)nf++] = (struct pollfd){s->sig_fd, POLLIN, 0};
    if (s->listen_fd >= 0) fds[i_listen = (int)nf++] = (struct pollfd){s->listen_fd, POLLIN, 0};
    if (s->out_fd >= 0) fds[i_out = (int)nf++] = (struct pollfd){s->out_fd, POLLIN, 0};
    if (s->err_fd >= 0) fds[i_err = (int)nf++] = (struct pollfd){s->err_fd, POLLIN, 0};
    nfds_t first_waiter = nf;
    /* A waiter that hangs up is dropped, so abandoned waits never pile up. */
    for (size_t w = 0; w < s->n_waiters; w++) fds[nf++] = (struct pollfd){s->waiters[w], POLLRDHUP, 0};
    nfds_t first_pending = nf;
    for (size_t p = 0; p < s->n_pending; p++) fds[nf++] = (struct pollfd){s->pending[p], POLLIN, 0};
    int r = poll(fds, nf, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    size_t kept = 0;
    for (size_t w = 0; w < s->n_waiters; w++) {
      if (fds[first_waiter + w].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) close(s->waiters[w]);
      else s->waiters[kept++] = s->waiters[w];
    }
    s->n_waiters = kept;
    /* Requests are handled after the lists are compacted: a request may add a waiter. */
    size_t n_ready = 0, still = 0;
    int *ready = s->n_pending ? xmalloc(s->n_pending * sizeof(int)) : NULL;
    for (size_t p = 0; p < s->n_pending; p++) {
      if (fds[first_pending + p].revents) ready[n_ready++] = s->pending[p];
      else s->pending[still++] = s->pending[p];
    }
    s->n_pending = still;
    for (size_t p = 0; p < n_ready; p++) handle_request(s, ready[p]);
    free(ready);
    if (i_sig >= 0 && fds[i_sig].revents) handle_signals(s);
    if (i_out >= 0 && fds[i_out].revents) read_output(s, &s->out_fd, RN_LOG_STDOUT);
    if (i_err >= 0 && fds[i_err].revents) read_output(s, &s->err_fd, RN_LOG_STDERR);
    if (i_listen >= 0 && (fds[i_listen].revents & POLLIN)) {
      int c;
      while ((c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
        add_fd(&s->pending, &s->n_pending, c);
    }
  }
  free(fds);
  exit_record(s, ex);
}

void rn_shim_finish(rn_shim *s, const rn_exit *ex) {
  if (s->has_log) rn_log_close(&s->log);
  s->has_log = false;
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
  /* Clients that connected but whose request had not arrived yet get their answer too. */
  for (size_t i = 0; i < s->n_pending; i++) {
    char req[64];
    struct pollfd p = {.fd = s->pending[i], .events = POLLIN};
    ssize_t n = poll(&p, 1, 200) == 1 ? recv(s->pending[i], req, sizeof(req) - 1, MSG_DONTWAIT) : -1;
    if (n > 0) {
      req[n] = '\0';
      reply(s->pending[i], strncmp(req, "wait", 4) == 0 ? b.data : "err container has stopped\n");
    }
  }
  rn_buf_free(&b);
  free(s->waiters);
  s->waiters = NULL;
  s->n_waiters = 0;
  for (size_t i = 0; i < s->n_pending; i++) close(s->pending[i]);
  free(s->pending);
  s->pending = NULL;
  s->n_pending = 0;
  if (s->listen_fd >= 0) {
    cleanup_free char *sock = xasprintf("%s/" RN_SHIM_SOCK, s->dir);
    unlink(sock);
    close(s->listen_fd);
    s->listen_fd = -1;
  }
}
