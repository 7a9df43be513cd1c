#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.h"
#include "seccomp.h"
#include "spec.h"
#include "state.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int pidfd_of(pid_t pid, uint64_t start, rn_error *err) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return rn_fail(err, errno, "pidfd_open %d", pid);
  /* Checked after opening the pidfd: from here the pid cannot be reused under us. */
  if (!rn_proc_alive(pid, start)) {
    close(fd);
    return rn_fail(err, ESRCH, "process %d", pid);
  }
  return fd;
}

static void state_json(const rn_state *st, rn_status status, rn_buf *b) {
  rn_buf_puts(b, "{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": ");
  rn_buf_json_string(b, st->id, strlen(st->id));
  rn_buf_printf(b, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ",
                status == RN_STATUS_STOPPED ? 0 : st->pid, rn_status_name(status));
  const char *bundle = st->bundle ? st->bundle : "";
  rn_buf_json_string(b, bundle, strlen(bundle));
  const char *rootfs = st->rootfs ? st->rootfs : "";
  rn_buf_puts(b, ",\n  \"rootfs\": ");
  rn_buf_json_string(b, rootfs, strlen(rootfs));
  const char *created = st->created ? st->created : "";
  rn_buf_puts(b, ",\n  \"created\": ");
  rn_buf_json_string(b, created, strlen(created));
  rn_buf_puts(b, ",\n  \"owner\": \"\"");
  const rn_json *cg = st->doc ? rn_json_get(st->doc, "cgroups") : NULL;
  if (cg && cg->type == RN_JSON_OBJECT) {
    rn_buf_puts(b, ",\n  \"cgroups\": {");
    for (size_t i = 0; i < cg->n; i++) {
      if (cg->items[i]->type != RN_JSON_STRING) continue;
      rn_buf_puts(b, i ? ", " : "");
      rn_buf_json_string(b, cg->keys[i], strlen(cg->keys[i]));
      rn_buf_puts(b, ": ");
      rn_buf_json_string(b, cg->items[i]->str, cg->items[i]->len);
    }
    rn_buf_puts(b, "}");
  }
  const rn_json *log = st->doc ? rn_json_get(st->doc, "containerLog") : NULL;
  if (log && log->type == RN_JSON_STRING) {
    rn_buf_puts(b, ",\n  \"containerLog\": ");
    rn_buf_json_string(b, log->str, log->len);
  }
  if (status == RN_STATUS_STOPPED) {
    rn_exit ex;
    rn_error ignored;
    if (rn_state_read_exit(st->dir, &ex, &ignored) == 0) {
      rn_buf_puts(b, ",\n  \"exit\": ");
      rn_exit_json(&ex, b);
    }
  }
  const rn_json *ann = st->doc ? rn_json_get(st->doc, "annotations") : NULL;
  if (ann && ann->type == RN_JSON_OBJECT && ann->n > 0) {
    rn_buf_puts(b, ",\n  \"annotations\": {");
    for (size_t i = 0; i < ann->n; i++) {
      if (ann->items[i]->type != RN_JSON_STRING) continue;
      rn_buf_puts(b, i ? ", " : "");
      rn_buf_json_string(b, ann->keys[i], strlen(ann->keys[i]));
      rn_buf_puts(b, ": ");
      rn_buf_json_string(b, ann->items[i]->str, ann->items[i]->len);
    }
    rn_buf_puts(b, "}");
  }
  rn_buf_puts(b, "\n}\n");
}

int rn_cmd_state(const char *root, const char *id, rn_error *err) {
  rn_state st;
  if (rn_state_load(root, id, &st, err) < 0) return -1;
  rn_buf b;
  rn_buf_init(&b);
  state_json(&st, rn_state_status(&st), &b);
  fwrite(b.data, 1, b.len, stdout);
  rn_buf_free(&b);
  rn_state_free(&st);
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int rn_cmd_list(const char *root, bool quiet, bool json, rn_error *err) {
  if (rn_state_check_root(root, err) < 0) {
    if (err->status != ENOENT) return -1;
    /* No root yet: no containers. */
    if (json) puts("[]");
    else if (!quiet) puts("NAME PID STATUS BUNDLE PATH CREATED");
    return 0;
  }
  DIR *d = opendir(root);
  if (d == NULL) return rn_fail(err, errno, "open state root `%s`", root);
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    names = xrealloc(names, (n + 1) * sizeof(*names));
    names[n++] = xstrdup(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(*names), compare_names);
  if (json) fputs("[", stdout);
  else if (!quiet) puts("NAME PID STATUS BUNDLE PATH CREATED");
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    rn_state st;
    rn_error ignored;
    if (rn_state_load(root, names[i], &st, &ignored) == 0) {
      rn_status status = rn_state_status(&st);
      if (quiet) {
        puts(st.id);
      } else if (json) {
        rn_buf b;
        rn_buf_init(&b);
        state_json(&st, status, &b);
        if (!first) fputs(",", stdout);
        fwrite(b.data, 1, b.len - 1, stdout);
        rn_buf_free(&b);
        first = false;
      } else {
        printf("%s %d %s %s %s\n", st.id, status == RN_STATUS_STOPPED ? 0 : st.pid, rn_status_name(status),
               st.bundle ? st.bundle : "-", st.created ? st.created : "-");
      }
      rn_state_free(&st);
    }
    free(names[i]);
  }
  free(names);
  if (json) puts("]");
  return 0;
}

static int open_cgroup(const rn_state *st, const rn_cgroup_layout *layout, rn_cgroup *cg, rn_error *err) {
  if (st->cgroup_path == NULL) return rn_fail(err, 0, "container `%s` has no recorded cgroup", st->id);
  return rn_cgroup_open(cg, layout, st->cgroup_path, err);
}

int rn_cmd_kill(const char *root, const char *id, int sig, bool all, const rn_cgroup_layout *layout, rn_error *err) {
  rn_state st;
  if (rn_state_load(root, id, &st, err) < 0) return -1;
  int r = 0;
  rn_status status = rn_state_status(&st);
  if (status != RN_STATUS_CREATED && status != RN_STATUS_RUNNING) {
    r = rn_fail(err, 0, "container `%s` is not running: it is %s", id, rn_status_name(status));
  } else if (all) {
    rn_cgroup cg;
    if ((r = open_cgroup(&st, layout, &cg, err)) == 0) {
      r = cg.driver->signal_all(&cg, sig, err);
      rn_cgroup_release(&cg);
    }
  } else {
    int fd = pidfd_of(st.pid, st.pid_start, err);
    if (fd < 0) {
      r = -1;
    } else {
      if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0) r = rn_fail(err, errno, "kill container `%s`", id);
      close(fd);
    }
  }
  rn_state_free(&st);
  return r;
}

