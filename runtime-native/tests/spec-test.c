#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"
#include "unit.h"

/* ---------- bundles ---------- */

static int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t len = strlen(data);
  ssize_t w = write(fd, data, len);
  close(fd);
  return w == (ssize_t)len ? 0 : -1;
}

/* A bundle under a fresh temporary directory: rootfs/, data/, data/file and a regular file "notdir". */
static int bundle_make(char *dir, size_t size) {
  char tmpl[] = "/tmp/rn-spec-test-XXXXXX";
  if (mkdtemp(tmpl) == NULL) return -1;
  char *real = realpath(tmpl, NULL);
  if (real == NULL) return -1;
  snprintf(dir, size, "%s", real);
  free(real);
  char p[256];
  snprintf(p, sizeof(p), "%s/rootfs", dir);
  if (mkdir(p, 0755) < 0) return -1;
  snprintf(p, sizeof(p), "%s/data", dir);
  if (mkdir(p, 0755) < 0) return -1;
  snprintf(p, sizeof(p), "%s/data/file", dir);
  if (write_file(p, "x") < 0) return -1;
  snprintf(p, sizeof(p), "%s/notdir", dir);
  return write_file(p, "x");
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void bundle_remove(const char *dir) {
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A valid config.json with parts added. Objects may repeat a key and the last one wins, so each part can
 * also replace a field of the base: `top` is appended to the document, `process` to process, `lin` to
 * linux. Namespaces: [0] mount, [1] pid, [2] network, [3] ipc, [4] uts. */
static char *config(const char *top, const char *process, const char *lin) {
  return xasprintf("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                   " \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"/bin/sh\"], \"cwd\": \"/\"%s%s},"
                   " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}, {\"type\": \"network\"},"
                   " {\"type\": \"ipc\"}, {\"type\": \"uts\"}]%s%s}%s%s}",
                   process ? ", " : "", process ? process : "", lin ? ", " : "", lin ? lin : "", top ? ", " : "",
                   top ? top : "");
}

/* Validates `text` against a fresh bundle. Returns the spec (or NULL with err filled); the caller frees it
 * and removes the bundle. */
static rn_spec *load_text(const char *text, const char *dir, rn_error *err, bool *json_ok) {
  rn_error_reset(err);
  rn_json *doc = rn_json_parse(text, strlen(text), err);
  *json_ok = doc != NULL;
  if (doc == NULL) return NULL;
  rn_spec *s = rn_spec_from_json(doc, dir, err);
  rn_json_free(doc);
  return s;
}

/* The config must be refused with a message that starts with "config.json: " and contains `expect` (where
 * "%s" stands for the bundle directory). */
static int expect_invalid_text(char *why, size_t why_len, const char *text, const char *expect) {
  char dir[128];
  if (bundle_make(dir, sizeof(dir)) < 0) {
    snprintf(why, why_len, "cannot make a bundle: %s", strerror(errno));
    return 1;
  }
  rn_error err;
  bool json_ok;
  rn_spec *s = load_text(text, dir, &err, &json_ok);
  bool refused = s == NULL;
  rn_spec_free(s);
  char want[768];
  snprintf(want, sizeof(want), expect, dir);
  bundle_remove(dir);
  if (!json_ok) {
    snprintf(why, why_len, "the test's JSON does not parse: %s", err.msg);
    return 1;
  }
  CHECK(refused);
  CHECK(strncmp(err.msg, "config.json: ", 13) == 0);
  CHECK_CONTAINS(err.msg, want);
  return 0;
}

static int expect_invalid(char *why, size_t why_len, const char *top, const char *process, const char *lin,
                          const char *expect) {
  char *text = config(top, process, lin);
  int r = expect_invalid_text(why, why_len, text, expect);
  free(text);
  return r;
}

#define INVALID(ident, title, top, process, lin, expect) \
  RN_TEST(ident, "spec: refuses " title) { return expect_invalid(why, why_len, top, process, lin, expect); }

#define INVALID_DOC(ident, title, text, expect) \
  RN_TEST(ident, "spec: refuses " title) { return expect_invalid_text(why, why_len, text, expect); }

/* ---------- a full valid config ---------- */

/* What `crun spec` writes (terminal off, and without its cgroup mount), plus every other supported field. */
static const char full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2-dev\",\n"
    "  \"process\": {\n"
    "    \"terminal\": false,\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 4294967294]},\n"
    "    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\","
    " \"EMPTY=\", \"TERM=dumb\", \"EQ=a=b\"],\n"
    "    \"cwd\": \"/\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"inheritable\": [],\n"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\", \"CAP_CHOWN\"],\n"
    "      \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024},\n"
    "                {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 0}],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"apparmorProfile\": \"\",\n"
    "    \"selinuxLabel\": \"\"\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"crun\",\n"
    "  \"domainname\": \"\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},\n"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
    "    {\"destination\": \"/mnt//data/./\", \"source\": \"data\", \"options\": [\"rbind\", \"ro\", \"rprivate\","
    " \"nosymfollow\"]},\n"
    "    {\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"/dev/null\", \"options\": [\"ro\","
    " \"rw\", \"noatime\", \"atime\", \"slave\"]},\n"
    "    {\"destination\": \"/ov\", \"type\": \"overlay\", \"source\": \"overlay\",\n"
    "     \"options\": [\"lowerdir=/a:/b\", \"upperdir=/u\", \"workdir=/w\", \"noatime\", \"readonly\"]},\n"
    "    {\"destination\": \"/run\", \"type\": \"tmpfs\"}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"resources\": {\n"
    "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
    "                  {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},\n"
    "                  {\"allow\": true, \"type\": \"c\", \"major\": 136},\n"
    "                  {\"allow\": true, \"type\": \"b\", \"minor\": 0, \"access\": \"mr\"}],\n"
    "      \"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728},\n"
    "      \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1,3\", \"mems\": \"0\"},\n"
    "      \"pids\": {\"limit\": 100}\n"
    "    },\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},\n"
    "                   {\"type\": \"mount\"}, {\"type\": \"cgroup\", \"path\": \"\"}],\n"
    "    \"cgroupsPath\": \"/swarmd/abc\",\n"
    "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438,"
    " \"uid\": 0, \"gid\": 5},\n"
    "                {\"path\": \"/dev/myfifo\", \"type\": \"p\"},\n"
    "                {\"path\": \"/dev//sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0}],\n"
    "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\",\n"
    "                    \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\","
    " \"/proc/scsi\"],\n"
    "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"],\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"65536\", \"fs.mqueue.msg_max\": \"100\"},\n"
    "    \"seccomp\": {\n"
    "      \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
    "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_AARCH64\"],\n"
    "      \"flags\": [],\n"
    "      \"syscalls\": [\n"
    "        {\"names\": [\"read\", \"write\", \"future_syscall_9000\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
    "        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [\n"
    "          {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},\n"
    "          {\"index\": 5, \"value\": 18446744073709551615, \"valueTwo\": 8, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
    "        {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},\n"
    "        {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},\n"
    "        {\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_LOG\"}\n"
    "      ]\n"
    "    },\n"
    "    \"rootfsPropagation\": \"rprivate\",\n"
    "    \"mountLabel\": \"\"\n"
    "  },\n"
    "  \"annotations\": {\"org.swarmd.task\": \"t1\", \"a\": \"1\", \"org.swarmd.task\": \"t2\", \"empty\": \"\"}\n"
    "}\n";

#define CAPS_DEFAULT ((1ull << 29) | (1ull << 5) | (1ull << 10))

static int check_full_spec(char *why, size_t why_len, const rn_spec *s, const char *dir) {
  char p[256];
  CHECK_STR(s->oci_version, "1.0.2-dev");
  CHECK_STR(s->bundle, dir);
  snprintf(p, sizeof(p), "%s/rootfs", dir);
  CHECK_STR(s->root_path, p);
  CHECK(s->root_readonly);
  CHECK_STR(s->hostname, "crun");

  const rn_process *pr = &s->process;
  CHECK(pr->uid == 1000 && pr->gid == 1001);
  CHECK(pr->has_umask && pr->umask == 022);
  CHECK(pr->n_additional_gids == 2 && pr->additional_gids[0] == 5 && pr->additional_gids[1] == 4294967294u);
  CHECK(pr->n_args == 3 && pr->args[3] == NULL);
  CHECK_STR(pr->args[0], "sh");
  CHECK_STR(pr->args[2], "echo hi");
  CHECK(pr->n_env == 5 && pr->env[5] == NULL);
  CHECK_STR(pr->env[1], "TERM=xterm");
  CHECK_STR(pr->cwd, "/");
  CHECK(pr->capabilities.bounding == CAPS_DEFAULT);
  CHECK(pr->capabilities.effective == CAPS_DEFAULT);
  CHECK(pr->capabilities.inheritable == 0);
  CHECK(pr->capabilities.permitted == (CAPS_DEFAULT | 1ull));
  CHECK(pr->capabilities.ambient == CAPS_DEFAULT);
  CHECK(pr->no_new_privileges);
  CHECK(pr->n_rlimits == 2);
  CHECK(pr->rlimits[0].resource == RLIMIT_NOFILE && pr->rlimits[0].soft == 1024 && pr->rlimits[0].hard == 1024);
  CHECK(pr->rlimits[1].resource == RLIMIT_CORE && pr->rlimits[1].soft == 0 && pr->rlimits[1].hard == UINT64_MAX);
  CHECK(pr->has_oom_score_adj && pr->oom_score_adj == -500);

  CHECK_STR(rn_spec_getenv(s, "TERM"), "dumb"); /* the last definition wins */
  CHECK_STR(rn_spec_getenv(s, "EMPTY"), "");
  CHECK_STR(rn_spec_getenv(s, "EQ"), "a=b");
  CHECK_STR(rn_spec_getenv(s, "PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CHECK(rn_spec_getenv(s, "PAT") == NULL);
  CHECK(rn_spec_getenv(s, "NOPE") == NULL);

  CHECK(s->n_mounts == 10);
  const rn_mount *m = s->mounts;
  CHECK_STR(m[0].destination, "/proc");
  CHECK_STR(m[0].type, "proc");
  CHECK_STR(m[0].source, "proc");
  CHECK(m[0].flags == 0 && m[0].propagation == 0 && !m[0].bind && !m[0].readonly && m[0].data == NULL);
  CHECK_STR(m[1].destination, "/dev");
  CHECK_STR(m[1].type, "tmpfs");
  CHECK(m[1].flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STR(m[1].data, "mode=755,size=65536k");
  CHECK_STR(m[2].type, "devpts");
  CHECK(m[2].flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STR(m[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  CHECK_STR(m[3].source, "shm");
  CHECK(m[3].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK_STR(m[3].data, "mode=1777,size=65536k");
  CHECK_STR(m[4].type, "mqueue");
  CHECK(m[4].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV) && m[4].data == NULL);
  CHECK_STR(m[5].type, "sysfs");
  CHECK(m[5].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY) && !m[5].readonly);
  /* A bind given by its option only, with a relative source. */
  CHECK_STR(m[6].destination, "/mnt/data");
  CHECK_STR(m[6].type, "bind");
  snprintf(p, sizeof(p), "%s/data", dir);
  CHECK_STR(m[6].source, p);
  CHECK(m[6].bind && m[6].recursive && m[6].readonly);
  CHECK(m[6].flags == (MS_RDONLY | MS_NOSYMFOLLOW)); /* no MS_BIND/MS_REC: the runtime binds itself */
  CHECK(m[6].propagation == (MS_PRIVATE | MS_REC));
  CHECK(m[6].data == NULL);
  /* Later words undo earlier ones. */
  CHECK_STR(m[7].type, "bind");
  CHECK_STR(m[7].source, "/dev/null");
  CHECK(m[7].bind && !m[7].recursive && !m[7].readonly && m[7].flags == 0 && m[7].propagation == MS_SLAVE);
  CHECK_STR(m[8].type, "overlay");
  CHECK(m[8].flags == (MS_NOATIME | MS_RDONLY) && !m[8].bind && !m[8].readonly);
  CHECK_STR(m[8].data, "lowerdir=/a:/b,upperdir=/u,workdir=/w");
  CHECK_STR(m[9].source, "tmpfs"); /* no source: the type stands in */

  for (int t = 0; t < RN_NS_COUNT; t++) CHECK(s->namespaces[t].enabled && s->namespaces[t].path == NULL);

  CHECK(s->has_resources);
  const rn_resources *r = &s->resources;
  CHECK(r->memory_limit == 67108864 && r->memory_reservation == 33554432 && r->memory_swap == 134217728);
  CHECK(r->cpu_shares == 512 && r->cpu_quota == 50000 && r->cpu_period == 100000);
  CHECK_STR(r->cpuset_cpus, "0-1,3");
  CHECK_STR(r->cpuset_mems, "0");
  CHECK(r->pids_limit == 100);
  CHECK(r->n_devices == 4);
  CHECK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 && r->devices[0].minor == -1);
  CHECK_STR(r->devices[0].access, "rwm");
  CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 1 && r->devices[1].minor == 3);
  CHECK_STR(r->devices[1].access, "rw");
  CHECK(r->devices[2].major == 136 && r->devices[2].minor == -1);
  CHECK_STR(r->devices[2].access, "rwm");
  CHECK(r->devices[3].type == 'b' && r->devices[3].major == -1 && r->devices[3].minor == 0);
  CHECK_STR(r->devices[3].access, "mr");

  CHECK_STR(s->cgroups_path, "/swarmd/abc");
  CHECK(s->n_devices == 3);
  CHECK_STR(s->devices[0].path, "/dev/fuse");
  CHECK(s->devices[0].type == 'c' && s->devices[0].major == 10 && s->devices[0].minor == 229);
  CHECK(s->devices[0].has_file_mode && s->devices[0].file_mode == 0666);
  CHECK(s->devices[0].uid == 0 && s->devices[0].gid == 5);
  CHECK_STR(s->devices[1].path, "/dev/myfifo");
  CHECK(s->devices[1].type == 'p' && !s->devices[1].has_file_mode);
  CHECK_STR(s->devices[2].path, "/dev/sda");
  CHECK(s->devices[2].type == 'b' && s->devices[2].major == 8 && s->devices[2].minor == 0);

  CHECK(s->n_masked_paths == 10 && s->masked_paths[10] == NULL);
  CHECK_STR(s->masked_paths[0], "/proc/acpi");
  CHECK_STR(s->masked_paths[9], "/proc/scsi");
  CHECK(s->n_readonly_paths == 5);
  CHECK_STR(s->readonly_paths[4], "/proc/sysrq-trigger");

  CHECK(s->n_sysctl == 3);
  CHECK_STR(s->sysctl[0].key, "net.ipv4.ip_forward");
  CHECK_STR(s->sysctl[0].value, "1");
  CHECK_STR(s->sysctl[1].key, "kernel.shmmax");
  CHECK_STR(s->sysctl[2].key, "fs.mqueue.msg_max");
  CHECK_STR(s->sysctl[2].value, "100");

  CHECK(s->has_seccomp);
  const rn_seccomp *sc = &s->seccomp;
  CHECK(sc->default_action == RN_SCMP_ERRNO && sc->has_default_errno_ret && sc->default_errno_ret == 1);
  CHECK(sc->n_architectures == 4);
  CHECK_STR(sc->architectures[0], "SCMP_ARCH_X86_64");
  CHECK_STR(sc->architectures[3], "SCMP_ARCH_AARCH64");
  CHECK(sc->n_rules == 5);
  CHECK(sc->rules[0].n_names == 3 && sc->rules[0].action == RN_SCMP_ALLOW && !sc->rules[0].has_errno_ret);
  CHECK_STR(sc->rules[0].names[2], "future_syscall_9000"); /* kept: the runtime skips names libseccomp lacks */
  CHECK(sc->rules[0].n_args == 0);
  CHECK(sc->rules[1].n_args == 2);
  CHECK(sc->rules[1].args[0].index == 0 && sc->rules[1].args[0].value == 0 && sc->rules[1].args[0].op == RN_SCMP_CMP_EQ);
  CHECK(sc->rules[1].args[1].index == 5 && sc->rules[1].args[1].value == UINT64_MAX);
  CHECK(sc->rules[1].args[1].value_two == 8 && sc->rules[1].args[1].op == RN_SCMP_CMP_MASKED_EQ);
  CHECK(sc->rules[2].action == RN_SCMP_ERRNO && sc->rules[2].has_errno_ret && sc->rules[2].errno_ret == 38);
  CHECK(sc->rules[3].action == RN_SCMP_KILL_PROCESS);
  CHECK(sc->rules[4].action == RN_SCMP_LOG);

  CHECK_STR(s->rootfs_propagation, "rprivate");

  /* Annotations keep document order; a repeated key keeps its last value. */
  CHECK(s->n_annotations == 3);
  CHECK_STR(s->annotations[0].key, "a");
  CHECK_STR(s->annotations[1].key, "org.swarmd.task");
  CHECK_STR(s->annotations[1].value, "t2");
  CHECK_STR(s->annotations[2].key, "empty");
  CHECK_STR(s->annotations[2].value, "");
  return 0;
}

RN_TEST(spec_full_valid, "spec: a full config (crun spec plus every supported field) loads into the struct") {
  char dir[128], path[256];
  CHECK(bundle_make(dir, sizeof(dir)) == 0);
  snprintf(path, sizeof(path), "%s/config.json", dir);
  rn_error err;
  rn_error_reset(&err);
  rn_spec *s = write_file(path, full_config) == 0 ? rn_spec_load(dir, &err) : NULL;
  int r = 1;
  if (s == NULL)
    snprintf(why, why_len, "rn_spec_load failed: %s", err.msg);
  else
    r = check_full_spec(why, why_len, s, dir);
  rn_spec_free(s);
  bundle_remove(dir);
  return r;
}

RN_TEST(spec_load_relative_bundle, "spec: rn_spec_load makes a relative bundle path absolute") {
  char dir[128], path[256], cwd[4096];
  CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
  CHECK(bundle_make(dir, sizeof(dir)) == 0);
  snprintf(path, sizeof(path), "%s/config.json", dir);
  char *text = config(NULL, NULL, NULL);
  int w = write_file(path, text);
  free(text);
  rn_error err;
  rn_spec *s = NULL;
  if (w == 0 && chdir(dir) == 0) {
    s = rn_spec_load(".", &err);
    if (chdir(cwd) < 0) abort();
  }
  char bundle[128] = "", root[256] = "";
  if (s) {
    snprintf(bundle, sizeof(bundle), "%s", s->bundle);
    snprintf(root, sizeof(root), "%s", s->root_path);
  }
  rn_spec_free(s);
  CHECK(s != NULL);
  CHECK_STR(bundle, dir);
  snprintf(path, sizeof(path), "%s/rootfs", dir);
  CHECK_STR(root, path);
  bundle_remove(dir);
  return 0;
}

RN_TEST(spec_minimal_defaults, "spec: a minimal config gets documented defaults") {
  char dir[128];
  CHECK(bundle_make(dir, sizeof(dir)) == 0);
  const char *text = "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"},"
                     " \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"true\"], \"cwd\": \"/\"},"
                     " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}";
  rn_error err;
  bool json_ok;
  rn_spec *s = load_text(text, dir, &err, &json_ok);
  bundle_remove(dir);
  if (s == NULL) {
    snprintf(why, why_len, "refused: %s", err.msg);
    return 1;
  }
  int r = 1;
  do {
    if (s->hostname != NULL || s->n_mounts != 0 || s->has_resources || s->has_seccomp) break;
    if (s->process.env == NULL || s->process.env[0] != NULL || s->process.n_env != 0) break;
    if (s->process.has_umask || s->process.has_oom_score_adj || s->process.no_new_privileges) break;
    if (s->process.capabilities.bounding || s->process.capabilities.effective) break;
    if (s->resources.memory_limit != -1 || s->resources.memory_reservation != -1 || s->resources.memory_swap != -1)
      break;
    if (s->resources.cpu_shares != 0 || s->resources.cpu_quota != -1 || s->resources.cpu_period != 0) break;
    if (s->resources.pids_limit != -1 || s->resources.cpuset_cpus || s->resources.n_devices) break;
    if (s->root_readonly || s->cgroups_path || s->rootfs_propagation || s->n_sysctl || s->n_annotations) break;
    if (!s->namespaces[RN_NS_MNT].enabled || s->namespaces[RN_NS_PID].enabled || s->namespaces[RN_NS_NET].enabled)
      break;
    r = 0;
  } while (0);
  rn_spec_free(s);
  CHECK(r == 0);
  return 0;
}

/* Loads a config that must be valid and hands it to check(). */
static int with_valid(char *why, size_t why_len, const char *top, const char *process, const char *lin,
                      int (*check)(char *, size_t, const rn_spec *, const char *dir)) {
  char dir[128];
  if (bundle_make(dir, sizeof(dir)) < 0) {
    snprintf(why, why_len, "cannot make a bundle");
    return 1;
  }
  char *text = config(top, process, lin);
  rn_error err;
  bool json_ok;
  rn_spec *s = load_text(text, dir, &err, &json_ok);
  free(text);
  int r;
  if (s == NULL) {
    snprintf(why, why_len, "refused: %s", err.msg);
    r = 1;
  } else {
    r = check(why, why_len, s, dir);
  }
  rn_spec_free(s);
  bundle_remove(dir);
  return r;
}

static int check_unset_values(char *why, size_t why_len, const rn_spec *s, const char *dir) {
  (void)dir;
  CHECK(s->has_resources);
  CHECK(s->resources.memory_limit == -1 && s->resources.memory_reservation == -1 && s->resources.memory_swap == -1);
  CHECK(s->resources.cpu_quota == -1 && s->resources.cpu_shares == 0 && s->resources.cpu_period == 0);
  CHECK(s->resources.pids_limit == -1);
  CHECK(s->resources.cpuset_cpus == NULL && s->resources.cpuset_mems == NULL);
  CHECK(s->cgroups_path == NULL && s->hostname == NULL);
  return 0;
}

RN_TEST(spec_unset_values, "spec: 0 and -1 mean unset where the spec says so") {
  return with_valid(why, why_len, "\"hostname\": \"\"", NULL,
                    "\"cgroupsPath\": \"\", \"resources\": {\"memory\": {\"limit\": 0, \"reservation\": -1, "
                    "\"swap\": -1}, \"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"cpus\": \"\", "
                    "\"mems\": \"\"}, \"pids\": {\"limit\": 0}}",
                    check_unset_values);
}

static int check_joined(char *why, size_t why_len, const rn_spec *s, const char *dir) {
  (void)dir;
  CHECK_STR(s->namespaces[RN_NS_NET].path, "/proc/self/ns/net");
  CHECK_STR(s->namespaces[RN_NS_IPC].path, "/proc/self/ns/ipc");
  CHECK(s->namespaces[RN_NS_UTS].enabled && s->namespaces[RN_NS_UTS].path == NULL);
  CHECK(!s->namespaces[RN_NS_PID].enabled);
  CHECK_STR(s->hostname, "web");
  CHECK(s->n_sysctl == 0);
  return 0;
}

RN_TEST(spec_joined_namespaces, "spec: network and ipc namespaces may be joined by path") {
  return with_valid(why, why_len, "\"hostname\": \"web\"", NULL,
                    "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"},"
                    " {\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}, {\"type\": \"uts\"}]",
                    check_joined);
}

static int check_cgroups_path(char *why, size_t why_len, const rn_spec *s, const char *dir) {
  (void)dir;
  CHECK_STR(s->cgroups_path, "swarmd/x.y/abc");
  return 0;
}

RN_TEST(spec_cgroups_path_relative, "spec: cgroupsPath without a leading '/' is kept as written") {
  return with_valid(why, why_len, NULL, NULL, "\"cgroupsPath\": \"swarmd/x.y/abc\"", check_cgroups_path);
}

static int check_absolute_root(char *why, size_t why_len, const rn_spec *s, const char *dir) {
  char p[256];
  snprintf(p, sizeof(p), "%s/data", dir);
  CHECK_STR(s->root_path, p);
  CHECK(!s->root_readonly);
  return 0;
}

RN_TEST(spec_absolute_root, "spec: an absolute root.path is used as is") {
  char dir[128];
  CHECK(bundle_make(dir, sizeof(dir)) == 0);
  char *top = xasprintf("\"root\": {\"path\": \"%s//data/\", \"readonly\": false}", dir);
  char *text = config(top, NULL, NULL);
  free(top);
  rn_error err;
  bool json_ok;
  rn_spec *s = load_text(text, dir, &err, &json_ok);
  free(text);
  int r = 1;
  if (s == NULL)
    snprintf(why, why_len, "refused: %s", err.msg);
  else
    r = check_absolute_root(why, why_len, s, dir);
  rn_spec_free(s);
  bundle_remove(dir);
  return r;
}

/* ---------- rn_spec_load errors ---------- */

RN_TEST(spec_load_errors, "spec: rn_spec_load names the bundle, the file and the JSON position") {
  char dir[128], path[256], want[512];
  CHECK(bundle_make(dir, sizeof(dir)) == 0);
  snprintf(path, sizeof(path), "%s/config.json", dir);
  rn_error err;

  rn_spec *s = rn_spec_load(dir, &err);
  char msg_missing[RN_ERROR_MAX];
  snprintf(msg_missing, sizeof(msg_missing), "%s", err.msg);
  int status_missing = err.status;

  int w = write_file(path, "{\n  \"ociVersion\": \"1.0.2\",\n  \"root\" {}\n}");
  rn_spec *s2 = rn_spec_load(dir, &err);
  char msg_broken[RN_ERROR_MAX];
  snprintf(msg_broken, sizeof(msg_broken), "%s", err.msg);

  char *huge = xmalloc(RN_SPEC_MAX_BYTES + 2);
  memset(huge, ' ', RN_SPEC_MAX_BYTES + 1);
  huge[RN_SPEC_MAX_BYTES + 1] = '\0';
  w |= write_file(path, huge);
  free(huge);
  rn_spec *s3 = rn_spec_load(dir, &err);
  char msg_huge[RN_ERROR_MAX];
  snprintf(msg_huge, sizeof(msg_huge), "%s", err.msg);

  rn_spec *s4 = rn_spec_load("/nonexistent/rn-bundle", &err);
  char msg_bundle[RN_ERROR_MAX];
  snprintf(msg_bundle, sizeof(msg_bundle), "%s", err.msg);

  rn_json *doc = rn_json_parse("{}", 2, &err);
  rn_spec *s5 = rn_spec_from_json(doc, "relative/bundle", &err);
  rn_json_free(doc);
  char msg_relative[RN_ERROR_MAX];
  snprintf(msg_relative, sizeof(msg_relative), "%s", err.msg);

  bundle_remove(dir);
  CHECK(w == 0);
  CHECK(s == NULL && s2 == NULL && s3 == NULL && s4 == NULL && s5 == NULL);
  snprintf(want, sizeof(want), "config.json: open `%s`: No such file or directory", path);
  CHECK_STR(msg_missing, want);
  CHECK(status_missing == ENOENT);
  snprintf(want, sizeof(want), "config.json: parse `%s`: line 3 column 10: expected ':' after object key", path);
  CHECK_STR(msg_broken, want);
  snprintf(want, sizeof(want), "config.json: read `%s`: the file is larger than the limit of %u bytes", path,
           RN_SPEC_MAX_BYTES);
  CHECK_STR(msg_huge, want);
  CHECK_STR(msg_bundle, "bundle `/nonexistent/rn-bundle`: No such file or directory");
  CHECK_STR(msg_relative, "bundle `relative/bundle`: must be an absolute path");
  return 0;
}

/* ---------- names ---------- */

RN_TEST(spec_cap_names, "spec: capability names") {
  CHECK(rn_cap_from_name("CAP_CHOWN") == 0);
  CHECK(rn_cap_from_name("CAP_NET_ADMIN") == 12);
  CHECK(rn_cap_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(rn_cap_from_name("CAP_AUDIT_READ") == 37);
  CHECK(rn_cap_from_name("CAP_PERFMON") == 38);
  CHECK(rn_cap_from_name("CAP_BPF") == 39);
  CHECK(rn_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(rn_cap_from_name("cap_chown") == -1);
  CHECK(rn_cap_from_name("CHOWN") == -1);
  CHECK(rn_cap_from_name("CAP_") == -1);
  CHECK(rn_cap_from_name("") == -1);
  CHECK(rn_cap_from_name(NULL) == -1);
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int last = -1;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = -1;
    fclose(f);
  }
  CHECK(last >= 0);
  CHECK(rn_cap_last_cap() == last);
  return 0;
}

RN_TEST(spec_cap_above_kernel, "spec: a capability the running kernel does not know is refused") {
  /* Only testable on a kernel older than the newest capability we know (5.9 added CAP_CHECKPOINT_RESTORE). */
  int last = rn_cap_last_cap();
  if (last >= 40) return 0;
  char expect[160];
  snprintf(expect, sizeof(expect),
           "config.json: process.capabilities.bounding[0]: CAP_CHECKPOINT_RESTORE is not known to the running "
           "kernel (its last capability is %d)", last);
  return expect_invalid(why, why_len, NULL, "\"capabilities\": {\"bounding\": [\"CAP_CHECKPOINT_RESTORE\"]}", NULL,
                        expect);
}

RN_TEST(spec_signal_names, "spec: signal names and numbers") {
  CHECK(rn_signal_from_name("TERM") == SIGTERM);
  CHECK(rn_signal_from_name("SIGTERM") == SIGTERM);
  CHECK(rn_signal_from_name("sigterm") == SIGTERM);
  CHECK(rn_signal_from_name("Kill") == SIGKILL);
  CHECK(rn_signal_from_name("15") == 15);
  CHECK(rn_signal_from_name("9") == 9);
  CHECK(rn_signal_from_name("1") == 1);
  CHECK(rn_signal_from_name("64") == 64);
  CHECK(rn_signal_from_name("HUP") == SIGHUP);
  CHECK(rn_signal_from_name("SIGWINCH") == SIGWINCH);
  CHECK(rn_signal_from_name("CHLD") == SIGCHLD);
  CHECK(rn_signal_from_name("RTMIN") == SIGRTMIN);
  CHECK(rn_signal_from_name("RTMIN+3") == SIGRTMIN + 3);
  CHECK(rn_signal_from_name("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(rn_signal_from_name("sigrtmin+3") == SIGRTMIN + 3);
  CHECK(rn_signal_from_name("RTMAX") == SIGRTMAX);
  CHECK(rn_signal_from_name("RTMAX-2") == SIGRTMAX - 2);
  CHECK(rn_signal_from_name("0") == -1);
  CHECK(rn_signal_from_name("65") == -1);
  CHECK(rn_signal_from_name("100") == -1);
  CHECK(rn_signal_from_name("-9") == -1);
  CHECK(rn_signal_from_name("+9") == -1);
  CHECK(rn_signal_from_name(" 9") == -1);
  CHECK(rn_signal_from_name("RTMIN+99") == -1);
  CHECK(rn_signal_from_name("RTMIN+") == -1);
  CHECK(rn_signal_from_name("RTMIN-1") == -1);
  CHECK(rn_signal_from_name("SIG") == -1);
  CHECK(rn_signal_from_name("SIG15") == -1);
  CHECK(rn_signal_from_name("TERMX") == -1);
  CHECK(rn_signal_from_name("") == -1);
  CHECK(rn_signal_from_name(NULL) == -1);
  return 0;
}

/* ---------- invalid configs, one per rule ---------- */

/* top level */
RN_TEST(spec_bad_document, "spec: refuses a document that is not an object") {
  return expect_invalid_text(why, why_len, "[1, 2]", "config.json: the document must be an object, got an array");
}
INVALID(bad_top_unknown, "an unknown top-level field", "\"foo\": 1", NULL, NULL, "config.json: foo: unknown field")
INVALID(bad_top_unknown_odd_key, "an unknown field with an odd name", "\"a b\": 1", NULL, NULL,
        "config.json: [\"a b\"]: unknown field")
INVALID(bad_hooks, "hooks", "\"hooks\": {}", NULL, NULL, "config.json: hooks: not supported by swarm-runtime")
INVALID(bad_windows, "windows", "\"windows\": {}", NULL, NULL, "config.json: windows: not supported by swarm-runtime")
INVALID(bad_domainname, "a domainname", "\"domainname\": \"example.com\"", NULL, NULL,
        "config.json: domainname: not supported by swarm-runtime")
INVALID_DOC(bad_no_version, "a missing ociVersion",
            "{\"root\": {\"path\": \"rootfs\"}, \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],"
            " \"cwd\": \"/\"}}",
            "config.json: ociVersion: required field is missing")
INVALID(bad_version, "an ociVersion that is not 1.x", "\"ociVersion\": \"2.0.0\"", NULL, NULL,
        "config.json: ociVersion: must be a 1.x version such as \"1.0.2\", got \"2.0.0\"")
INVALID(bad_version_type, "an ociVersion that is not a string", "\"ociVersion\": 1", NULL, NULL,
        "config.json: ociVersion: must be a string, got a number")
INVALID_DOC(bad_no_root, "a missing root",
            "{\"ociVersion\": \"1.0.0\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],"
            " \"cwd\": \"/\"}}",
            "config.json: root: required field is missing")
INVALID_DOC(bad_no_process, "a missing process", "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}",
            "config.json: process: required field is missing")
INVALID(bad_hostname_no_uts, "a hostname without a uts namespace", "\"hostname\": \"web\"", NULL,
        "\"namespaces\": [{\"type\": \"mount\"}]",
        "config.json: hostname: needs a new uts namespace in linux.namespaces")
INVALID(bad_hostname_long, "a hostname over 64 bytes",
        "\"hostname\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", NULL, NULL,
        "config.json: hostname: must be at most 64 bytes long")
INVALID(bad_annotation_value, "an annotation that is not a string", "\"annotations\": {\"org.swarmd.x\": 1}", NULL,
        NULL, "config.json: annotations[\"org.swarmd.x\"]: must be a string, got a number")
INVALID(bad_annotation_key, "an empty annotation key", "\"annotations\": {\"\": \"x\"}", NULL, NULL,
        "config.json: annotations: keys must not be empty")
INVALID(bad_annotations_type, "annotations that are not an object", "\"annotations\": [\"a=b\"]", NULL, NULL,
        "config.json: annotations: must be an object, got an array")

/* root */
INVALID(bad_root_no_path, "a root without path", "\"root\": {}", NULL, NULL,
        "config.json: root.path: required field is missing")
INVALID(bad_root_empty, "an empty root.path", "\"root\": {\"path\": \"\"}", NULL, NULL,
        "config.json: root.path: must not be empty")
INVALID(bad_root_missing, "a root.path that does not exist", "\"root\": {\"path\": \"nope\"}", NULL, NULL,
        "config.json: root.path: `%s/nope` does not exist")
INVALID(bad_root_not_dir, "a root.path that is not a directory", "\"root\": {\"path\": \"notdir\"}", NULL, NULL,
        "config.json: root.path: `%s/notdir` is not a directory")
INVALID(bad_root_readonly, "a root.readonly that is not a boolean", "\"root\": {\"path\": \"rootfs\", \"readonly\": \"yes\"}",
        NULL, NULL, "config.json: root.readonly: must be a boolean, got a string")
INVALID(bad_root_unknown, "an unknown field in root", "\"root\": {\"path\": \"rootfs\", \"ro\": true}", NULL, NULL,
        "config.json: root.ro: unknown field")

/* process */
INVALID(bad_process_type, "a process that is not an object", "\"process\": []", NULL, NULL,
        "config.json: process: must be an object, got an array")
INVALID(bad_terminal, "a terminal", NULL, "\"terminal\": true", NULL,
        "config.json: process.terminal: terminals are not supported")
INVALID(bad_process_unknown, "an unknown field in process", NULL, "\"foo\": 1", NULL,
        "config.json: process.foo: unknown field")
INVALID(bad_console_size, "process.consoleSize", NULL, "\"consoleSize\": {\"height\": 1, \"width\": 1}", NULL,
        "config.json: process.consoleSize: not supported by swarm-runtime")
INVALID(bad_scheduler, "process.scheduler", NULL, "\"scheduler\": {}", NULL,
        "config.json: process.scheduler: not supported by swarm-runtime")
INVALID(bad_no_user, "a process without user", "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}", NULL, NULL,
        "config.json: process.user: required field is missing")
INVALID(bad_no_uid, "a user without uid", NULL, "\"user\": {\"gid\": 0}", NULL,
        "config.json: process.user.uid: required field is missing")
INVALID(bad_uid_negative, "a negative uid", NULL, "\"user\": {\"uid\": -1, \"gid\": 0}", NULL,
        "config.json: process.user.uid: must be between 0 and 4294967294, got -1")
INVALID(bad_gid_max, "gid 2^32-1", NULL, "\"user\": {\"uid\": 0, \"gid\": 4294967295}", NULL,
        "config.json: process.user.gid: must be between 0 and 4294967294, got 4294967295")
INVALID(bad_uid_fraction, "a fractional uid", NULL, "\"user\": {\"uid\": 1.5, \"gid\": 0}", NULL,
        "config.json: process.user.uid: must be an integer, got 1.5")
INVALID(bad_uid_exponent, "a uid written with an exponent", NULL, "\"user\": {\"uid\": 1e3, \"gid\": 0}", NULL,
        "config.json: process.user.uid: must be written as an integer, without a fraction or exponent, got 1000")
INVALID(bad_uid_string, "a uid that is a string", NULL, "\"user\": {\"uid\": \"0\", \"gid\": 0}", NULL,
        "config.json: process.user.uid: must be a number, got a string")
INVALID(bad_umask, "a umask above 0777", NULL, "\"user\": {\"uid\": 0, \"gid\": 0, \"umask\": 512}", NULL,
        "config.json: process.user.umask: must be between 0 and 0777 (511), got 512")
INVALID(bad_username, "user.username", NULL, "\"user\": {\"uid\": 0, \"gid\": 0, \"username\": \"root\"}", NULL,
        "config.json: process.user.username: not supported by swarm-runtime")
INVALID(bad_additional_gid, "a bad additional gid", NULL,
        "\"user\": {\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, -2]}", NULL,
        "config.json: process.user.additionalGids[1]: must be between 0 and 4294967294, got -2")
INVALID(bad_args_empty, "an empty args", NULL, "\"args\": []", NULL,
        "config.json: process.args: must hold at least one argument")
INVALID(bad_args_missing, "a process without args", "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"cwd\": \"/\"}",
        NULL, NULL, "config.json: process.args: required field is missing")
INVALID(bad_args0_empty, "an empty args[0]", NULL, "\"args\": [\"\", \"x\"]", NULL,
        "config.json: process.args[0]: must not be empty")
INVALID(bad_args_type, "args holding a number", NULL, "\"args\": [\"sh\", 1]", NULL,
        "config.json: process.args[1]: must be a string, got a number")
INVALID(bad_args_not_array, "args as a string", NULL, "\"args\": \"sh\"", NULL,
        "config.json: process.args: must be an array, got a string")
INVALID(bad_args_nul, "an argument with a NUL byte", NULL, "\"args\": [\"a\\u0000b\"]", NULL,
        "config.json: process.args[0]: must not contain a NUL character")
INVALID(bad_env_no_eq, "an env entry without '='", NULL, "\"env\": [\"A=1\", \"FOO\"]", NULL,
        "config.json: process.env[1]: must be KEY=value, got \"FOO\"")
INVALID(bad_env_empty_key, "an env entry with an empty name", NULL, "\"env\": [\"=x\"]", NULL,
        "config.json: process.env[0]: the variable name before '=' must not be empty, got \"=x\"")
INVALID(bad_cwd_relative, "a relative cwd", NULL, "\"cwd\": \"tmp\"", NULL,
        "config.json: process.cwd: must be an absolute path, got \"tmp\"")
INVALID(bad_cwd_missing, "a process without cwd", "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"]}",
        NULL, NULL, "config.json: process.cwd: required field is missing")
INVALID(bad_cap_unknown, "an unknown capability", NULL,
        "\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FOO\"]}", NULL,
        "config.json: process.capabilities.bounding[1]: unknown capability, got \"CAP_FOO\"")
INVALID(bad_cap_no_prefix, "a capability without CAP_", NULL, "\"capabilities\": {\"ambient\": [\"NET_ADMIN\"]}", NULL,
        "config.json: process.capabilities.ambient[0]: unknown capability (did you mean \"CAP_NET_ADMIN\"?), got "
        "\"NET_ADMIN\"")
INVALID(bad_cap_lowercase, "a lowercase capability", NULL, "\"capabilities\": {\"effective\": [\"cap_chown\"]}", NULL,
        "config.json: process.capabilities.effective[0]: unknown capability, got \"cap_chown\"")
INVALID(bad_cap_set, "an unknown capability set", NULL, "\"capabilities\": {\"all\": []}", NULL,
        "config.json: process.capabilities.all: unknown field")
INVALID(bad_rlimit_type, "an unknown rlimit", NULL, "\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]",
        NULL, "config.json: process.rlimits[0].type: unknown resource (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...), got "
              "\"RLIMIT_FOO\"")
INVALID(bad_rlimit_soft_above_hard, "an rlimit whose soft limit is above the hard one", NULL,
        "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2048, \"hard\": 1024}]", NULL,
        "config.json: process.rlimits[0].soft: must not be above the hard limit (1024), got 2048")
INVALID(bad_rlimit_duplicate, "a repeated rlimit", NULL,
        "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
        " {\"type\": \"RLIMIT_NPROC\", \"soft\": 1, \"hard\": 1}, {\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]",
        NULL, "config.json: process.rlimits[2].type: RLIMIT_NOFILE is already set by process.rlimits[0]")
INVALID(bad_rlimit_no_hard, "an rlimit without hard", NULL, "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]",
        NULL, "config.json: process.rlimits[0].hard: required field is missing")
INVALID(bad_rlimit_negative, "a negative rlimit", NULL,
        "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": -1, \"hard\": 1}]", NULL,
        "config.json: process.rlimits[0].soft: must be a number between 0 and 18446744073709551615, got -1")
INVALID(bad_rlimit_huge, "an rlimit beyond 64 bits", NULL,
        "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1e30}]", NULL,
        "config.json: process.rlimits[0].hard: is out of range, got 1e+30")
INVALID(bad_oom_score_adj, "an oomScoreAdj above 1000", NULL, "\"oomScoreAdj\": 1001", NULL,
        "config.json: process.oomScoreAdj: must be between -1000 and 1000, got 1001")
INVALID(bad_apparmor, "an apparmor profile", NULL, "\"apparmorProfile\": \"docker-default\"", NULL,
        "config.json: process.apparmorProfile: not supported by swarm-runtime")
INVALID(bad_selinux, "an selinux label", NULL, "\"selinuxLabel\": \"system_u:system_r:container_t\"", NULL,
        "config.json: process.selinuxLabel: not supported by swarm-runtime")
INVALID(bad_no_new_privs, "a noNewPrivileges that is not a boolean", NULL, "\"noNewPrivileges\": \"true\"", NULL,
        "config.json: process.noNewPrivileges: must be a boolean, got a string")

/* mounts */
#define TWO_MOUNTS "{\"destination\": \"/proc\", \"type\": \"proc\"}, {\"destination\": \"/dev\", \"type\": \"tmpfs\"}, "
INVALID(bad_mount_relative, "a relative mount destination", "\"mounts\": [" TWO_MOUNTS "{\"destination\": \"tmp\", \"type\": \"tmpfs\"}]",
        NULL, NULL, "config.json: mounts[2].destination: must be an absolute path, got \"tmp\"")
INVALID(bad_mount_dotdot, "a mount destination with ..",
        "\"mounts\": [{\"destination\": \"/a/../b\", \"type\": \"tmpfs\"}]", NULL, NULL,
        "config.json: mounts[0].destination: must not contain a \"..\" component, got \"/a/../b\"")
INVALID(bad_mount_root, "a mount on /", "\"mounts\": [{\"destination\": \"/./\", \"type\": \"tmpfs\"}]", NULL, NULL,
        "config.json: mounts[0].destination: must not be \"/\" (the root filesystem comes from root.path), got \"/./\"")
INVALID(bad_mount_no_destination, "a mount without destination", "\"mounts\": [{\"type\": \"tmpfs\"}]", NULL, NULL,
        "config.json: mounts[0].destination: required field is missing")
INVALID(bad_mount_cgroup, "a cgroup mount",
        "\"mounts\": [{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\"}]", NULL, NULL,
        "config.json: mounts[0].type: not supported by swarm-runtime (supported: bind, proc, tmpfs, sysfs, devpts, "
        "mqueue, overlay), got \"cgroup\"")
INVALID(bad_mount_no_type, "a mount without type or bind option",
        "\"mounts\": [{\"destination\": \"/x\", \"source\": \"data\", \"options\": [\"ro\"]}]", NULL, NULL,
        "config.json: mounts[0].type: required field is missing")
INVALID(bad_bind_no_source, "a bind mount without source", "\"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\"}]",
        NULL, NULL, "config.json: mounts[0].source: required for a bind mount")
INVALID(bad_bind_source_missing, "a bind source that does not exist",
        "\"mounts\": [{\"destination\": \"/x\", \"source\": \"nope\", \"options\": [\"rbind\"]}]", NULL, NULL,
        "config.json: mounts[0].source: `%s/nope` does not exist")
INVALID(bad_mount_remount, "the remount option",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"ro\", \"remount\"]}]", NULL, NULL,
        "config.json: mounts[0].options[1]: \"remount\" is not supported by swarm-runtime")
INVALID(bad_mount_bind_option_on_tmpfs, "a bind option on a tmpfs",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"ro\", \"rbind\"]}]", NULL, NULL,
        "config.json: mounts[0].options[1]: a bind option needs type \"bind\" (or no type), got type \"tmpfs\"")
INVALID(bad_mount_uid_mappings, "mount uidMappings",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"uidMappings\": []}]", NULL, NULL,
        "config.json: mounts[0].uidMappings: not supported by swarm-runtime")
INVALID(bad_mount_option_type, "a mount option that is not a string",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [1]}]", NULL, NULL,
        "config.json: mounts[0].options[0]: must be a string, got a number")
INVALID(bad_mount_option_empty, "an empty mount option",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"\"]}]", NULL, NULL,
        "config.json: mounts[0].options[0]: must not be empty")
INVALID(bad_mounts_type, "mounts that are not an array", "\"mounts\": {}", NULL, NULL,
        "config.json: mounts: must be an array, got an object")

/* linux */
INVALID(bad_linux_intel_rdt, "linux.intelRdt", NULL, NULL, "\"intelRdt\": {}",
        "config.json: linux.intelRdt: not supported by swarm-runtime")
INVALID(bad_linux_personality, "linux.personality", NULL, NULL, "\"personality\": {\"domain\": \"LINUX\"}",
        "config.json: linux.personality: not supported by swarm-runtime")
INVALID(bad_linux_uid_mappings, "linux.uidMappings", NULL, NULL, "\"uidMappings\": []",
        "config.json: linux.uidMappings: not supported by swarm-runtime")
INVALID(bad_linux_unknown, "an unknown field in linux", NULL, NULL, "\"foo\": 1", "config.json: linux.foo: unknown field")
INVALID(bad_ns_user, "a user namespace", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}]",
        "config.json: linux.namespaces[1].type: \"user\" namespaces are not supported by swarm-runtime")
