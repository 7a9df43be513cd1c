#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "json.h"
#include "state.h"

#define CACHE_VERSION 1u

static uint32_t to_action(rn_seccomp_action a, bool has_errno, uint32_t errno_ret) {
  uint32_t e = has_errno ? errno_ret : EPERM;
  switch (a) {
  case RN_SCMP_KILL:
  case RN_SCMP_KILL_THREAD:
    return SCMP_ACT_KILL_THREAD;
  case RN_SCMP_KILL_PROCESS:
    return SCMP_ACT_KILL_PROCESS;
  case RN_SCMP_TRAP:
    return SCMP_ACT_TRAP;
  case RN_SCMP_ERRNO:
    return SCMP_ACT_ERRNO(e);
  case RN_SCMP_TRACE:
    return SCMP_ACT_TRACE(e);
  case RN_SCMP_ALLOW:
    return SCMP_ACT_ALLOW;
  case RN_SCMP_LOG:
    return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

static enum scmp_compare to_op(rn_seccomp_op op) {
  switch (op) {
  case RN_SCMP_CMP_NE:
    return SCMP_CMP_NE;
  case RN_SCMP_CMP_LT:
    return SCMP_CMP_LT;
  case RN_SCMP_CMP_LE:
    return SCMP_CMP_LE;
  case RN_SCMP_CMP_EQ:
    return SCMP_CMP_EQ;
  case RN_SCMP_CMP_GE:
    return SCMP_CMP_GE;
  case RN_SCMP_CMP_GT:
    return SCMP_CMP_GT;
  case RN_SCMP_CMP_MASKED_EQ:
    return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

/* A canonical serialisation of the profile. Its FNV-1a hash names the cache file, and the file holds it in
 * full: a cached program is used only when the serialisation matches byte for byte, so two profiles whose
 * hashes collide (by chance or by design) can never share a program. */
static void c_bytes(rn_buf *b, const void *p, size_t n) {
  rn_buf_append(b, p, n);
}
static void c_str(rn_buf *b, const char *s) {
  c_bytes(b, s, strlen(s) + 1);
}
static void c_u64(rn_buf *b, uint64_t v) {
  c_bytes(b, &v, sizeof(v));
}

static void canonical(const rn_seccomp *sc, rn_buf *b) {
  c_u64(b, CACHE_VERSION);
  c_u64(b, (uint64_t)SCMP_VER_MAJOR << 32 | (uint64_t)SCMP_VER_MINOR << 16 | SCMP_VER_MICRO);
  c_u64(b, sc->default_action);
  c_u64(b, sc->has_default_errno_ret ? sc->default_errno_ret : UINT64_MAX);
  c_u64(b, sc->n_architectures);
  for (size_t i = 0; i < sc->n_architectures; i++) c_str(b, sc->architectures[i]);
  c_u64(b, sc->n_rules);
  for (size_t i = 0; i < sc->n_rules; i++) {
    const rn_seccomp_rule *r = &sc->rules[i];
    c_u64(b, r->n_names);
    for (size_t j = 0; j < r->n_names; j++) c_str(b, r->names[j]);
    c_u64(b, r->action);
    c_u64(b, r->has_errno_ret ? r->errno_ret : UINT64_MAX);
    c_u64(b, r->n_args);
    for (size_t j = 0; j < r->n_args; j++) {
      c_u64(b, r->args[j].index);
      c_u64(b, r->args[j].value);
      c_u64(b, r->args[j].value_two);
      c_u64(b, r->args[j].op);
    }
  }
}

static uint64_t fnv64(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
  return h;
}

static int build(const rn_seccomp *sc, rn_bpf *out, rn_error *err) {
  uint32_t def = to_action(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == NULL) return rn_fail(err, 0, "seccomp: cannot initialise libseccomp");
  int r = 0;
  /* The runtime sets no_new_privs itself, in the order the spec asks for. */
  if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) goto fail_r;
  for (size_t i = 0; i < sc->n_architectures; i++) {
    const char *name = sc->architectures[i];
    char lower[64];
    const char *a = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
    size_t k = 0;
    for (; a[k] && k < sizeof(lower) - 1; k++) lower[k] = (char)((a[k] >= 'A' && a[k] <= 'Z') ? a[k] + 32 : a[k]);
    lower[k] = '\0';
    uint32_t arch = seccomp_arch_resolve_name(lower);
    if (arch == 0) continue; /* validated by the spec parser; unknown to this libseccomp build */
    r = seccomp_arch_add(ctx, arch);
    if (r < 0 && r != -EEXIST) {
      seccomp_release(ctx);
      return rn_fail(err, -r, "seccomp: add architecture `%s`", name);
    }
  }
  for (size_t i = 0; i < sc->n_rules; i++) {
    const rn_seccomp_rule *rule = &sc->rules[i];
    uint32_t action = to_action(rule->action, rule->has_errno_ret, rule->errno_ret);
    if (action == def) continue; /* libseccomp refuses rules that repeat the default */
    struct scmp_arg_cmp cmps[6];
    unsigned n = 0;
    for (size_t j = 0; j < rule->n_args && n < 6; j++) {
      const rn_seccomp_arg *arg = &rule->args[j];
      cmps[n++] = (struct scmp_arg_cmp){arg->index, to_op(arg->op), arg->value, arg->value_two};
    }
    for (size_t j = 0; j < rule->n_names; j++) {
      int nr = seccomp_syscall_resolve_name(rule->names[j]);
      if (nr == __NR_SCMP_ERROR) continue; /* newer than this libseccomp: skipped, as runc and crun do */
      r = seccomp_rule_add_array(ctx, action, nr, n, n ? cmps : NULL);
      if (r < 0) {
        seccomp_release(ctx);
        return rn_fail(err, -r, "seccomp: add rule for `%s` (linux.seccomp.syscalls[%zu])", rule->names[j], i);
      }
    }
  }
  /* Export through a memfd: libseccomp 2.5 can only write the program to a file descriptor. */
  int mfd = memfd_create("swarm-seccomp", MFD_CLOEXEC);
  if (mfd < 0) {
    seccomp_release(ctx);
    return rn_fail(err, errno, "seccomp: memfd_create");
  }
  r = seccomp_export_bpf(ctx, mfd);
  seccomp_release(ctx);
  if (r < 0) {
    close(mfd);
    return rn_fail(err, -r, "seccomp: export the filter");
  }
  struct stat st;
  if (fstat(mfd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
      st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
    close(mfd);
    return rn_fail(err, 0, "seccomp: the compiled filter has an invalid size");
  }
  out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
  out->insns = xmalloc((size_t)st.st_size);
  ssize_t got = pread(mfd, out->insns, (size_t)st.st_size, 0);
  close(mfd);
  if (got != st.st_size) {
    rn_bpf_free(out);
    return rn_fail(err, errno, "seccomp: read the compiled filter");
  }
  return 0;
fail_r:
  seccomp_release(ctx);
  return rn_fail(err, -r, "seccomp: configure libseccomp");
}

#define CACHE_MAGIC "RNSC"

/* The cache file: magic, the canonical profile's length (u64) and bytes, then the BPF program. */
static int cache_read(const char *path, const rn_buf *canon, rn_bpf *out) {
  rn_buf raw;
  rn_error ignored;
  if (rn_read_file(path, 12 + canon->len + (size_t)BPF_MAXINSNS * sizeof(struct sock_filter), &raw, &ignored) < 0)
    return -1;
  int r = -1;
  uint64_t clen = 0;
  if (raw.len > 12 + canon->len && memcmp(raw.data, CACHE_MAGIC, 4) == 0) memcpy(&clen, raw.data + 4, 8);
  size_t prog = raw.len - 12 - canon->len;
  if (clen == canon->len && memcmp(raw.data + 12, canon->data, canon->len) == 0 &&
      prog % sizeof(struct sock_filter) == 0 && prog > 0) {
    out->len = (unsigned short)(prog / sizeof(struct sock_filter));
    out->insns = xmalloc(prog);
    memcpy(out->insns, raw.data + 12 + canon->len, prog);
    r = 0;
  }
  rn_buf_free(&raw);
  return r;
}

int rn_seccomp_compile(const rn_seccomp *sc, const char *cache_dir, rn_bpf *out, rn_error *err) {
  memset(out, 0, sizeof(*out));
  rn_buf canon;
  rn_buf_init(&canon);
  canonical(sc, &canon);
  cleanup_free char *name = xasprintf("%016llx.bpf", (unsigned long long)fnv64(canon.data, canon.len));
  cleanup_free char *path = cache_dir ? xasprintf("%s/%s", cache_dir, name) : NULL;
  if (path && cache_read(path, &canon, out) == 0) {
    rn_buf_free(&canon);
    return 0;
  }
  if (build(sc, out, err) < 0) {
    rn_buf_free(&canon);
    return -1;
  }
  if (cache_dir && (mkdir(cache_dir, 0700) == 0 || errno == EEXIST)) {
    /* Best effort: a cache that cannot be written only costs time. */
    rn_buf file;
    rn_buf_init(&file);
    uint64_t clen = canon.len;
    rn_buf_append(&file, CACHE_MAGIC, 4);
    rn_buf_append(&file, (const char *)&clen, 8);
    rn_buf_append(&file, canon.data, canon.len);
    rn_buf_append(&file, (const char *)out->insns, out->len * sizeof(struct sock_filter));
    rn_error ignored;
    rn_write_file_atomic(cache_dir, name, file.data, file.len, &ignored);
    rn_buf_free(&file);
  }
  rn_buf_free(&canon);
  return 0;
}

int rn_seccomp_load(const rn_bpf *prog, rn_error *err) {
  struct sock_fprog fprog = {.len = prog->len, .filter = prog->insns};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) return rn_fail(err, errno, "load seccomp filter");
  return 0;
}

void rn_bpf_free(rn_bpf *prog) {
  free(prog->insns);
  prog->insns = NULL;
  prog->len = 0;
}
