/* cgroup drivers: layout detection and driver file writes against fixture trees (plain directories with
 * pre-created interface files, so they run anywhere), the BPF device program through a small interpreter,
 * and the drivers for real on this host's hierarchies (root only; skipped, with a note on stderr, where a
 * hierarchy is missing).
 *
 * Every test owns a context that a cleanup function tears down on every path: children are SIGKILLed by
 * pid and reaped, cgroups destroyed, and everything below swarm-unit-<pid> (real) or the mkdtemp
 * directory (fixtures) removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "cgroup.h"
#include "json.h"
#include "unit.h"

/* ---- helpers ---- */

#define CHECK_OK(call)                                                                              \
  do {                                                                                              \
    rn_error_reset(&err);                                                                           \
    if ((call) < 0) {                                                                               \
      snprintf(why, why_len, "%s:%d: %s failed: %s", __FILE__, __LINE__, #call, err.msg);           \
      return 1;                                                                                     \
    }                                                                                               \
  } while (0)

#define CHECK_FAILS(call)                                                                           \
  do {                                                                                              \
    rn_error_reset(&err);                                                                           \
    if ((call) >= 0) {                                                                              \
      snprintf(why, why_len, "%s:%d: %s succeeded, expected a failure", __FILE__, __LINE__, #call); \
      return 1;                                                                                     \
    }                                                                                               \
  } while (0)

/* Contents of a file, in one of a few rotating static buffers ("(missing)" when it cannot be read). */
static const char *readf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *readf(const char *fmt, ...) {
  static char bufs[6][8192];
  static int next;
  char *buf = bufs[next++ % 6];
  char path[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof(path), fmt, ap);
  va_end(ap);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "(missing)";
  ssize_t n = read(fd, buf, sizeof(bufs[0]) - 1);
  close(fd);
  if (n < 0) return "(unreadable)";
  buf[n] = '\0';
  return buf;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void res_unset(rn_resources *r) {
  memset(r, 0, sizeof(*r));
  r->memory_limit = -1;
  r->memory_reservation = -1;
  r->memory_swap = -1;
  r->cpu_quota = -1;
  r->pids_limit = -1;
}

static void put(const char *dir, const char *file, const char *content) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, content, strlen(content));
  (void)w;
  close(fd);
}

static void mkdirs(const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(tmp, 0755);
    *p = '/';
  }
  mkdir(tmp, 0755);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void rm_tree(const char *path) {
  nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- mountinfo texts ---- */

static const char mountinfo_v2[] =
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
    "25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "26 24 0:24 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:5 - bpf bpf rw,mode=700\n";

/* This machine's, verbatim. */
static const char mountinfo_hybrid[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* A systemd v1 host: cpu,cpuacct co-mounted, optional fields before the separator, no cgroup2. */
static const char mountinfo_v1[] =
    "25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
    "rw,memory\n"
    "31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids\n"
    "32 25 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
    "rw,cpuset\n"
    "33 25 0:29 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup "
    "rw,devices\n"
    "34 25 0:30 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup "
    "rw,freezer\n"
    "35 25 0:31 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:19 - cgroup "
    "cgroup rw,net_cls,net_prio\n";

/* Mount points with a space and a backslash, escaped the way the kernel writes them. */
static const char mountinfo_escaped[] =
    "40 22 0:40 / /mnt/my\\040cgroups/mem\\134ory rw,relatime - cgroup cgroup rw,memory\n"
    "41 22 0:41 / /mnt/my\\040cgroups/unified\\011v2 rw,relatime - cgroup2 none rw\n";

/* Only a named hierarchy and unrelated controllers: nothing the runtime can use. */
static const char mountinfo_none[] =
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "35 25 0:31 / /sys/fs/cgroup/net_cls rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup "
    "rw,net_cls\n";

/* ---- layout ---- */

RN_TEST(cg_layout_v2, "cgroup: layout of a cgroup2-only host") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&l, mountinfo_v2, NULL, &err));
  int ok = l.mode == RN_CGROUP_V2 && l.unified && strcmp(l.unified, "/sys/fs/cgroup") == 0;
  for (int c = 0; c < RN_CG_COUNT; c++) ok &= l.v1[c] == NULL;
  bool v2 = rn_cgroup_driver_for(&l) == &rn_cgroup_driver_v2;
  rn_cgroup_layout_free(&l);
  CHECK(ok);
  CHECK(v2);
  CHECK_STR(rn_cgroup_mode_name(RN_CGROUP_V2), "v2");
  return 0;
}

RN_TEST(cg_layout_hybrid, "cgroup: layout of this (hybrid) host's mountinfo") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&l, mountinfo_hybrid, NULL, &err));
  static const char *const want[RN_CG_COUNT] = {
      [RN_CG_MEMORY] = "/sys/fs/cgroup/memory",   [RN_CG_CPU] = "/sys/fs/cgroup/cpu",
      [RN_CG_CPUACCT] = "/sys/fs/cgroup/cpuacct", [RN_CG_CPUSET] = "/sys/fs/cgroup/cpuset",
      [RN_CG_PIDS] = "/sys/fs/cgroup/pids",       [RN_CG_DEVICES] = "/sys/fs/cgroup/devices",
      [RN_CG_FREEZER] = "/sys/fs/cgroup/freezer",
  };
  int bad = -1;
  for (int c = 0; c < RN_CG_COUNT; c++)
    if (l.v1[c] == NULL || strcmp(l.v1[c], want[c]) != 0) bad = c;
  bool mode_ok = l.mode == RN_CGROUP_HYBRID;
  bool unified_ok = l.unified && strcmp(l.unified, "/sys/fs/cgroup/unified") == 0;
  bool v1 = rn_cgroup_driver_for(&l) == &rn_cgroup_driver_v1;
  rn_cgroup_layout_free(&l);
  CHECK(bad == -1);
  CHECK(mode_ok);
  CHECK(unified_ok);
  CHECK(v1);
  CHECK_STR(rn_cgroup_mode_name(RN_CGROUP_HYBRID), "hybrid");
  return 0;
}

RN_TEST(cg_layout_v1, "cgroup: layout of a v1 host with cpu,cpuacct co-mounted, with a prefix") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&l, mountinfo_v1, "/tmp/fx/", &err));
  char got[2048] = "";
  for (int c = 0; c < RN_CG_COUNT; c++) {
    size_t n = strlen(got);
    snprintf(got + n, sizeof(got) - n, "%d=%s;", c, l.v1[c] ? l.v1[c] : "-");
  }
  bool mode_ok = l.mode == RN_CGROUP_V1 && l.unified == NULL;
  rn_cgroup_layout_free(&l);
  CHECK(mode_ok);
  CHECK_STR(got, "0=/tmp/fx/sys/fs/cgroup/memory;1=/tmp/fx/sys/fs/cgroup/cpu,cpuacct;"
                 "2=/tmp/fx/sys/fs/cgroup/cpu,cpuacct;3=/tmp/fx/sys/fs/cgroup/cpuset;"
                 "4=/tmp/fx/sys/fs/cgroup/pids;5=/tmp/fx/sys/fs/cgroup/devices;"
                 "6=/tmp/fx/sys/fs/cgroup/freezer;");
  CHECK_STR(rn_cgroup_mode_name(RN_CGROUP_V1), "v1");
  return 0;
}

RN_TEST(cg_layout_escaped, "cgroup: layout decodes escaped mount points") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&l, mountinfo_escaped, NULL, &err));
  char mem[256], uni[256];
  snprintf(mem, sizeof(mem), "%s", l.v1[RN_CG_MEMORY] ? l.v1[RN_CG_MEMORY] : "(null)");
  snprintf(uni, sizeof(uni), "%s", l.unified ? l.unified : "(null)");
  bool mode_ok = l.mode == RN_CGROUP_HYBRID && l.v1[RN_CG_CPU] == NULL;
  rn_cgroup_layout_free(&l);
  CHECK(mode_ok);
  CHECK_STR(mem, "/mnt/my cgroups/mem\\ory");
  CHECK_STR(uni, "/mnt/my cgroups/unified\tv2");
  return 0;
}