INVALID(bad_ns_time, "a time namespace", NULL, NULL, "\"namespaces\": [{\"type\": \"time\"}, {\"type\": \"mount\"}]",
        "config.json: linux.namespaces[0].type: \"time\" namespaces are not supported by swarm-runtime")
INVALID(bad_ns_unknown, "an unknown namespace type", NULL, NULL, "\"namespaces\": [{\"type\": \"foo\"}]",
        "config.json: linux.namespaces[0].type: unknown namespace type (allowed: pid, network, mount, ipc, uts, "
        "cgroup), got \"foo\"")
INVALID(bad_ns_duplicate, "a namespace listed twice", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}, {\"type\": \"pid\"}]",
        "config.json: linux.namespaces[2].type: \"pid\" is already listed in linux.namespaces[1]")
INVALID(bad_ns_pid_path, "a pid namespace given by path", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\", \"path\": \"/proc/self/ns/pid\"}]",
        "config.json: linux.namespaces[1].path: joining an existing pid namespace is not supported by swarm-runtime "
        "(only network, ipc and uts namespaces may be joined)")
INVALID(bad_ns_mount_path, "a mount namespace given by path", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\", \"path\": \"/proc/self/ns/mnt\"}]",
        "config.json: linux.namespaces[0].path: joining an existing mount namespace is not supported")