/* Waits until the shim (not our child) has exited, through a pidfd. */
static void wait_shim(const rn_state *st, int timeout_ms) {
  if (st->shim_pid <= 0) return;
  rn_error ignored;
  int fd = pidfd_of(st->shim_pid, st->shim_start, &ignored);
  if (fd < 0) return;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
  }
  close(fd);
}

/* A directory whose create died before its shim wrote state.json: remove the cgroup the config names
 * (killing anything in it) and the directory. */
static int delete_remnant(const char *root, const rn_state *st, const rn_cgroup_layout *layout, rn_error *err) {
  cleanup_free char *cfg = xasprintf("%s/config.json", st->dir);
  rn_json *doc = rn_json_parse_file(cfg, RN_SPEC_MAX_BYTES, err);
  const rn_json *linux_ = doc ? rn_json_get(doc, "linux") : NULL;
  const rn_json *cgp = linux_ ? rn_json_get(linux_, "cgroupsPath") : NULL;
  cleanup_free char *path = rn_state_cgroup_path(root, st->id, cgp && cgp->type == RN_JSON_STRING ? cgp->str : NULL);
  rn_json_free(doc);
  rn_error_reset(err);
  rn_cgroup cg;
  if (rn_cgroup_open(&cg, layout, path, err) == 0) {
    int r = cg.driver->destroy(&cg, err);
    rn_cgroup_release(&cg);
    if (r < 0) return -1;
  }
  return rn_remove_tree(st->dir, err);
}