RN_TEST(cg_layout_none, "cgroup: layout fails when no usable hierarchy is mounted") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_FAILS(rn_cgroup_layout_from_mountinfo(&l, mountinfo_none, NULL, &err));
  CHECK_CONTAINS(err.msg, "no usable cgroup hierarchy is mounted");
  CHECK_FAILS(rn_cgroup_layout_from_mountinfo(&l, "", NULL, &err));
  rn_cgroup_layout_free(&l);
  return 0;
}

RN_TEST(cg_init_paths, "cgroup: init normalises the path, refuses escapes, paths_json lists the dirs") {
  rn_error err;
  rn_cgroup_layout l;
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&l, mountinfo_hybrid, NULL, &err));
  rn_cgroup cg;
  rn_buf b;
  rn_buf_init(&b);
  int r = rn_cgroup_init(&cg, &l, "//swarmd//abc/", &err);
  if (r == 0) {
    rn_cgroup_paths_json(&cg, &b);
    rn_buf_append(&b, "", 1);
  }
  char path[64] = "", mem[128] = "", fd[16];
  if (r == 0) {
    snprintf(path, sizeof(path), "%s", cg.path);
    snprintf(mem, sizeof(mem), "%s", cg.v1_dir[RN_CG_MEMORY]);
    snprintf(fd, sizeof(fd), "%d %d", cg.oom_fd, cg.oom_aux_fd);
    rn_cgroup_release(&cg);
  }
  int dotdot = rn_cgroup_init(&cg, &l, "swarmd/../../etc", &err);
  char dotdot_msg[256];
  snprintf(dotdot_msg, sizeof(dotdot_msg), "%s", err.msg);
  int root = rn_cgroup_init(&cg, &l, "/", &err);
  /* open() does not look at the disk, and destroying what is not there succeeds: delete is idempotent. */
  int missing = rn_cgroup_open(&cg, &l, "swarm-unit-does-not-exist/x", &err);
  int destroyed = missing == 0 ? cg.driver->destroy(&cg, &err) : -1;
  if (missing == 0) rn_cgroup_release(&cg);
  rn_cgroup_layout_free(&l);
  char json[2048];
  snprintf(json, sizeof(json), "%s", b.data ? b.data : "");
  rn_buf_free(&b);
  CHECK(r == 0);
  CHECK_STR(path, "swarmd/abc");
  CHECK_STR(mem, "/sys/fs/cgroup/memory/swarmd/abc");
  CHECK_STR(fd, "-1 -1");
  CHECK_STR(json, "{\"memory\":\"/sys/fs/cgroup/memory/swarmd/abc\",\"cpu\":\"/sys/fs/cgroup/cpu/swarmd/abc\","
                  "\"cpuacct\":\"/sys/fs/cgroup/cpuacct/swarmd/abc\",\"cpuset\":\"/sys/fs/cgroup/cpuset/swarmd/abc\","
                  "\"pids\":\"/sys/fs/cgroup/pids/swarmd/abc\",\"devices\":\"/sys/fs/cgroup/devices/swarmd/abc\","
                  "\"freezer\":\"/sys/fs/cgroup/freezer/swarmd/abc\","
                  "\"unified\":\"/sys/fs/cgroup/unified/swarmd/abc\"}");
  CHECK(dotdot < 0);
  CHECK_CONTAINS(dotdot_msg, "`..` are not allowed");
  CHECK(root < 0);
  CHECK(missing == 0);
  CHECK(destroyed == 0);
  return 0;
}

/* ---- fixture trees ---- */

typedef struct fx_ctx {
  char tmp[64];
  rn_cgroup_layout layout;
  bool has_layout;
  rn_cgroup cg;
  bool has_cg;
} fx_ctx;

static int fx_setup(fx_ctx *f, const char *mountinfo, char *why, size_t why_len) {
  rn_error err;
  snprintf(f->tmp, sizeof(f->tmp), "/tmp/rn-cgroup-fx-XXXXXX");
  CHECK(mkdtemp(f->tmp) != NULL);
  CHECK_OK(rn_cgroup_layout_from_mountinfo(&f->layout, mountinfo, f->tmp, &err));
  f->has_layout = true;
  return 0;
}

static void fx_cleanup(fx_ctx *f) {
  if (f->has_cg) rn_cgroup_release(&f->cg);
  if (f->has_layout) rn_cgroup_layout_free(&f->layout);
  if (f->tmp[0] && strcmp(f->tmp, "/tmp/rn-cgroup-fx-XXXXXX") != 0) rm_tree(f->tmp);
}