INVALID(bad_ns_path_relative, "a relative namespace path", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"ns/net\"}]",
        "config.json: linux.namespaces[1].path: must be an absolute path, got \"ns/net\"")
INVALID(bad_ns_path_missing, "a namespace path that does not exist", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"uts\", \"path\": \"/run/rn-no-such-ns\"}]",
        "config.json: linux.namespaces[1].path: `/run/rn-no-such-ns` does not exist")
INVALID(bad_ns_entry_type, "a namespace entry that is not an object", NULL, NULL, "\"namespaces\": [\"pid\"]",
        "config.json: linux.namespaces[0]: must be an object, got a string")
INVALID(bad_ns_no_mount, "a config without a mount namespace", NULL, NULL, "\"namespaces\": [{\"type\": \"pid\"}]",
        "config.json: linux.namespaces: a new mount namespace is required")
INVALID_DOC(bad_no_linux, "a config without linux (no mount namespace)",
            "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"user\": {\"uid\": 0,"
            " \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
            "config.json: linux.namespaces: a new mount namespace is required")

/* linux.resources */
INVALID(bad_memory_limit, "a negative memory limit", NULL, NULL, "\"resources\": {\"memory\": {\"limit\": -5}}",
        "config.json: linux.resources.memory.limit: must be -1 (unlimited) or a positive number of bytes, got -5")
