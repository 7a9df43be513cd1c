#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int mkdir_p(const char *path) {
  char buf[4096];
  if (strlen(path) >= sizeof(buf)) return -1;
  strcpy(buf, path);
  for (char *s = buf + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
  return 0;
}

int rn_process_prepare(const rn_process *p, rn_error *err) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &rl) < 0) return rn_fail(err, errno, "process.rlimits[%zu]: setrlimit", i);
  }
  if (p->has_oom_score_adj) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return rn_fail(err, errno, "process.oomScoreAdj: open /proc/self/oom_score_adj");
    char v[16];
    int n = snprintf(v, sizeof(v), "%d", p->oom_score_adj);
    ssize_t w = write(fd, v, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n) return rn_fail(err, e, "process.oomScoreAdj: write %d", p->oom_score_adj);
  }
  if (p->has_umask) umask(p->umask);
  if (chdir(p->cwd) < 0) {
    if (errno != ENOENT || mkdir_p(p->cwd) < 0 || chdir(p->cwd) < 0)
      return rn_fail(err, errno, "process.cwd: chdir to `%s`", p->cwd);
  }
  return 0;
}

static bool is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *rn_process_find_executable(const rn_process *p, rn_error *err) {
  const char *prog = p->args[0];
  if (strchr(prog, '/')) {
    struct stat st;
    if (stat(prog, &st) < 0) {
      rn_fail(err, errno, "process.args[0]: exec `%s`", prog);
      return NULL;
    }
    if (!S_ISREG(st.st_mode) || access(prog, X_OK) < 0) {
      rn_fail(err, EACCES, "process.args[0]: exec `%s`", prog);
      return NULL;
    }
    return xstrdup(prog);
  }
  const char *path = NULL;
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp(p->env[i], "PATH=", 5) == 0) path = p->env[i] + 5;
  if (path == NULL) path = DEFAULT_PATH;
  const char *s = path;
  for (;;) {
    const char *end = strchr(s, ':');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    char *cand = len ? xasprintf("%.*s/%s", (int)len, s, prog) : xasprintf("./%s", prog);
    if (is_executable_file(cand)) return cand;
    free(cand);
    if (end == NULL) break;
    s = end + 1;
  }
  rn_fail_code(err, ENOENT, "process.args[0]: executable file `%s` not found in $PATH", prog);
  return NULL;
}

static int set_caps(const rn_capabilities *c, rn_error *err) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(c->effective >> (32 * i));
    data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
    data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return rn_fail(err, errno, "process.capabilities: capset");
  return 0;
}

int rn_process_finalize(const rn_process *p, const rn_bpf *prog, rn_error *err) {
  const rn_capabilities *c = &p->capabilities;
  int last = rn_cap_last_cap();
  /* The bounding set shrinks first, while CAP_SETPCAP is still held. */
  for (int cap = 0; cap <= last; cap++) {
    if (c->bounding & (1ull << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return rn_fail(err, errno, "process.capabilities.bounding: drop capability %d", cap);
  }
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the identity change may drop. */
  if (prog && !p->no_new_privileges && rn_seccomp_load(prog, err) < 0) return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return rn_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
    return rn_fail(err, errno, "process.user.additionalGids: setgroups");
  if (setresgid(p->gid, p->gid, p->gid) < 0) return rn_fail(err, errno, "process.user.gid: setgid %u", p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0) return rn_fail(err, errno, "process.user.uid: setuid %u", p->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return rn_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (set_caps(c, err) < 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return rn_fail(err, errno, "process.capabilities.ambient: clear");
  for (int cap = 0; cap <= last; cap++) {
    if (!(c->ambient & (1ull << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return rn_fail(err, errno, "process.capabilities.ambient: raise capability %d", cap);
  }
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return rn_fail(err, errno, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
  if (prog && p->no_new_privileges && rn_seccomp_load(prog, err) < 0) return -1;
  return 0;
}