/* A cgroup2 directory as the kernel would show it, with the files the driver writes. */
static void fx_v2_dir(const char *dir, const char *controllers, bool leaf) {
  mkdirs(dir);
  put(dir, "cgroup.controllers", controllers);
  put(dir, "cgroup.subtree_control", "");
  put(dir, "cgroup.procs", "");
  put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
  if (!leaf) return;
  static const char *const files[] = {"memory.max",  "memory.low",  "memory.swap.max", "memory.oom.group",
                                      "cpu.weight",  "cpu.max",     "cpuset.cpus",     "cpuset.mems",
                                      "pids.max",    "cgroup.kill", "cgroup.freeze"};
  for (size_t i = 0; i < ARRAY_LEN(files); i++) put(dir, files[i], "");
  put(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\noom_group_kill 0\n");
}

static int fx_v2_limits(fx_ctx *f, char *why, size_t why_len) {
  rn_error err;
  if (fx_setup(f, mountinfo_v2, why, why_len)) return 1;
  const char *root = f->layout.unified;
  char mid[256], leaf[256];
  snprintf(mid, sizeof(mid), "%s/swarmd", root);
  snprintf(leaf, sizeof(leaf), "%s/swarmd/abc", root);
  fx_v2_dir(root, "cpuset cpu io memory hugetlb pids rdma misc\n", false);
  fx_v2_dir(mid, "cpuset cpu io memory pids\n", false);
  fx_v2_dir(leaf, "cpuset cpu memory pids\n", true);

  rn_resources r;
  res_unset(&r);
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 96 << 20;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.pids_limit = 100;
  CHECK_OK(rn_cgroup_init(&f->cg, &f->layout, "/swarmd/abc", &err));
  f->has_cg = true;
  CHECK_STR(f->cg.driver->name, "v2");
  CHECK_OK(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_STR(readf("%s/cgroup.subtree_control", root), "+memory +cpu +pids +cpuset");
  CHECK_STR(readf("%s/cgroup.subtree_control", mid), "+memory +cpu +pids +cpuset");
  CHECK_STR(readf("%s/cgroup.subtree_control", leaf), ""); /* the leaf holds processes, not children */
  CHECK_STR(readf("%s/memory.max", leaf), "67108864");
  CHECK_STR(readf("%s/memory.low", leaf), "33554432");
  CHECK_STR(readf("%s/memory.swap.max", leaf), "33554432");
  CHECK_STR(readf("%s/memory.oom.group", leaf), "1");
  CHECK_STR(readf("%s/cpu.weight", leaf), "39");
  CHECK_STR(readf("%s/cpu.max", leaf), "50000 100000");
  CHECK_STR(readf("%s/cpuset.cpus", leaf), "0-1");
  CHECK_STR(readf("%s/cpuset.mems", leaf), "0");
  CHECK_STR(readf("%s/pids.max", leaf), "100");

  CHECK_OK(f->cg.driver->attach(&f->cg, 4321, &err));
  CHECK_STR(readf("%s/cgroup.procs", leaf), "4321");

  bool populated = true;
  CHECK_OK(f->cg.driver->populated(&f->cg, &populated, &err));
  CHECK(!populated);
  put(leaf, "cgroup.events", "populated 1\nfrozen 0\n");
  CHECK_OK(f->cg.driver->populated(&f->cg, &populated, &err));
  CHECK(populated);

  /* OOM: the baseline is memory.events' oom_kill at watch time; a modification wakes the inotify fd. */
  CHECK_OK(f->cg.driver->oom_watch(&f->cg, &err));
  CHECK(f->cg.oom_fd >= 0);
  CHECK(f->cg.oom_kills_at_start == 2);
  struct pollfd pfd = {.fd = f->cg.oom_fd, .events = POLLIN};
  CHECK(poll(&pfd, 1, 0) == 0);
  put(leaf, "memory.events", "low 0\nhigh 0\nmax 4\noom 3\noom_kill 5\noom_group_kill 1\n");
  CHECK(poll(&pfd, 1, 1000) == 1);
  uint64_t kills = 0;
  CHECK_OK(f->cg.driver->oom_kills(&f->cg, &kills, &err));
  CHECK(kills == 3);

  /* SIGKILL goes through cgroup.kill. */
  CHECK_OK(f->cg.driver->signal_all(&f->cg, SIGKILL, &err));
  CHECK_STR(readf("%s/cgroup.kill", leaf), "1");

  rn_buf b;
  rn_buf_init(&b);
  rn_cgroup_paths_json(&f->cg, &b);
  rn_buf_append(&b, "", 1);
  char want[512], got[512];
  snprintf(want, sizeof(want), "{\"unified\":\"%s\"}", leaf);
  snprintf(got, sizeof(got), "%s", b.data);
  rn_buf_free(&b);
  CHECK_STR(got, want);
  return 0;
}

RN_TEST(cg_fx_v2_limits, "cgroup: v2 driver writes subtree_control and limits (fixture tree)") {
  fx_ctx f = {0};
  int r = fx_v2_limits(&f, why, why_len);
  fx_cleanup(&f);
  return r;
}

static int fx_v2_variants(fx_ctx *f, char *why, size_t why_len) {
  rn_error err;
  if (fx_setup(f, mountinfo_v2, why, why_len)) return 1;
  const char *root = f->layout.unified;
  char mid[256], leaf[256];
  snprintf(mid, sizeof(mid), "%s/a", root);
  snprintf(leaf, sizeof(leaf), "%s/a/b", root);

  /* No limits: memory and pids are still enabled (OOM accounting, stats) where offered, skipping what an
   * ancestor already enables; cpu and cpuset are left alone. */
  fx_v2_dir(root, "cpu io memory pids\n", false);
  put(root, "cgroup.subtree_control", "memory io\n");
  fx_v2_dir(mid, "cpu io memory\n", false);
  fx_v2_dir(leaf, "memory\n", true);
  CHECK_OK(rn_cgroup_init(&f->cg, &f->layout, "a/b", &err));
  f->has_cg = true;
  CHECK_OK(f->cg.driver->create(&f->cg, NULL, false, &err));
  CHECK_STR(readf("%s/cgroup.subtree_control", root), "+pids");
  CHECK_STR(readf("%s/cgroup.subtree_control", mid), "+memory");
  CHECK_STR(readf("%s/memory.oom.group", leaf), "1");
  CHECK_STR(readf("%s/memory.max", leaf), "");

  /* Shares at the ends of the range, a period without a quota. */
  rn_resources r;
  res_unset(&r);
  r.cpu_shares = 2;
  r.cpu_period = 50000;
  fx_v2_dir(root, "cpu io memory pids\n", false);
  fx_v2_dir(mid, "cpu io memory pids\n", false);
  CHECK_OK(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_STR(readf("%s/cgroup.subtree_control", mid), "+memory +cpu +pids");
  CHECK_STR(readf("%s/cpu.weight", leaf), "1");
  CHECK_STR(readf("%s/cpu.max", leaf), "max 50000");
  r.cpu_shares = 262144;
  r.cpu_quota = 150000;
  r.cpu_period = 0;
  CHECK_OK(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_STR(readf("%s/cpu.weight", leaf), "10000");
  CHECK_STR(readf("%s/cpu.max", leaf), "150000 100000");

  /* A needed controller the hierarchy does not offer names the spec field, and a failed create removes
   * the directories it made (and only those). */
  res_unset(&r);
  r.pids_limit = 10;
  rn_cgroup cg2;
  CHECK_OK(rn_cgroup_init(&cg2, &f->layout, "a/new/leaf", &err));
  put(mid, "cgroup.controllers", "cpu io memory\n");
  int cr = cg2.driver->create(&cg2, &r, true, &err);
  rn_cgroup_release(&cg2);
  CHECK(cr < 0);
  CHECK_CONTAINS(err.msg, "linux.resources.pids.limit: the pids cgroup controller is not available in");
  CHECK_CONTAINS(err.msg, "(cgroup.controllers: cpu io memory)");
  char gone[300];
  snprintf(gone, sizeof(gone), "%s/new", mid);
  CHECK(!exists(gone));
  CHECK(exists(mid));

  /* Swap without a memory limit is refused before anything is made. */
  res_unset(&r);
  r.memory_swap = 1 << 20;
  CHECK_FAILS(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_CONTAINS(err.msg, "linux.resources.memory.swap: needs linux.resources.memory.limit");
  return 0;
}

RN_TEST(cg_fx_v2_variants, "cgroup: v2 driver optional controllers, cpu conversions, errors (fixture tree)") {
  fx_ctx f = {0};
  int r = fx_v2_variants(&f, why, why_len);
  fx_cleanup(&f);
  return r;
}

/* A v1 hierarchy root as the kernel shows it, plus the files the driver writes in each directory. */
static void fx_v1_dir(const char *dir, int ctrl) {
  mkdirs(dir);
  put(dir, "cgroup.procs", "");
  switch (ctrl) {
  case RN_CG_MEMORY:
    put(dir, "memory.limit_in_bytes", "");
    put(dir, "memory.soft_limit_in_bytes", "");
    put(dir, "memory.memsw.limit_in_bytes", "");
    put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    put(dir, "cgroup.event_control", "");
    break;
  case RN_CG_CPU:
    put(dir, "cpu.shares", "");
    put(dir, "cpu.cfs_quota_us", "");
    put(dir, "cpu.cfs_period_us", "");
    break;
  case RN_CG_CPUSET:
    put(dir, "cpuset.cpus", "\n");
    put(dir, "cpuset.mems", "\n");
    break;
  case RN_CG_PIDS:
    put(dir, "pids.max", "");
    break;
  case RN_CG_DEVICES:
    put(dir, "devices.allow", "");
    put(dir, "devices.deny", "");
    break;
  case RN_CG_FREEZER:
    put(dir, "freezer.state", "THAWED\n");
    break;
  }
}

static int fx_v1_limits(fx_ctx *f, char *why, size_t why_len) {
  rn_error err;
  if (fx_setup(f, mountinfo_v1, why, why_len)) return 1;
  for (int c = 0; c < RN_CG_COUNT; c++) {
    char d[512];
    fx_v1_dir(f->layout.v1[c], c);
    snprintf(d, sizeof(d), "%s/swarmd", f->layout.v1[c]);
    fx_v1_dir(d, c);
    snprintf(d, sizeof(d), "%s/swarmd/abc", f->layout.v1[c]);
    fx_v1_dir(d, c);
  }
  put(f->layout.v1[RN_CG_CPUSET], "cpuset.cpus", "0-3\n");
  put(f->layout.v1[RN_CG_CPUSET], "cpuset.mems", "0\n");

  rn_resources r;
  res_unset(&r);
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 20000;
  r.cpu_period = 100000;
  r.cpuset_mems = "0";
  r.pids_limit = 50;
  rn_device_rule rules[] = {
      {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 136, .minor = -1, .access = ""},
  };
  r.devices = rules;
  r.n_devices = ARRAY_LEN(rules);
  CHECK_OK(rn_cgroup_init(&f->cg, &f->layout, "swarmd/abc", &err));
  f->has_cg = true;
  CHECK_STR(f->cg.driver->name, "v1");
  CHECK_OK(f->cg.driver->create(&f->cg, &r, true, &err));
  const char *const *d = (const char *const *)f->cg.v1_dir;
  CHECK_STR(readf("%s/memory.limit_in_bytes", d[RN_CG_MEMORY]), "67108864");
  CHECK_STR(readf("%s/memory.memsw.limit_in_bytes", d[RN_CG_MEMORY]), "134217728");
  CHECK_STR(readf("%s/memory.soft_limit_in_bytes", d[RN_CG_MEMORY]), "33554432");
  CHECK_STR(readf("%s/cpu.shares", d[RN_CG_CPU]), "512");
  CHECK_STR(readf("%s/cpu.cfs_period_us", d[RN_CG_CPU]), "100000");
  CHECK_STR(readf("%s/cpu.cfs_quota_us", d[RN_CG_CPU]), "20000");
  CHECK_STR(d[RN_CG_CPU], d[RN_CG_CPUACCT]);
  /* cpuset: the empty intermediate level and the leaf inherit the root's values; the leaf's mems
   * come from the spec. */
  CHECK_STR(readf("%s/swarmd/cpuset.cpus", f->layout.v1[RN_CG_CPUSET]), "0-3");
  CHECK_STR(readf("%s/swarmd/cpuset.mems", f->layout.v1[RN_CG_CPUSET]), "0");
  CHECK_STR(readf("%s/cpuset.cpus", d[RN_CG_CPUSET]), "0-3");
  CHECK_STR(readf("%s/cpuset.mems", d[RN_CG_CPUSET]), "0");
  CHECK_STR(readf("%s/pids.max", d[RN_CG_PIDS]), "50");
  CHECK_STR(readf("%s/devices.deny", d[RN_CG_DEVICES]), "a");
  CHECK_STR(readf("%s/devices.allow", d[RN_CG_DEVICES]), "c 136:* rwm");

  CHECK_OK(f->cg.driver->attach(&f->cg, 4321, &err));
  for (int c = 0; c < RN_CG_COUNT; c++) CHECK_STR(readf("%s/cgroup.procs", d[c]), "4321");

  /* OOM: "<eventfd> <oom_control fd>" goes to cgroup.event_control; the count is oom_kill's growth. */
  CHECK_OK(f->cg.driver->oom_watch(&f->cg, &err));
  char reg[64];
  snprintf(reg, sizeof(reg), "%d %d", f->cg.oom_fd, f->cg.oom_aux_fd);
  CHECK_STR(readf("%s/cgroup.event_control", d[RN_CG_MEMORY]), reg);
  CHECK(f->cg.oom_kills_at_start == 3);
  put(d[RN_CG_MEMORY], "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
  uint64_t kills = 0;
  CHECK_OK(f->cg.driver->oom_kills(&f->cg, &kills, &err));
  CHECK(kills == 1);

  /* A spec-given cpuset and a partial "all devices" rule (spelled as char + block). */
  res_unset(&r);
  r.cpuset_cpus = "2";
  rn_device_rule mk[] = {{.allow = true, .type = 'a', .major = -1, .minor = -1, .access = "m"}};
  r.devices = mk;
  r.n_devices = 1;
  CHECK_OK(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_STR(readf("%s/cpuset.cpus", d[RN_CG_CPUSET]), "2");
  CHECK_STR(readf("%s/devices.allow", d[RN_CG_DEVICES]), "b *:* m"); /* the last of "c *:* m", "b *:* m" */

  rn_buf b;
  rn_buf_init(&b);
  rn_cgroup_paths_json(&f->cg, &b);
  rn_buf_append(&b, "", 1);
  char got[4096];
  snprintf(got, sizeof(got), "%s", b.data);
  rn_buf_free(&b);
  char want[4096];
  const char *base = f->tmp;
  snprintf(want, sizeof(want),
           "{\"memory\":\"%1$s/sys/fs/cgroup/memory/swarmd/abc\","
           "\"cpu\":\"%1$s/sys/fs/cgroup/cpu,cpuacct/swarmd/abc\","
           "\"cpuacct\":\"%1$s/sys/fs/cgroup/cpu,cpuacct/swarmd/abc\","
           "\"cpuset\":\"%1$s/sys/fs/cgroup/cpuset/swarmd/abc\",\"pids\":\"%1$s/sys/fs/cgroup/pids/swarmd/abc\","
           "\"devices\":\"%1$s/sys/fs/cgroup/devices/swarmd/abc\","
           "\"freezer\":\"%1$s/sys/fs/cgroup/freezer/swarmd/abc\"}",
           base);
  CHECK_STR(got, want);
  return 0;
}

RN_TEST(cg_fx_v1_limits, "cgroup: v1 driver writes limits, cpuset, devices, OOM registration (fixture tree)") {
  fx_ctx f = {0};
  int r = fx_v1_limits(&f, why, why_len);
  fx_cleanup(&f);
  return r;
}

static int fx_v1_missing(fx_ctx *f, char *why, size_t why_len) {
  rn_error err;
  /* The hybrid layout without pids and freezer. */
  static const char text[] =
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
  if (fx_setup(f, text, why, why_len)) return 1;
  fx_v1_dir(f->layout.v1[RN_CG_MEMORY], RN_CG_MEMORY);
  fx_v1_dir(f->layout.v1[RN_CG_CPU], RN_CG_CPU);
  rn_resources r;
  res_unset(&r);
  r.memory_limit = 1 << 20;
  r.pids_limit = 20;
  CHECK_OK(rn_cgroup_init(&f->cg, &f->layout, "swarmd/abc", &err));
  f->has_cg = true;
  CHECK(f->cg.v1_dir[RN_CG_PIDS] == NULL && f->cg.unified_dir == NULL);
  CHECK_FAILS(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_STR(err.msg, "linux.resources.pids.limit: the pids cgroup controller is not mounted");
  CHECK(exists(f->layout.v1[RN_CG_MEMORY]));
  char p[512];
  snprintf(p, sizeof(p), "%s/swarmd", f->layout.v1[RN_CG_MEMORY]);
  CHECK(!exists(p));

  /* A write that fails half-way removes the directories create() made: the leaf's limit file is
   * missing here, as it would be with a controller that lacks the knob. */
  res_unset(&r);
  r.cpu_shares = 100;
  CHECK_FAILS(f->cg.driver->create(&f->cg, &r, true, &err));
  CHECK_CONTAINS(err.msg, "linux.resources.cpu.shares: write `100` to `");
  CHECK_CONTAINS(err.msg, "cpu.shares`: No such file or directory");
  snprintf(p, sizeof(p), "%s/swarmd", f->layout.v1[RN_CG_CPU]);
  CHECK(!exists(p));
  snprintf(p, sizeof(p), "%s/swarmd", f->layout.v1[RN_CG_MEMORY]);
  CHECK(!exists(p));

  /* Without a memory hierarchy the OOM watch stays unarmed rather than failing the container. */
  rn_cgroup_layout cpu_only = {.mode = RN_CGROUP_V1};
  cpu_only.v1[RN_CG_CPU] = f->layout.v1[RN_CG_CPU];
  rn_cgroup cg2;
  CHECK_OK(rn_cgroup_init(&cg2, &cpu_only, "swarmd/abc", &err));
  uint64_t kills = 99;
  int w = cg2.driver->oom_watch(&cg2, &err);
  int k = cg2.driver->oom_kills(&cg2, &kills, &err);
  int fd = cg2.oom_fd;
  rn_cgroup_release(&cg2);
  CHECK(w == 0 && k == 0 && fd == -1 && kills == 0);
  return 0;
}

RN_TEST(cg_fx_v1_missing, "cgroup: v1 driver names the spec field of a missing controller, rolls back") {
  fx_ctx f = {0};
  int r = fx_v1_missing(&f, why, why_len);
  fx_cleanup(&f);
  return r;
}

/* ---- the BPF device program, run by a small interpreter of the instructions the builder emits ---- */

static int bpf_eval(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major,
                    uint32_t minor) {
  uint64_t r[11] = {0};
  struct bpf_cgroup_dev_ctx ctx = {.access_type = (access << 16) | type, .major = major, .minor = minor};
  for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
    const struct bpf_insn *i = &p[pc];
    uint8_t cls = BPF_CLASS(i->code);
    if (i->dst_reg > 10 || i->src_reg > 10) return -1;
    if (i->code == (BPF_LDX | BPF_MEM | BPF_W)) {
      if (i->src_reg != 1 || i->off < 0 || (size_t)i->off + 4 > sizeof(ctx) || i->off % 4) return -1;
      uint32_t v;
      memcpy(&v, (const char *)&ctx + i->off, 4);
      r[i->dst_reg] = v;
    } else if (cls == BPF_ALU) {
      uint32_t a = (uint32_t)r[i->dst_reg];
      uint32_t b = BPF_SRC(i->code) == BPF_X ? (uint32_t)r[i->src_reg] : (uint32_t)i->imm;
      switch (BPF_OP(i->code)) {
      case BPF_MOV: a = b; break;
      case BPF_AND: a &= b; break;
      case BPF_RSH: a >>= b; break;
      default: return -1;
      }
      r[i->dst_reg] = a;
    } else if (cls == BPF_ALU64 && BPF_OP(i->code) == BPF_MOV && BPF_SRC(i->code) == BPF_K) {
      r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
    } else if (cls == BPF_JMP || cls == BPF_JMP32) {
      if (BPF_OP(i->code) == BPF_EXIT) return (int)r[0];
      if (BPF_SRC(i->code) != BPF_K) return -1;
      uint64_t a = r[i->dst_reg], b = (uint64_t)(int64_t)i->imm;
      if (cls == BPF_JMP32) {
        a = (uint32_t)a;
        b = (uint32_t)i->imm;
      }
      bool taken;
      switch (BPF_OP(i->code)) {
      case BPF_JNE: taken = a != b; break;
      case BPF_JEQ: taken = a == b; break;
      case BPF_JSET: taken = (a & b) != 0; break;
      default: return -1;
      }
      if (taken) {
        if (i->off < 0 || pc + (size_t)i->off + 1 >= n) return -1;
        pc += (size_t)i->off;
      }
    } else {
      return -1;
    }
  }
  return -1; /* fell off the end: the verifier would refuse it */
}

enum { C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK };
enum { R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD };

typedef struct bpf_case {
  uint32_t type, access, major, minor;
  int want;
} bpf_case;

static int bpf_check(const rn_device_rule *rules, size_t n_rules, const bpf_case *cases, size_t n_cases,
                     char *why, size_t why_len) {
  rn_error err;
  struct bpf_insn *insns = NULL;
  size_t n = 0;
  CHECK_OK(rn_cgroup_bpf_devices_build(rules, n_rules, &insns, &n, &err));
  for (size_t i = 0; i < n_cases; i++) {
    int got = bpf_eval(insns, n, cases[i].type, cases[i].access, cases[i].major, cases[i].minor);
    if (got != cases[i].want) {
      snprintf(why, why_len, "rules #%zu..: case %zu (type %u access %u %u:%u): got %d, want %d", n_rules, i,
               cases[i].type, cases[i].access, cases[i].major, cases[i].minor, got, cases[i].want);
      free(insns);
      return 1;
    }
  }
  free(insns);
  return 0;
}

#define RULE(al, ty, ma, mi, ac) {.allow = (al), .type = (ty), .major = (ma), .minor = (mi), .access = ac}

RN_TEST(cg_bpf_semantics, "cgroup: BPF device program semantics (last match wins, default deny)") {
  {
    rn_device_rule rules[] = {RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm")};
    bpf_case cases[] = {{C, R | W, 1, 3, 1}, {C, M, 1, 3, 1}, {C, R, 1, 5, 0}, {B, R, 1, 3, 0}, {C, R, 2, 3, 0}};
    if (bpf_check(rules, 2, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  {
    rn_device_rule rules[] = {RULE(true, 'a', -1, -1, ""), RULE(false, 'c', 1, 5, "rwm")};
    bpf_case cases[] = {{C, R, 1, 5, 0}, {C, R, 1, 3, 1}, {B, M, 8, 0, 1}};
    if (bpf_check(rules, 2, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  {
    /* An allow rule must cover every requested bit. */
    rn_device_rule rules[] = {RULE(true, 'c', 1, 3, "r")};
    bpf_case cases[] = {{C, R, 1, 3, 1}, {C, R | W, 1, 3, 0}, {C, W, 1, 3, 0}, {C, M, 1, 3, 0}};
    if (bpf_check(rules, 1, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  {
    /* A deny rule refuses any overlap; wildcards. */
    rn_device_rule rules[] = {RULE(true, 'c', -1, -1, "rwm"), RULE(false, 'c', 1, 3, "w"),
                              RULE(true, 'b', 8, -1, "rw")};
    bpf_case cases[] = {{C, R, 1, 3, 1},  {C, R | W, 1, 3, 0}, {C, W, 1, 3, 0},  {C, W, 1, 5, 1},
                        {B, R, 8, 17, 1}, {B, M, 8, 0, 0},     {B, R, 9, 0, 0}};
    if (bpf_check(rules, 3, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  {
    /* A match-all rule last: everything allowed, rules before it never consulted. */
    rn_device_rule rules[] = {RULE(false, 'c', 1, 3, "rwm"), RULE(true, 'a', -1, -1, "rwm")};
    bpf_case cases[] = {{C, R, 1, 3, 1}, {B, M, 8, 0, 1}};
    if (bpf_check(rules, 2, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  {
    bpf_case cases[] = {{C, R, 1, 3, 0}, {B, W, 8, 0, 0}};
    if (bpf_check(NULL, 0, cases, ARRAY_LEN(cases), why, why_len)) return 1;
  }
  rn_error err;
  struct bpf_insn *insns = NULL;
  size_t n;
  rn_device_rule bad_type[] = {RULE(true, 'x', 1, 3, "")};
  CHECK_FAILS(rn_cgroup_bpf_devices_build(bad_type, 1, &insns, &n, &err));
  CHECK_CONTAINS(err.msg, "devices[0]: type must be a, c or b");
  rn_device_rule bad_major[] = {RULE(true, 'c', 1, 3, ""), RULE(true, 'c', (int64_t)1 << 33, 3, "")};
  CHECK_FAILS(rn_cgroup_bpf_devices_build(bad_major, 2, &insns, &n, &err));
  CHECK_CONTAINS(err.msg, "devices[1]: major/minor out of range");
  return 0;
}

/* ---- real hierarchies ---- */

#define MAX_KIDS 4
#define MAX_CGS 3

typedef struct kid {
  pid_t pid;
  int go;     /* parent → child: one byte releases it */
  int report; /* child → parent: one byte with its check result */
} kid;

typedef struct real_ctx {
  rn_cgroup_layout layout;
  bool has_layout;
  rn_cgroup_layout v1only; /* a copy of layout without the unified hierarchy (pure v1 paths) */
  bool has_v1only;
  rn_cgroup cg[MAX_CGS];
  bool has_cg[MAX_CGS];
  kid kids[MAX_KIDS];
  int n_kids;
  char base[64]; /* swarm-unit-<pid> */
} real_ctx;

static void rm_cgroup_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
    rm_cgroup_tree(sub);
  }
  closedir(d);
  for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
}

static void real_cleanup(real_ctx *c) {
  for (int i = 0; i < c->n_kids; i++) {
    kid *k = &c->kids[i];
    if (k->pid > 0) {
      kill(k->pid, SIGKILL);
      waitpid(k->pid, NULL, 0);
    }
    if (k->go >= 0) close(k->go);
    if (k->report >= 0) close(k->report);
  }
  for (int i = 0; i < MAX_CGS; i++) {
    if (!c->has_cg[i]) continue;
    rn_error err;
    c->cg[i].driver->destroy(&c->cg[i], &err);
    rn_cgroup_release(&c->cg[i]);
  }
  if (c->has_layout && c->base[0]) {
    char dir[4096];
    for (int i = 0; i < RN_CG_COUNT; i++) {
      if (c->layout.v1[i] == NULL) continue;
      snprintf(dir, sizeof(dir), "%s/%s", c->layout.v1[i], c->base);
      rm_cgroup_tree(dir);
    }
    if (c->layout.unified) {
      snprintf(dir, sizeof(dir), "%s/%s", c->layout.unified, c->base);
      rm_cgroup_tree(dir);
    }
  }
  if (c->has_v1only) rn_cgroup_layout_free(&c->v1only);
  if (c->has_layout) rn_cgroup_layout_free(&c->layout);
}

/* 0 when the host can run the test; otherwise a note on stderr and 1 (the test then passes vacuously). */
static int real_setup(real_ctx *c, bool need_v1, bool need_unified) {
  rn_error err;
  memset(c, 0, sizeof(*c));
  snprintf(c->base, sizeof(c->base), "swarm-unit-%d", (int)getpid());
  if (geteuid() != 0) {
    fprintf(stderr, "# skip: cgroup tests on the real hierarchies need root\n");
    return 1;
  }
  if (rn_cgroup_layout_detect(&c->layout, &err) < 0) {
    fprintf(stderr, "# skip: %s\n", err.msg);
    return 1;
  }
  c->has_layout = true;
  if (need_v1 && c->layout.mode == RN_CGROUP_V2) {
    fprintf(stderr, "# skip: no cgroup v1 hierarchies on this host\n");
    return 1;
  }
  if (need_unified && c->layout.unified == NULL) {
    fprintf(stderr, "# skip: no cgroup2 hierarchy on this host\n");
    return 1;
  }
  return 0;
}

static int kid_main(int go, int report, int (*fn)(void), bool stay) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char b;
  if (read(go, &b, 1) != 1) _exit(99);
  unsigned char res = (unsigned char)(fn ? fn() : 0);
  if (write(report, &res, 1) != 1) _exit(98);
  if (!stay) _exit(res);
  for (;;) pause();
}

/* Forks a child that waits for release, runs fn, reports its result byte and, when stay, then waits
 * for a signal. */
static kid *spawn(real_ctx *c, int (*fn)(void), bool stay) {
  if (c->n_kids == MAX_KIDS) return NULL;
  int go[2], rep[2];
  if (pipe2(go, O_CLOEXEC) < 0) return NULL;
  if (pipe2(rep, O_CLOEXEC) < 0) {
    close(go[0]);
    close(go[1]);
    return NULL;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    close(rep[0]);
    kid_main(go[0], rep[1], fn, stay);
  }
  close(go[0]);
  close(rep[1]);
  kid *k = &c->kids[c->n_kids++];
  k->pid = pid;
  k->go = go[1];
  k->report = rep[0];
  if (pid < 0) return NULL;
  return k;
}

static int go(kid *k) {
  char b = 1;
  return write(k->go, &b, 1) == 1 ? 0 : -1;
}

/* Releases the child and waits (bounded) for its report byte; -1 when none came. */
static int release(kid *k) {
  if (go(k) < 0) return -1;
  struct pollfd pfd = {.fd = k->report, .events = POLLIN};
  if (poll(&pfd, 1, 10000) != 1) return -1;
  unsigned char res;
  if (read(k->report, &res, 1) != 1) return -1;
  return res;
}

/* Reaps the child within timeout_ms; returns its wait status or -1. */
static int reap(kid *k, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 5) {
    int status;
    pid_t r = waitpid(k->pid, &status, WNOHANG);
    if (r == k->pid) {
      k->pid = 0;
      return status;
    }
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  return -1;
}

/* Whether /proc/<pid>/cgroup puts the hierarchy holding `ctrl` (or the unified one, for "") at path. */
static bool in_cgroup(pid_t pid, const char *ctrl, const char *path) {
  const char *text = readf("/proc/%d/cgroup", (int)pid);
  char copy[8192];
  snprintf(copy, sizeof(copy), "%s", text);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL) continue;
    *c2 = '\0';
    char *ctrls = c1 + 1;
    bool match = ctrl[0] == '\0' ? ctrls[0] == '\0' : false;
    char *s2 = NULL;
    for (char *t = strtok_r(ctrls, ",", &s2); t && ctrl[0]; t = strtok_r(NULL, ",", &s2))
      if (strcmp(t, ctrl) == 0) match = true;
    if (match) return strcmp(c2 + 1, path) == 0;
  }
  return false;
}

static int wait_unpopulated(rn_cgroup *cg, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 5) {
    rn_error err;
    bool populated = true;
    if (cg->driver->populated(cg, &populated, &err) == 0 && !populated) return 0;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  return -1;
}

/* Device checks run in the child, after it joined: bit n set = check n failed. */
static int open_errno(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  return errno;
}

static int kid_v1_devices(void) {
  int res = 0;
  if (open_errno("/dev/null", O_RDWR) != 0) res |= 1;
  if (open_errno("/dev/zero", O_RDONLY) != 0) res |= 2;     /* allowed: r */
  if (open_errno("/dev/zero", O_WRONLY) != EPERM) res |= 4; /* not allowed: w */
  if (open_errno("/dev/full", O_RDONLY) != EPERM) res |= 8; /* not listed */
  return res;
}

static const char *const ctrl_name[RN_CG_COUNT] = {"memory", "cpu",     "cpuacct", "cpuset",
                                                   "pids",   "devices", "freezer"};

static int real_v1_lifecycle(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_setup(c, true, false)) return 0;
  char path[128];
  snprintf(path, sizeof(path), "%s/c1", c->base);
  rn_resources r;
  res_unset(&r);
  r.memory_limit = 64 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.pids_limit = 64;
  r.cpuset_cpus = "0";
  rn_device_rule rules[] = {RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"),
                            RULE(true, 'c', 1, 5, "r")};
  r.devices = rules;
  r.n_devices = ARRAY_LEN(rules);
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->layout, path, &err));
  c->has_cg[0] = true;
  CHECK_OK(cg->driver->create(cg, &r, true, &err));
  for (int i = 0; i < RN_CG_COUNT; i++)
    if (c->layout.v1[i]) CHECK(exists(cg->v1_dir[i]));
  if (c->layout.mode == RN_CGROUP_HYBRID) CHECK(exists(cg->unified_dir));
  if (cg->v1_dir[RN_CG_MEMORY]) CHECK_STR(readf("%s/memory.limit_in_bytes", cg->v1_dir[RN_CG_MEMORY]), "67108864\n");
  if (cg->v1_dir[RN_CG_CPU]) CHECK_STR(readf("%s/cpu.cfs_quota_us", cg->v1_dir[RN_CG_CPU]), "50000\n");
  if (cg->v1_dir[RN_CG_PIDS]) CHECK_STR(readf("%s/pids.max", cg->v1_dir[RN_CG_PIDS]), "64\n");
  if (cg->v1_dir[RN_CG_DEVICES])
    CHECK_STR(readf("%s/devices.list", cg->v1_dir[RN_CG_DEVICES]), "c 1:3 rwm\nc 1:5 r\n");

  kid *k = spawn(c, kid_v1_devices, true);
  CHECK(k != NULL);
  /* Attaching works: the cpuset levels got cpus/mems (no ENOSPC). */
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  char want[160];
  snprintf(want, sizeof(want), "/%s", path);
  for (int i = 0; i < RN_CG_COUNT; i++)
    if (c->layout.v1[i] && !in_cgroup(k->pid, ctrl_name[i], want)) {
      snprintf(why, why_len, "pid %d not in %s:%s: %s", (int)k->pid, ctrl_name[i], want,
               readf("/proc/%d/cgroup", (int)k->pid));
      return 1;
    }
  if (c->layout.mode == RN_CGROUP_HYBRID) CHECK(in_cgroup(k->pid, "", want));
  int res = release(k);
  CHECK(res == 0);
  CHECK_CONTAINS(readf("/proc/%d/status", (int)k->pid), "Cpus_allowed_list:\t0\n");

  bool populated = false;
  CHECK_OK(cg->driver->populated(cg, &populated, &err));
  CHECK(populated);
  CHECK_OK(cg->driver->signal_all(cg, SIGKILL, &err));
  int status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(wait_unpopulated(cg, 2000) == 0);

  rn_buf b;
  rn_buf_init(&b);
  rn_cgroup_paths_json(cg, &b);
  rn_buf_append(&b, "", 1);
  char json[4096], mem[512];
  snprintf(json, sizeof(json), "%s", b.data);
  rn_buf_free(&b);
  snprintf(mem, sizeof(mem), "\"memory\":\"%s\"", cg->v1_dir[RN_CG_MEMORY] ? cg->v1_dir[RN_CG_MEMORY] : "");
  if (cg->v1_dir[RN_CG_MEMORY]) CHECK_CONTAINS(json, mem);

  CHECK_OK(cg->driver->destroy(cg, &err));
  for (int i = 0; i < RN_CG_COUNT; i++)
    if (cg->v1_dir[i]) CHECK(!exists(cg->v1_dir[i]));
  if (cg->unified_dir) CHECK(!exists(cg->unified_dir));
  CHECK_OK(cg->driver->destroy(cg, &err)); /* idempotent */
  return 0;
}

RN_TEST(cg_real_v1_lifecycle, "cgroup: v1 driver on this host: limits, attach, devices, kill, destroy") {
  real_ctx c;
  int r = real_v1_lifecycle(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

static int real_v1_signals(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_setup(c, true, false)) return 0;
  char path[128];
  snprintf(path, sizeof(path), "%s/sig", c->base);
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->layout, path, &err));
  c->has_cg[0] = true;
  CHECK_OK(cg->driver->create(cg, NULL, false, &err));

  /* SIGTERM: freeze, signal each pid, thaw. */
  kid *k = spawn(c, NULL, true);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  CHECK(release(k) == 0);
  CHECK_OK(cg->driver->signal_all(cg, SIGTERM, &err));
  int status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  if (cg->v1_dir[RN_CG_FREEZER]) CHECK_STR(readf("%s/freezer.state", cg->v1_dir[RN_CG_FREEZER]), "THAWED\n");
  CHECK(wait_unpopulated(cg, 2000) == 0);

  /* SIGKILL without a unified hierarchy (a pure v1 host): the freezer path, and populated from
   * cgroup.procs. */
  memset(&c->v1only, 0, sizeof(c->v1only));
  c->v1only.mode = RN_CGROUP_V1;
  for (int i = 0; i < RN_CG_COUNT; i++)
    if (c->layout.v1[i]) c->v1only.v1[i] = xstrdup(c->layout.v1[i]);
  c->has_v1only = true;
  rn_cgroup *cg1 = &c->cg[1];
  CHECK_OK(rn_cgroup_open(cg1, &c->v1only, path, &err));
  c->has_cg[1] = true;
  CHECK(cg1->unified_dir == NULL);
  k = spawn(c, NULL, true);
  CHECK(k != NULL);
  CHECK_OK(cg1->driver->attach(cg1, k->pid, &err));
  CHECK(release(k) == 0);
  bool populated = false;
  CHECK_OK(cg1->driver->populated(cg1, &populated, &err));
  CHECK(populated);
  CHECK_OK(cg1->driver->signal_all(cg1, SIGKILL, &err));
  status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(wait_unpopulated(cg1, 2000) == 0);

  /* destroy() kills what is still there. */
  k = spawn(c, NULL, true);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  CHECK(release(k) == 0);
  CHECK_OK(cg->driver->destroy(cg, &err));
  status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (int i = 0; i < RN_CG_COUNT; i++)
    if (cg->v1_dir[i]) CHECK(!exists(cg->v1_dir[i]));
  return 0;
}

RN_TEST(cg_real_v1_signals, "cgroup: v1 driver on this host: SIGTERM via freezer, pure-v1 SIGKILL, destroy kills") {
  real_ctx c;
  int r = real_v1_signals(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

static int kid_hog(void) {
  /* 64 MiB touched page by page in a 16 MiB cgroup: the OOM killer ends this long before the report. */
  size_t size = (size_t)64 << 20;
  /* volatile: the compiler must not drop stores that nothing reads. */
  volatile char *p = malloc(size);
  if (p == NULL) return 2;
  for (size_t off = 0; off < size; off += 4096) p[off] = 1;
  return 1; /* survived: the limit did not hold */
}

static int real_v1_oom(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_setup(c, true, false)) return 0;
  if (c->layout.v1[RN_CG_MEMORY] == NULL) {
    fprintf(stderr, "# skip: no v1 memory controller\n");
    return 0;
  }
  char path[128];
  snprintf(path, sizeof(path), "%s/oom", c->base);
  rn_resources r;
  res_unset(&r);
  r.memory_limit = 16 << 20;
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->layout, path, &err));
  c->has_cg[0] = true;
  CHECK_OK(cg->driver->create(cg, &r, true, &err));
  CHECK_OK(cg->driver->oom_watch(cg, &err));
  CHECK(cg->oom_fd >= 0);
  uint64_t kills = 99;
  CHECK_OK(cg->driver->oom_kills(cg, &kills, &err));
  CHECK(kills == 0);

  kid *k = spawn(c, kid_hog, false);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  CHECK(go(k) == 0);
  struct pollfd pfd = {.fd = cg->oom_fd, .events = POLLIN};
  CHECK(poll(&pfd, 1, 10000) == 1);
  uint64_t events = 0;
  CHECK(read(cg->oom_fd, &events, sizeof(events)) == (ssize_t)sizeof(events) && events >= 1);
  int status = reap(k, 10000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  /* The event can arrive before the counter moves (kernel-facts §3): read it again for a moment. */
  for (int i = 0; i < 200; i++) {
    CHECK_OK(cg->driver->oom_kills(cg, &kills, &err));
    if (kills >= 1) break;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  CHECK(kills >= 1);
  CHECK_OK(cg->driver->destroy(cg, &err));
  CHECK(!exists(cg->v1_dir[RN_CG_MEMORY]));
  return 0;
}

RN_TEST(cg_real_v1_oom, "cgroup: v1 driver on this host: an OOM kill wakes oom_fd and is counted") {
  real_ctx c;
  int r = real_v1_oom(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

static int real_v1_rollback(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_setup(c, true, false)) return 0;
  if (c->layout.v1[RN_CG_CPUSET] == NULL) {
    fprintf(stderr, "# skip: no v1 cpuset controller\n");
    return 0;
  }
  char path[128];
  snprintf(path, sizeof(path), "%s/bad/leaf", c->base);
  rn_resources r;
  res_unset(&r);
  r.memory_limit = 32 << 20;
  r.cpuset_cpus = "4095"; /* no such CPU: the kernel refuses it after the directories exist */
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->layout, path, &err));
  c->has_cg[0] = true;
  CHECK_FAILS(cg->driver->create(cg, &r, true, &err));
  CHECK_CONTAINS(err.msg, "linux.resources.cpu.cpus: write `4095` to `");
  /* Every directory create() made is gone again, the shared parent swarm-unit-<pid> included. */
  char dir[4096];
  for (int i = 0; i < RN_CG_COUNT; i++) {
    if (c->layout.v1[i] == NULL) continue;
    snprintf(dir, sizeof(dir), "%s/%s", c->layout.v1[i], c->base);
    CHECK(!exists(dir));
  }
  if (c->layout.unified) {
    snprintf(dir, sizeof(dir), "%s/%s", c->layout.unified, c->base);
    CHECK(!exists(dir));
  }
  return 0;
}

RN_TEST(cg_real_v1_rollback, "cgroup: v1 driver on this host: a refused limit leaves no directory behind") {
  real_ctx c;
  int r = real_v1_rollback(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

/* The v2 driver pointed at the unified hierarchy: on a hybrid host it has no controllers, only the core
 * files, which is all the lifecycle needs. */
static int real_v2_setup(real_ctx *c, rn_cgroup_layout *v2) {
  if (real_setup(c, false, true)) return 1;
  memset(v2, 0, sizeof(*v2));
  v2->mode = RN_CGROUP_V2;
  v2->unified = xstrdup(c->layout.unified);
  return 0;
}

static int real_v2_lifecycle(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_v2_setup(c, &c->v1only)) return 0;
  c->has_v1only = true;
  char path[128];
  snprintf(path, sizeof(path), "%s/v2", c->base);
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->v1only, path, &err));
  c->has_cg[0] = true;
  CHECK_STR(cg->driver->name, "v2");
  CHECK_OK(cg->driver->create(cg, NULL, false, &err));
  CHECK(exists(cg->unified_dir));
  /* No memory controller on a hybrid host's unified hierarchy: the OOM watch stays unarmed. */
  char events[512];
  snprintf(events, sizeof(events), "%s/memory.events", cg->unified_dir);
  if (!exists(events)) {
    uint64_t kills = 99;
    CHECK_OK(cg->driver->oom_watch(cg, &err));
    CHECK(cg->oom_fd == -1);
    CHECK_OK(cg->driver->oom_kills(cg, &kills, &err));
    CHECK(kills == 0);
  }

  kid *k = spawn(c, NULL, true);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  char want[160];
  snprintf(want, sizeof(want), "/%s", path);
  CHECK(in_cgroup(k->pid, "", want));
  CHECK(release(k) == 0);
  bool populated = false;
  CHECK_OK(cg->driver->populated(cg, &populated, &err));
  CHECK(populated);
  CHECK_OK(cg->driver->signal_all(cg, SIGKILL, &err)); /* cgroup.kill */
  int status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(wait_unpopulated(cg, 2000) == 0);

  /* Any other signal: cgroup.freeze around a walk of cgroup.procs, thawed afterwards. */
  k = spawn(c, NULL, true);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  CHECK(release(k) == 0);
  CHECK_OK(cg->driver->signal_all(cg, SIGTERM, &err));
  status = reap(k, 5000);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  CHECK_STR(readf("%s/cgroup.freeze", cg->unified_dir), "0\n");

  CHECK_OK(cg->driver->destroy(cg, &err));
  CHECK(!exists(cg->unified_dir));
  CHECK_OK(cg->driver->destroy(cg, &err));
  return 0;
}

RN_TEST(cg_real_v2_lifecycle, "cgroup: v2 driver on this host's unified hierarchy: attach, kill, destroy") {
  real_ctx c;
  int r = real_v2_lifecycle(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

static int kid_only_null(void) {
  int res = 0;
  if (open_errno("/dev/null", O_RDWR) != 0) res |= 1;
  if (open_errno("/dev/zero", O_RDONLY) != EPERM) res |= 2;
  return res;
}

static int kid_null_read_only(void) {
  int res = 0;
  if (open_errno("/dev/null", O_RDONLY) != 0) res |= 1;
  if (open_errno("/dev/null", O_WRONLY) != EPERM) res |= 2;
  if (open_errno("/dev/zero", O_RDONLY) != 0) res |= 4;  /* allowed by "a" */
  if (open_errno("/dev/full", O_RDONLY) != EPERM) res |= 8; /* denied by the last rule */
  return res;
}

static int real_v2_devices(real_ctx *c, char *why, size_t why_len) {
  rn_error err;
  if (real_v2_setup(c, &c->v1only)) return 0;
  c->has_v1only = true;

  /* Only c 1:3: /dev/null opens, /dev/zero is refused. */
  char path[128];
  snprintf(path, sizeof(path), "%s/dev1", c->base);
  rn_resources r;
  res_unset(&r);
  rn_device_rule only_null[] = {RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm")};
  r.devices = only_null;
  r.n_devices = ARRAY_LEN(only_null);
  rn_cgroup *cg = &c->cg[0];
  CHECK_OK(rn_cgroup_init(cg, &c->v1only, path, &err));
  c->has_cg[0] = true;
  CHECK_OK(cg->driver->create(cg, &r, true, &err));
  kid *k = spawn(c, kid_only_null, false);
  CHECK(k != NULL);
  CHECK_OK(cg->driver->attach(cg, k->pid, &err));
  int res = release(k);
  if (res != 0) {
    snprintf(why, why_len, "device checks in the child failed: mask %d", res);
    return 1;
  }

  /* Access bits and last-match-wins: everything, then /dev/null read-only, then no /dev/full. */
  snprintf(path, sizeof(path), "%s/dev2", c->base);
  rn_device_rule mixed[] = {RULE(true, 'a', -1, -1, "rwm"), RULE(false, 'c', 1, 3, "rwm"),
                            RULE(true, 'c', 1, 3, "r"), RULE(false, 'c', 1, 7, "")};
  r.devices = mixed;
  r.n_devices = ARRAY_LEN(mixed);
  rn_cgroup *cg2 = &c->cg[1];
  CHECK_OK(rn_cgroup_init(cg2, &c->v1only, path, &err));
  c->has_cg[1] = true;
  CHECK_OK(cg2->driver->create(cg2, &r, true, &err));
  k = spawn(c, kid_null_read_only, false);
  CHECK(k != NULL);
  CHECK_OK(cg2->driver->attach(cg2, k->pid, &err));
  res = release(k);
  if (res != 0) {
    snprintf(why, why_len, "device checks in the child failed: mask %d", res);
    return 1;
  }
  CHECK(reap(k, 5000) != -1);
  CHECK_OK(cg2->driver->destroy(cg2, &err));
  CHECK_OK(cg->driver->destroy(cg, &err));
  return 0;
}

RN_TEST(cg_real_v2_devices, "cgroup: v2 driver BPF device filter on this host's unified hierarchy") {
  real_ctx c;
  int r = real_v2_devices(&c, why, why_len);
  real_cleanup(&c);
  return r;
}

/* Last: nothing this run made is left (only this process's swarm-unit-<pid>, so that runs in parallel
 * do not see each other's directories). */
RN_TEST(cg_real_zz_clean, "cgroup: no swarm-unit-<pid> directory is left in any hierarchy") {
  real_ctx c;
  if (real_setup(&c, false, false)) {
    real_cleanup(&c);
    return 0;
  }
  char left[4096] = "";
  for (int i = 0; i <= RN_CG_COUNT; i++) {
    const char *mount = i < RN_CG_COUNT ? c.layout.v1[i] : c.layout.unified;
    if (mount == NULL) continue;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", mount, c.base);
    if (exists(dir)) snprintf(left, sizeof(left), "%s", dir);
  }
  c.base[0] = '\0'; /* a check, not a cleanup */
  real_cleanup(&c);
  if (left[0]) {
    snprintf(why, why_len, "left behind: %s", left);
    return 1;
  }
  return 0;
}