INVALID(bad_memory_limit_huge, "a memory limit above int64", NULL, NULL,
        "\"resources\": {\"memory\": {\"limit\": 18446744073709551615}}",
        "config.json: linux.resources.memory.limit: must be -1 (unlimited) or a positive number of bytes, got "
        "18446744073709551615")
INVALID(bad_memory_reservation, "a negative memory reservation", NULL, NULL,
        "\"resources\": {\"memory\": {\"reservation\": -2}}",
        "config.json: linux.resources.memory.reservation: must be -1 (unlimited) or a positive number of bytes, got -2")
INVALID(bad_memory_swap, "a swap below the memory limit", NULL, NULL,
        "\"resources\": {\"memory\": {\"limit\": 1048576, \"swap\": 1000}}",
        "config.json: linux.resources.memory.swap: must be -1 (unlimited) or at least memory.limit (1048576)")
INVALID(bad_memory_swap_no_limit, "a swap without a memory limit", NULL, NULL,
        "\"resources\": {\"memory\": {\"swap\": 1048576}}",
        "config.json: linux.resources.memory.swap: needs linux.resources.memory.limit to be set")
INVALID(bad_memory_kernel, "memory.kernel", NULL, NULL, "\"resources\": {\"memory\": {\"kernel\": 1}}",
        "config.json: linux.resources.memory.kernel: not supported by swarm-runtime")