int rn_cmd_delete(const char *root, const char *id, bool force, const rn_cgroup_layout *layout, rn_error *err) {
  rn_state st;
  if (rn_state_load(root, id, &st, err) < 0) {
    /* As crun and runc: forcing the delete of a container that is not there is not an error. */
    if (force && err->status == ENOENT) {
      rn_error_reset(err);
      return 0;
    }
    return -1;
  }
  /* Wait for a create in progress to finish (or fail) before looking at the container again. */
  cleanup_close int lock = rn_state_lock(st.dir, 30000, err);
  rn_state_free(&st);
  if (lock < 0) return -1;
  if (rn_state_load(root, id, &st, err) < 0) {
    if (err->status == ENOENT) {
      /* The create failed and cleaned up while we waited. */
      rn_error_reset(err);
      return force ? 0 : rn_fail_code(err, ENOENT, "container `%s` does not exist", id);
    }
    return -1;
  }
  rn_status status = rn_state_status(&st);
  int r = 0;
  if (status == RN_STATUS_CREATING) {
    r = delete_remnant(root, &st, layout, err);
    rn_state_free(&st);
    return r;
  }
  if (status == RN_STATUS_RUNNING && !force) {
    rn_fail(err, 0, "cannot delete container `%s`: it is running (stop it first, or use --force)", id);
    rn_state_free(&st);
    return -1;
  }
  rn_cgroup cg;
  bool has_cg = false;
  if (st.cgroup_path) {
    if (open_cgroup(&st, layout, &cg, err) < 0) {
      rn_state_free(&st);
      return -1;
    }
    has_cg = true;
  }
  if (status != RN_STATUS_STOPPED) {
    /* A created container (as crun allows) or a running one with --force: its init and everything in its
     * cgroup go first. */
    rn_error ignored;
    if (has_cg) cg.driver->signal_all(&cg, SIGKILL, &ignored);
    if (st.pid > 0 && rn_proc_alive(st.pid, st.pid_start)) kill(st.pid, SIGKILL);
  }
  /* The shim records the end and exits on its own once the init is gone; let it finish writing before the
   * directory goes away. */
  wait_shim(&st, 5000);
  if (has_cg) {
    r = cg.driver->destroy(&cg, err);
    rn_cgroup_release(&cg);
  }
  if (r == 0) r = rn_remove_tree(st.dir, err);
  rn_state_free(&st);
  return r;
}

/* ---- exec ---- */

static char **merge_env(char **base, char **extra) {
  size_t nb = 0, ne = 0;
  while (base && base[nb]) nb++;
  while (extra && extra[ne]) ne++;
  char **out = xcalloc(nb + ne + 1, sizeof(char *));
  size_t k = 0;
  for (size_t i = 0; i < nb; i++) {
    const char *eq = strchr(base[i], '=');
    size_t klen = eq ? (size_t)(eq - base[i]) : strlen(base[i]);
    bool overridden = false;
    for (size_t j = 0; j < ne; j++)
      if (strncmp(extra[j], base[i], klen) == 0 && extra[j][klen] == '=') overridden = true;
    if (!overridden) out[k++] = base[i];
  }
  for (size_t j = 0; j < ne; j++) out[k++] = extra[j];
  return out;
}

static const struct {
  rn_ns_type type;
  int flag;
} NS_FLAGS[] = {
    {RN_NS_IPC, CLONE_NEWIPC},       {RN_NS_UTS, CLONE_NEWUTS}, {RN_NS_NET, CLONE_NEWNET},
    {RN_NS_PID, CLONE_NEWPID},       {RN_NS_CGROUP, CLONE_NEWCGROUP}, {RN_NS_MNT, CLONE_NEWNS},
};

