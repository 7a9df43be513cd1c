#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "mounts.h"
#include "process.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const int NS_FLAGS[RN_NS_COUNT] = {
    [RN_NS_PID] = CLONE_NEWPID, [RN_NS_NET] = CLONE_NEWNET,       [RN_NS_MNT] = CLONE_NEWNS,
    [RN_NS_IPC] = CLONE_NEWIPC, [RN_NS_UTS] = CLONE_NEWUTS,       [RN_NS_CGROUP] = CLONE_NEWCGROUP,
};
static const char *const NS_NAMES[RN_NS_COUNT] = {
    [RN_NS_PID] = "pid", [RN_NS_NET] = "network", [RN_NS_MNT] = "mount",
    [RN_NS_IPC] = "ipc", [RN_NS_UTS] = "uts",     [RN_NS_CGROUP] = "cgroup",
};

static int join_namespaces(const rn_spec *spec, rn_error *err) {
  for (int t = 0; t < RN_NS_COUNT; t++) {
    const rn_namespace *ns = &spec->namespaces[t];
    if (!ns->enabled || ns->path == NULL) continue;
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rn_fail(err, errno, "linux.namespaces: open %s namespace `%s`", NS_NAMES[t], ns->path);
    int r = setns(fd, NS_FLAGS[t]);
    int e = errno;
    close(fd);
    if (r < 0) return rn_fail(err, e, "linux.namespaces: join %s namespace `%s`", NS_NAMES[t], ns->path);
  }
  return 0;
}

static int setup(const rn_child_args *a, rn_error *err) {
  const rn_spec *spec = a->spec;
  /* Modes of created directories and nodes are the ones asked for, not reduced by an inherited umask. */
  umask(0);
  /* The cgroup namespace is created only now, after we joined our cgroups, so that the container sees
   * its own cgroup as "/". */
  if (spec->namespaces[RN_NS_CGROUP].enabled && spec->namespaces[RN_NS_CGROUP].path == NULL &&
      unshare(CLONE_NEWCGROUP) < 0)
    return rn_fail(err, errno, "linux.namespaces: create cgroup namespace");
  if (join_namespaces(spec, err) < 0) return -1;
  if (rn_mounts_setup(spec, err) < 0) return -1;
  if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
    return rn_fail(err, errno, "hostname: sethostname `%s`", spec->hostname);
  if (!spec->process.has_umask) umask(022);
  if (rn_process_prepare(&spec->process, err) < 0) return -1;
  return 0;
}

void rn_child_main(const rn_child_args *a) {
  rn_error err;
  rn_error_reset(&err);
  rn_sync_msg m;
  for (int i = 0; i < 3; i++) {
    if (a->stdio[i] >= 0 && dup2(a->stdio[i], i) < 0) {
      rn_fail(&err, errno, "set up stdio");
      goto fail;
    }
  }
  /* Into our cgroups before anything else, so that every page and pid from here on is charged there. */
  if (rn_cgroup_join_self(a->join_fds, a->n_join, &err) < 0) goto fail;
  if (setup(a, &err) < 0) goto fail;
  cleanup_free char *exe = rn_process_find_executable(&a->spec->process, &err);
  if (exe == NULL) goto fail;
  if (rn_sync_send(a->sync_fd, RN_SYNC_READY) < 0) _exit(1);
  if (rn_sync_recv(a->sync_fd, &m, -1) != 1 || m.type != RN_SYNC_START) _exit(1);
  if (rn_process_finalize(&a->spec->process, a->seccomp, &err) < 0) goto fail;
  /* Nothing of the runtime's may leak into the container; the sync socket closes on exec, which is how
   * the shim learns that the program runs. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = 3; fd < 1024; fd++)
      if (fd != a->sync_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  execve(exe, a->spec->process.args, a->spec->process.env);
  rn_fail(&err, errno, "exec `%s`", exe);
fail:
  rn_sync_send_error(a->sync_fd, &err);
  _exit(127);
}