INVALID(bad_memory_swappiness, "memory.swappiness", NULL, NULL, "\"resources\": {\"memory\": {\"swappiness\": 0}}",
        "config.json: linux.resources.memory.swappiness: not supported by swarm-runtime")
INVALID(bad_cpu_shares, "cpu shares of 1", NULL, NULL, "\"resources\": {\"cpu\": {\"shares\": 1}}",
        "config.json: linux.resources.cpu.shares: must be 0 (unset) or between 2 and 262144, got 1")
INVALID(bad_cpu_shares_high, "cpu shares above 262144", NULL, NULL, "\"resources\": {\"cpu\": {\"shares\": 262145}}",
        "config.json: linux.resources.cpu.shares: must be 0 (unset) or between 2 and 262144, got 262145")
INVALID(bad_cpu_quota, "a cpu quota under 1000", NULL, NULL, "\"resources\": {\"cpu\": {\"quota\": 500}}",
        "config.json: linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000 microseconds, got 500")
INVALID(bad_cpu_quota_negative, "a cpu quota of -2", NULL, NULL, "\"resources\": {\"cpu\": {\"quota\": -2}}",
        "config.json: linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000 microseconds, got -2")
INVALID(bad_cpu_period, "a cpu period above 1s", NULL, NULL, "\"resources\": {\"cpu\": {\"period\": 1000001}}",
        "config.json: linux.resources.cpu.period: must be 0 (unset) or between 1000 and 1000000 microseconds, got "
        "1000001")