int rn_cmd_exec(const char *root, const char *id, const rn_exec_opts *o, const rn_cgroup_layout *layout,
                int *exit_code, rn_error *err) {
  (void)layout;
  rn_state st;
  if (rn_state_load(root, id, &st, err) < 0) return -1;
  int r = -1;
  rn_spec *spec = NULL;
  char **env = NULL;
  int procs[RN_CG_COUNT + 1];
  size_t n_procs = 0;
  int pidfd = -1;
  rn_bpf prog = {0};
  rn_status status = rn_state_status(&st);
  if (status != RN_STATUS_RUNNING && status != RN_STATUS_CREATED) {
    rn_fail(err, 0, "container `%s` is not running: it is %s", id, rn_status_name(status));
    goto out;
  }
  {
    cleanup_free char *cfg = xasprintf("%s/config.json", st.dir);
    rn_json *doc = rn_json_parse_file(cfg, RN_SPEC_MAX_BYTES, err);
    if (doc == NULL) goto out;
    spec = rn_spec_from_json(doc, st.bundle ? st.bundle : "/", err);
    rn_json_free(doc);
    if (spec == NULL) goto out;
  }
  rn_process proc = spec->process;
  proc.args = o->args;
  env = merge_env(spec->process.env, o->env);
  proc.env = env;
  if (o->cwd) proc.cwd = (char *)o->cwd;
  if (o->has_user) {
    proc.uid = o->uid;
    proc.gid = o->gid;
    proc.additional_gids = NULL;
    proc.n_additional_gids = 0;
  }
  if (spec->has_seccomp) {
    cleanup_free char *cache = xasprintf("%s/.seccomp-cache", root);
    if (rn_seccomp_compile(&spec->seccomp, cache, &prog, err) < 0) goto out;
  }
  /* The cgroup files must be opened while we still see the host's /sys. */
  const rn_json *cgs = st.doc ? rn_json_get(st.doc, "cgroups") : NULL;
  for (size_t i = 0; cgs && cgs->type == RN_JSON_OBJECT && i < cgs->n && n_procs < ARRAY_LEN(procs); i++) {
    if (cgs->items[i]->type != RN_JSON_STRING) continue;
    cleanup_free char *path = xasprintf("%s/cgroup.procs", cgs->items[i]->str);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      rn_fail(err, errno, "join the container's cgroup `%s`", cgs->items[i]->str);
      goto out;
    }
    procs[n_procs++] = fd;
  }
  pidfd = pidfd_of(st.pid, st.pid_start, err);
  if (pidfd < 0) goto out;
  int flags = 0;
  for (size_t i = 0; i < ARRAY_LEN(NS_FLAGS); i++)
    if (spec->namespaces[NS_FLAGS[i].type].enabled) flags |= NS_FLAGS[i].flag;
  sigset_t set, old;
  sigemptyset(&set);
  int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < ARRAY_LEN(fwd); i++) sigaddset(&set, fwd[i]);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, &old);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (flags && setns(pidfd, flags) < 0) {
    rn_fail(err, errno, "enter the namespaces of container `%s`", id);
    goto out;
  }
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0) {
    rn_fail(err, errno, "pipe");
    goto out;
  }
  pid_t child = fork();
  if (child < 0) {
    rn_fail(err, errno, "fork");
    goto out;
  }
  if (child == 0) {
    close(ep[0]);
    /* Until it runs its program, this process holds host fds and full privileges: nothing in the
     * container may ptrace it or read its /proc/<pid>/fd. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    rn_error cerr;
    rn_error_reset(&cerr);
    for (size_t i = 0; i < n_procs; i++) {
      if (write(procs[i], "0", 1) != 1) {
        rn_fail(&cerr, errno, "join the container's cgroups");
        goto child_fail;
      }
    }
    if (!proc.has_umask) umask(022);
    if (rn_process_prepare(&proc, &cerr) < 0) goto child_fail;
    char *exe = rn_process_find_executable(&proc, &cerr);
    if (exe == NULL) goto child_fail;
    if (rn_process_finalize(&proc, spec->has_seccomp ? &prog : NULL, &cerr) < 0) goto child_fail;
    /* Whatever the caller had open (beyond stdio) must not reach the container. */
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(exe, proc.args, proc.env);
    rn_fail(&cerr, errno, "exec `%s`", exe);
  child_fail: {
    ssize_t w = write(ep[1], cerr.msg, strlen(cerr.msg));
    (void)w;
    _exit(127);
  }
  }
  close(ep[1]);
  char msg[RN_ERROR_MAX];
  ssize_t got = read(ep[0], msg, sizeof(msg) - 1);
  close(ep[0]);
  int ws = 0;
  for (;;) {
    struct signalfd_siginfo si;
    if (sfd < 0 || read(sfd, &si, sizeof(si)) != sizeof(si)) {
      if (waitpid(child, &ws, 0) == child) break;
      continue;
    }
    if ((int)si.ssi_signo != SIGCHLD) {
      kill(child, (int)si.ssi_signo);
      continue;
    }
    if (waitpid(child, &ws, WNOHANG) == child) break;
  }
  if (got > 0) {
    msg[got] = '\0';
    rn_fail(err, 0, "%s", msg);
    goto out;
  }
  *exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  r = 0;
out:
  for (size_t i = 0; i < n_procs; i++) close(procs[i]);
  if (pidfd >= 0) close(pidfd);
  rn_bpf_free(&prog);
  free(env);
  rn_spec_free(spec);
  rn_state_free(&st);
  return r;
}
