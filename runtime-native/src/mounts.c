#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* mount_setattr(2); <linux/mount.h> clashes with glibc's <sys/mount.h>, so the few names are here. */
struct rn_mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
#define RN_MOUNT_ATTR_RDONLY 0x00000001ull
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

typedef struct dev_node {
  const char *name;
  unsigned major, minor;
} dev_node;

static const dev_node DEFAULT_DEVICES[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* Opens `rel` (relative to the root, no leading '/') inside root_fd without leaving it. */
static int open_in_root(int root_fd, const char *rel, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, root_fd, rel[0] ? rel : ".", &how, sizeof(how));
}

/* The path through which mount(2) reaches exactly the inode an O_PATH fd holds, whatever happens to the
 * names on the way to it afterwards. */
static void fd_target(int fd, char *buf, size_t size) {
  snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Resolves `dest` (absolute inside the container) below root_fd and returns an O_PATH fd of it, creating
 * what is missing: directories on the way, and the last component as a directory or, when as_file, an
 * empty file. Every step resolves inside the root, and creation happens relative to the resolved parent's
 * fd, so a symlink in the image can never point a mount or a mkdir outside the container. With create
 * false, a missing path returns -1 with errno ENOENT and err untouched. */
static int resolve(int root_fd, const char *dest, bool create, bool as_file, rn_error *err) {
  cleanup_free char *rel = xstrdup(dest[0] == '/' ? dest + 1 : dest);
  size_t len = strlen(rel);
  for (size_t i = 0; i <= len; i++) {
    if (rel[i] != '/' && rel[i] != '\0') continue;
    bool last = rel[i] == '\0';
    char saved = rel[i];
    rel[i] = '\0';
    int fd = open_in_root(root_fd, rel, O_PATH);
    if (fd < 0 && errno == ENOENT && create) {
      char *slash = strrchr(rel, '/');
      const char *name = slash ? slash + 1 : rel;
      if (slash) *slash = '\0';
      cleanup_close int parent = open_in_root(root_fd, slash ? rel : "", O_PATH | O_DIRECTORY);
      if (slash) *slash = '/';
      if (parent < 0) return rn_fail(err, errno, "resolve `%s` in the container", dest);
      int r;
      if (last && as_file) {
        r = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0) close(r);
      } else {
        r = mkdirat(parent, name, 0755);
      }
      if (r < 0 && errno != EEXIST) return rn_fail(err, errno, "create `%s` in the container", dest);
      fd = open_in_root(root_fd, rel, O_PATH);
    }
    if (fd < 0) {
      if (errno == ENOENT && !create) return -1;
      return rn_fail(err, errno, "resolve `%s` in the container", dest);
    }
    rel[i] = saved;
    if (last) return fd;
    close(fd);
  }
  return rn_fail(err, EINVAL, "resolve `%s` in the container", dest);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int do_mount(int root_fd, const rn_mount *m, size_t idx, rn_error *err) {
  bool as_file = m->bind && !is_dir(m->source);
  cleanup_close int fd = resolve(root_fd, m->destination, true, as_file, err);
  if (fd < 0) {
    rn_error_wrap(err, "mounts[%zu]", idx);
    return -1;
  }
  char target[64];
  fd_target(fd, target, sizeof(target));
  if (m->bind) {
    unsigned long fl = MS_BIND | (m->recursive ? MS_REC : 0);
    if (mount(m->source, target, NULL, fl, NULL) < 0)
      return rn_fail(err, errno, "mounts[%zu]: bind `%s` on `%s`", idx, m->source, m->destination);
  } else if (mount(m->source, target, m->type, m->flags, m->data) < 0) {
    return rn_fail(err, errno, "mounts[%zu]: mount `%s` (%s) on `%s`", idx, m->source, m->type, m->destination);
  }
  /* What was just mounted covers the inode fd holds: reach the new mount through a fresh resolution. */
  cleanup_close int top = resolve(root_fd, m->destination, false, false, err);
  if (top < 0) return rn_fail(err, errno ? errno : ENOENT, "mounts[%zu]: find `%s` after mounting", idx, m->destination);
  fd_target(top, target, sizeof(target));
  unsigned long extra = m->flags | (m->readonly ? MS_RDONLY : 0);
  if (m->bind && extra && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
    return rn_fail(err, errno, "mounts[%zu]: remount `%s` with its options", idx, m->destination);
  if (m->bind && m->readonly && m->recursive) {
    struct rn_mount_attr attr = {.attr_set = RN_MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
      return rn_fail(err, errno, "mounts[%zu]: make `%s` read-only recursively", idx, m->destination);
  }
  if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
    return rn_fail(err, errno, "mounts[%zu]: set propagation of `%s`", idx, m->destination);
  return 0;
}

/* Device nodes are made after pivot_root: "/" is the container's root then, so every path, symlinks
 * included, resolves inside it. */

static int make_node(const char *path, mode_t type, unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid,
                     rn_error *err) {
  /* Nested names (linux.devices "/dev/net/tun") need their directory. */
  cleanup_free char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir(dir, 0755);
  }
  unlink(path); /* a node listed in linux.devices replaces a default one */
  /* The init runs with umask 0 here, so the node gets exactly perm. */
  int r = type == S_IFIFO ? mkfifo(path, perm) : mknod(path, type | perm, makedev(major, minor));
  if (r < 0) return rn_fail(err, errno, "create device `%s`", path);
  if ((uid != 0 || gid != 0) && lchown(path, uid, gid) < 0) return rn_fail(err, errno, "chown device `%s`", path);
  return 0;
}

static int setup_dev(const rn_spec *spec, bool dev_tmpfs, rn_error *err) {
  if (dev_tmpfs) {
    for (size_t i = 0; i < ARRAY_LEN(DEFAULT_DEVICES); i++) {
      const dev_node *d = &DEFAULT_DEVICES[i];
      cleanup_free char *path = xasprintf("/dev/%s", d->name);
      if (make_node(path, S_IFCHR, d->major, d->minor, 0666, 0, 0, err) < 0) return -1;
    }
    static const char *const links[][2] = {
        {"/dev/fd", "/proc/self/fd"},     {"/dev/stdin", "/proc/self/fd/0"}, {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"}, {"/dev/ptmx", "pts/ptmx"},
    };
    for (size_t i = 0; i < ARRAY_LEN(links); i++)
      if (symlink(links[i][1], links[i][0]) < 0 && errno != EEXIST)
        return rn_fail(err, errno, "symlink `%s`", links[i][0]);
  }
  for (size_t i = 0; i < spec->n_devices; i++) {
    const rn_device *d = &spec->devices[i];
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t perm = d->has_file_mode ? (mode_t)d->file_mode : 0666;
    if (make_node(d->path, type, (unsigned)d->major, (unsigned)d->minor, perm, d->uid, d->gid, err) < 0) {
      rn_error_wrap(err, "linux.devices[%zu]", i);
      return -1;
    }
  }
  return 0;
}

/* sysctls, masked and read-only paths are resolved inside the root before pivot_root (so that masking can
 * bind the host's /dev/null), always through fds from resolve(). */

static int write_sysctls(int root_fd, const rn_spec *spec, rn_error *err) {
  for (size_t i = 0; i < spec->n_sysctl; i++) {
    cleanup_free char *rel = xasprintf("/proc/sys/%s", spec->sysctl[i].key);
    for (char *c = rel + 10; *c; c++)
      if (*c == '.') *c = '/';
    errno = 0;
    cleanup_close int path_fd = resolve(root_fd, rel, false, false, err);
    if (path_fd < 0) return rn_fail(err, errno ? errno : ENOENT, "linux.sysctl: `%s`", spec->sysctl[i].key);
    char target[64];
    fd_target(path_fd, target, sizeof(target));
    int fd = open(target, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return rn_fail(err, errno, "linux.sysctl: open `%s`", spec->sysctl[i].key);
    size_t n = strlen(spec->sysctl[i].value);
    ssize_t w = write(fd, spec->sysctl[i].value, n);
    int e = errno;
    close(fd);
    if (w != (ssize_t)n) return rn_fail(err, e, "linux.sysctl: write `%s` = `%s`", spec->sysctl[i].key, spec->sysctl[i].value);
  }
  return 0;
}

static int mask_paths(int root_fd, const rn_spec *spec, rn_error *err) {
  for (size_t i = 0; i < spec->n_masked_paths; i++) {
    errno = 0;
    cleanup_close int fd = resolve(root_fd, spec->masked_paths[i], false, false, err);
    if (fd < 0) {
      if (errno == ENOENT) continue; /* nothing to hide */
      rn_error_wrap(err, "linux.maskedPaths[%zu]", i);
      return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) return rn_fail(err, errno, "linux.maskedPaths[%zu]: `%s`", i, spec->masked_paths[i]);
    char target[64];
    fd_target(fd, target, sizeof(target));
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k")
                                : mount("/dev/null", target, NULL, MS_BIND, NULL);
    if (r < 0) return rn_fail(err, errno, "linux.maskedPaths[%zu]: mask `%s`", i, spec->masked_paths[i]);
  }
  return 0;
}

static int readonly_paths(int root_fd, const rn_spec *spec, rn_error *err) {
  for (size_t i = 0; i < spec->n_readonly_paths; i++) {
    const char *p = spec->readonly_paths[i];
    errno = 0;
    cleanup_close int fd = resolve(root_fd, p, false, false, err);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      rn_error_wrap(err, "linux.readonlyPaths[%zu]", i);
      return -1;
    }
    char target[64];
    fd_target(fd, target, sizeof(target));
    if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
      return rn_fail(err, errno, "linux.readonlyPaths[%zu]: bind `%s`", i, p);
    cleanup_close int top = resolve(root_fd, p, false, false, err);
    if (top < 0) return rn_fail(err, errno ? errno : ENOENT, "linux.readonlyPaths[%zu]: `%s`", i, p);
    fd_target(top, target, sizeof(target));
    if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
      return rn_fail(err, errno, "linux.readonlyPaths[%zu]: make `%s` read-only", i, p);
  }
  return 0;
}

static unsigned long propagation_flags(const char *p) {
  if (p == NULL || strcmp(p, "rprivate") == 0) return MS_REC | MS_PRIVATE;
  if (strcmp(p, "private") == 0) return MS_PRIVATE;
  if (strcmp(p, "slave") == 0) return MS_SLAVE;
  if (strcmp(p, "rslave") == 0) return MS_REC | MS_SLAVE;
  if (strcmp(p, "shared") == 0) return MS_SHARED;
  return MS_REC | MS_SHARED;
}

int rn_mounts_setup(const rn_spec *spec, rn_error *err) {
  /* Nothing done below may propagate back to the host (on systemd hosts / is shared). */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return rn_fail(err, errno, "make `/` private");
  const char *root = spec->root_path;
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) return rn_fail(err, errno, "bind the root `%s`", root);
  cleanup_close int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return rn_fail(err, errno, "open the root `%s`", root);
  /* Only a /dev the runtime mounts itself (a tmpfs) gets the default nodes: writing them into a bind
   * mount would write into whatever host directory it shows. */
  bool dev_tmpfs = false;
  for (size_t i = 0; i < spec->n_mounts; i++) {
    if (do_mount(root_fd, &spec->mounts[i], i, err) < 0) return -1;
    if (strcmp(spec->mounts[i].destination, "/dev") == 0) dev_tmpfs = !spec->mounts[i].bind;
  }
  if (write_sysctls(root_fd, spec, err) < 0) return -1;
  if (mask_paths(root_fd, spec, err) < 0) return -1;
  if (readonly_paths(root_fd, spec, err) < 0) return -1;
  if (fchdir(root_fd) < 0) return rn_fail(err, errno, "chdir to the root `%s`", root);
  if (syscall(SYS_pivot_root, ".", ".") < 0) return rn_fail(err, errno, "pivot_root to `%s`", root);
  /* The old root now sits under the new one at "."; detach it so the host's tree is unreachable. */
  if (umount2(".", MNT_DETACH) < 0) return rn_fail(err, errno, "detach the host's root");
  if (chdir("/") < 0) return rn_fail(err, errno, "chdir /");
  if (setup_dev(spec, dev_tmpfs, err) < 0) return -1;
  if (spec->root_readonly && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return rn_fail(err, errno, "root.readonly: remount `/` read-only");
  if (spec->rootfs_propagation && mount(NULL, "/", NULL, propagation_flags(spec->rootfs_propagation), NULL) < 0)
    return rn_fail(err, errno, "linux.rootfsPropagation: `%s`", spec->rootfs_propagation);
  return 0;
}

rn_device_rule *rn_device_rules(const rn_spec *spec, size_t *n) {
  size_t extra = ARRAY_LEN(DEFAULT_DEVICES) + 2 + spec->n_devices;
  rn_device_rule *rules = xcalloc(spec->resources.n_devices + extra, sizeof(*rules));
  size_t k = 0;
  for (size_t i = 0; i < spec->resources.n_devices; i++) rules[k++] = spec->resources.devices[i];
  for (size_t i = 0; i < ARRAY_LEN(DEFAULT_DEVICES); i++)
    rules[k++] = (rn_device_rule){true, 'c', DEFAULT_DEVICES[i].major, DEFAULT_DEVICES[i].minor, "rwm"};
  rules[k++] = (rn_device_rule){true, 'c', 5, 2, "rwm"};   /* /dev/ptmx */
  rules[k++] = (rn_device_rule){true, 'c', 136, -1, "rwm"}; /* /dev/pts/N */
  for (size_t i = 0; i < spec->n_devices; i++) {
    const rn_device *d = &spec->devices[i];
    if (d->type == 'p') continue;
    rules[k++] = (rn_device_rule){true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm"};
  }
  *n = k;
  return rules;
}