INVALID(bad_cpu_period_low, "a cpu period under 1000", NULL, NULL, "\"resources\": {\"cpu\": {\"period\": 999}}",
        "config.json: linux.resources.cpu.period: must be 0 (unset) or between 1000 and 1000000 microseconds, got 999")
INVALID(bad_cpus, "a malformed cpu list", NULL, NULL, "\"resources\": {\"cpu\": {\"cpus\": \"0-\"}}",
        "config.json: linux.resources.cpu.cpus: must be a list of numbers and ranges such as \"0-3,5\", got \"0-\"")
INVALID(bad_cpus_space, "a cpu list with spaces", NULL, NULL, "\"resources\": {\"cpu\": {\"cpus\": \"0, 1\"}}",
        "config.json: linux.resources.cpu.cpus: must be a list of numbers and ranges such as \"0-3,5\", got \"0, 1\"")
INVALID(bad_mems_reversed, "a reversed mems range", NULL, NULL, "\"resources\": {\"cpu\": {\"mems\": \"0,3-1\"}}",
        "config.json: linux.resources.cpu.mems: has a range whose end is below its start, got \"0,3-1\"")
INVALID(bad_cpu_realtime, "cpu.realtimeRuntime", NULL, NULL, "\"resources\": {\"cpu\": {\"realtimeRuntime\": 1}}",
        "config.json: linux.resources.cpu.realtimeRuntime: not supported by swarm-runtime")
INVALID(bad_pids, "a pids limit of -2", NULL, NULL, "\"resources\": {\"pids\": {\"limit\": -2}}",
        "config.json: linux.resources.pids.limit: must be -1 (unlimited) or a positive number, got -2")
INVALID(bad_pids_no_limit, "pids without limit", NULL, NULL, "\"resources\": {\"pids\": {}}",
        "config.json: linux.resources.pids.limit: required field is missing")
INVALID(bad_block_io, "resources.blockIO", NULL, NULL, "\"resources\": {\"blockIO\": {}}",
        "config.json: linux.resources.blockIO: not supported by swarm-runtime")
INVALID(bad_hugepages, "resources.hugepageLimits", NULL, NULL, "\"resources\": {\"hugepageLimits\": []}",
        "config.json: linux.resources.hugepageLimits: not supported by swarm-runtime")
INVALID(bad_unified, "resources.unified", NULL, NULL, "\"resources\": {\"unified\": {}}",
        "config.json: linux.resources.unified: not supported by swarm-runtime")
INVALID(bad_dev_rule_no_allow, "a device rule without allow", NULL, NULL,
        "\"resources\": {\"devices\": [{\"allow\": false}, {\"access\": \"rwm\"}]}",
        "config.json: linux.resources.devices[1].allow: required field is missing")
INVALID(bad_dev_rule_type, "a device rule of type u", NULL, NULL,
        "\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"u\"}]}",
        "config.json: linux.resources.devices[0].type: must be \"a\" (all), \"c\" or \"b\", got \"u\"")
INVALID(bad_dev_rule_access, "a device rule with access x", NULL, NULL,
        "\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
        "config.json: linux.resources.devices[0].access: must be made of r, w and m, each at most once, got \"rwx\"")
INVALID(bad_dev_rule_access_repeat, "a device rule with a repeated access letter", NULL, NULL,
        "\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rr\"}]}",
        "config.json: linux.resources.devices[0].access: must be made of r, w and m, each at most once, got \"rr\"")
INVALID(bad_dev_rule_major, "a device rule with major -1", NULL, NULL,
        "\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": -1}]}",
        "config.json: linux.resources.devices[0].major: must be between 0 and 4095 (leave it out to match any), got -1")

/* linux: cgroupsPath, devices, paths */
INVALID(bad_cgroups_systemd, "a systemd cgroupsPath", NULL, NULL, "\"cgroupsPath\": \"system.slice:swarmd:abc\"",
        "config.json: linux.cgroupsPath: systemd cgroup paths (\"slice:prefix:name\") are not supported by "
        "swarm-runtime, got \"system.slice:swarmd:abc\"")
INVALID(bad_cgroups_dotdot, "a cgroupsPath with ..", NULL, NULL, "\"cgroupsPath\": \"/swarmd/../x\"",
        "config.json: linux.cgroupsPath: must not contain a \"..\" component, got \"/swarmd/../x\"")
INVALID(bad_cgroups_root, "the root cgroup", NULL, NULL, "\"cgroupsPath\": \"/\"",
        "config.json: linux.cgroupsPath: must name a cgroup below the root, got \"/\"")
INVALID(bad_device_outside_dev, "a device outside /dev", NULL, NULL,
        "\"devices\": [{\"path\": \"/tmp/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].path: must be a path under /dev/, got \"/tmp/x\"")
INVALID(bad_device_dotdot, "a device path with ..", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/../etc/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].path: must not contain a \"..\" component, got \"/dev/../etc/x\"")
INVALID(bad_device_type, "a device of type x", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].type: must be \"c\", \"b\", \"u\" or \"p\", got \"x\"")
INVALID(bad_device_no_major, "a character device without major", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 3}]",
        "config.json: linux.devices[0].major: required field is missing (only a \"p\" device may leave it out)")
INVALID(bad_device_mode, "a device fileMode with file type bits", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 8630}]",
        "config.json: linux.devices[0].fileMode: must be between 0 and 07777 (4095), got 8630")
INVALID(bad_device_duplicate, "a device listed twice", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3},"
        " {\"path\": \"/dev//x\", \"type\": \"c\", \"major\": 1, \"minor\": 5}]",
        "config.json: linux.devices[1].path: \"/dev/x\" is already listed in linux.devices[0]")
INVALID(bad_device_uid, "a device uid of -1", NULL, NULL,
        "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"uid\": -1}]",
        "config.json: linux.devices[0].uid: must be between 0 and 4294967294, got -1")
INVALID(bad_masked_relative, "a relative masked path", NULL, NULL, "\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]",
        "config.json: linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"")
INVALID(bad_readonly_dotdot, "a readonly path with ..", NULL, NULL, "\"readonlyPaths\": [\"/proc/../etc\"]",
        "config.json: linux.readonlyPaths[0]: must not contain a \"..\" component, got \"/proc/../etc\"")

/* linux.sysctl */
INVALID(bad_sysctl_not_namespaced, "a sysctl that is not namespaced", NULL, NULL,
        "\"sysctl\": {\"net.core.somaxconn\": \"1024\", \"vm.swappiness\": \"10\"}",
        "config.json: linux.sysctl: \"vm.swappiness\" is not namespaced and cannot be set for a container")
INVALID(bad_sysctl_net_no_netns, "a net sysctl without a network namespace", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}",
        "config.json: linux.sysctl: \"net.ipv4.ip_forward\" needs a new network namespace in linux.namespaces")
INVALID(bad_sysctl_net_joined, "a net sysctl in a joined network namespace", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}],"
        " \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}",
        "config.json: linux.sysctl: \"net.ipv4.ip_forward\" needs a new network namespace, not one joined by path")
INVALID(bad_sysctl_ipc_no_ipcns, "an ipc sysctl without an ipc namespace", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"kernel.shmmax\": \"1\"}",
        "config.json: linux.sysctl: \"kernel.shmmax\" needs a new ipc namespace in linux.namespaces")
INVALID(bad_sysctl_mqueue_no_ipcns, "an fs.mqueue sysctl without an ipc namespace", NULL, NULL,
        "\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"fs.mqueue.msg_max\": \"1\"}",
        "config.json: linux.sysctl: \"fs.mqueue.msg_max\" needs a new ipc namespace in linux.namespaces")
INVALID(bad_sysctl_value_type, "a sysctl value that is not a string", NULL, NULL,
        "\"sysctl\": {\"net.ipv4.ip_forward\": 1}",
        "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string, got a number")
INVALID(bad_sysctl_key_escape, "a sysctl key that climbs out of /proc/sys", NULL, NULL,
        "\"sysctl\": {\"net.ipv4/../../../etc/x\": \"1\"}",
        "config.json: linux.sysctl: invalid key \"net.ipv4/../../../etc/x\"")
INVALID(bad_sysctl_key_dots, "a sysctl key with an empty component", NULL, NULL, "\"sysctl\": {\"net..x\": \"1\"}",
        "config.json: linux.sysctl: invalid key \"net..x\"")
INVALID(bad_sysctl_empty_value, "an empty sysctl value", NULL, NULL, "\"sysctl\": {\"net.ipv4.ip_forward\": \"\"}",
        "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: must not be empty")

/* linux.seccomp */
INVALID(bad_seccomp_no_default, "seccomp without defaultAction", NULL, NULL, "\"seccomp\": {\"syscalls\": []}",
        "config.json: linux.seccomp.defaultAction: required field is missing")
INVALID(bad_seccomp_notify, "SCMP_ACT_NOTIFY", NULL, NULL, "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
        "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported by swarm-runtime")
INVALID(bad_seccomp_action, "an unknown seccomp action", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_FOO\"}]}",
        "config.json: linux.seccomp.syscalls[0].action: unknown action (allowed: SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
        "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG), got "
        "\"SCMP_ACT_FOO\"")
INVALID(bad_seccomp_arch, "an unknown seccomp architecture", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
        "\"SCMP_ARCH_VAX\"]}",
        "config.json: linux.seccomp.architectures[1]: unknown architecture (libseccomp does not know it), got "
        "\"SCMP_ARCH_VAX\"")
INVALID(bad_seccomp_arch_prefix, "an architecture without SCMP_ARCH_", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86_64\"]}",
        "config.json: linux.seccomp.architectures[0]: must be an architecture name such as \"SCMP_ARCH_X86_64\", got "
        "\"x86_64\"")
INVALID(bad_seccomp_flags, "seccomp flags", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"]}",
        "config.json: linux.seccomp.flags[0]: seccomp flags are not supported by swarm-runtime, got "
        "\"SECCOMP_FILTER_FLAG_LOG\"")
INVALID(bad_seccomp_listener, "a seccomp listenerPath", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x.sock\"}",
        "config.json: linux.seccomp.listenerPath: not supported by swarm-runtime")
INVALID(bad_seccomp_no_names, "a seccomp rule without names", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], \"action\":"
        " \"SCMP_ACT_ERRNO\"}]}",
        "config.json: linux.seccomp.syscalls[0].names: must hold at least one system call name")
INVALID(bad_seccomp_name, "a malformed syscall name", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", \"Open\"],"
        " \"action\": \"SCMP_ACT_ERRNO\"}]}",
        "config.json: linux.seccomp.syscalls[0].names[1]: invalid system call name (expected lowercase letters, digits "
        "and '_'), got \"Open\"")
INVALID(bad_seccomp_arg_index, "a seccomp argument index of 6", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
        "config.json: linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5 (a system call has six "
        "arguments), got 6")
INVALID(bad_seccomp_arg_op, "an unknown seccomp operator", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_IN\"}]}]}",
        "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator (allowed: SCMP_CMP_NE, SCMP_CMP_LT, "
        "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ), got \"SCMP_CMP_IN\"")
INVALID(bad_seccomp_arg_value, "a seccomp argument without value", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
        "config.json: linux.seccomp.syscalls[0].args[0].value: required field is missing")
INVALID(bad_seccomp_errno_on_allow, "errnoRet with SCMP_ACT_ALLOW", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
        "config.json: linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE")
INVALID(bad_seccomp_default_errno, "a defaultErrnoRet above 16 bits", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 70000}",
        "config.json: linux.seccomp.defaultErrnoRet: must be between 0 and 65535, got 70000")
INVALID(bad_seccomp_rule_field, "an unknown field in a seccomp rule", NULL, NULL,
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
        " \"SCMP_ACT_ALLOW\", \"comment\": \"x\"}]}",
        "config.json: linux.seccomp.syscalls[0].comment: unknown field")

/* linux: the rest */
INVALID(bad_rootfs_propagation, "an unknown rootfsPropagation", NULL, NULL, "\"rootfsPropagation\": \"unbindable\"",
        "config.json: linux.rootfsPropagation: must be one of private, rprivate, slave, rslave, shared, rshared, got "
        "\"unbindable\"")
INVALID(bad_mount_label, "a mountLabel", NULL, NULL, "\"mountLabel\": \"system_u:object_r:container_file_t\"",
        "config.json: linux.mountLabel: not supported by swarm-runtime")
