/* config.json → rn_spec. Validation is complete: the rest of the runtime trusts what comes out of here, so
 * every field is checked once, and every error names the JSON path ("mounts[2].destination") and the rule.
 * A field we do not implement is refused by name rather than ignored, because a container that silently
 * runs without the limit or isolation its author asked for is worse than one that does not start.
 *
 * Each parse_* function fills its part of the rn_spec in place. Arrays are allocated zeroed at their full
 * length before their elements are parsed, so rn_spec_free() can release a half-filled spec on any
 * error path. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define UID_MAX_VALID 4294967294u /* (uid_t)-1 means "unchanged" to the kernel */
#define DEV_MAJOR_MAX 4095        /* the kernel's dev_t has 12 major bits */
#define DEV_MINOR_MAX 1048575     /* and 20 minor bits */
#define HOSTNAME_MAX 64
#define MAX_GROUPS 65536 /* NGROUPS_MAX on Linux */

typedef struct ctx {
  rn_error *err;
  const char *bundle;
} ctx;

/* ---------- paths and messages ---------- */

static bool is_plain_key(const char *key) {
  if (*key == '\0') return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

/* "parent.key", or parent["key"] when the key is not a plain identifier (sysctl and annotation keys). */
static char *path_key(const char *parent, const char *key) {
  if (is_plain_key(key)) return *parent ? xasprintf("%s.%s", parent, key) : xstrdup(key);
  rn_buf b;
  rn_buf_init(&b);
  rn_buf_printf(&b, "%s[", parent);
  rn_buf_json_string(&b, key, strlen(key));
  rn_buf_puts(&b, "]");
  return b.data;
}

static char *path_index(const char *parent, size_t i) {
  return xasprintf("%s[%zu]", parent, i);
}

static int fail(ctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const char *path, const char *fmt, ...) {
  char msg[RN_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (*path) return rn_fail(c->err, 0, "config.json: %s: %s", path, msg);
  return rn_fail(c->err, 0, "config.json: %s", msg);
}

static int fail_errno(ctx *c, int errnum, const char *path, const char *what, const char *file) {
  return rn_fail(c->err, errnum, "config.json: %s: %s `%s`", path, what, file);
}

static int missing(ctx *c, const char *parent, const char *key) {
  cleanup_free char *p = path_key(parent, key);
  return fail(c, p, "required field is missing");
}

static const char *a_type(rn_json_type t) {
  switch (t) {
  case RN_JSON_NULL: return "null";
  case RN_JSON_BOOL: return "a boolean";
  case RN_JSON_NUMBER: return "a number";
  case RN_JSON_STRING: return "a string";
  case RN_JSON_ARRAY: return "an array";
  case RN_JSON_OBJECT: return "an object";
  }
  return "an unknown value";
}

/* A short rendering of a scalar for "got ..." (strings quoted and escaped, long ones cut). */
static void show(const rn_json *v, char *out, size_t size) {
  switch (v->type) {
  case RN_JSON_NUMBER:
    if (v->is_uint)
      snprintf(out, size, "%llu", (unsigned long long)v->u);
    else if (v->is_int)
      snprintf(out, size, "%lld", (long long)v->i);
    else if (v->d > -1e17 && v->d < 1e17 && v->d == (double)(int64_t)v->d)
      snprintf(out, size, "%.0f", v->d);
    else
      for (int prec = 1; prec <= 17; prec++) { /* the shortest text that reads back as the same double */
        snprintf(out, size, "%.*g", prec, v->d);
        if (strtod(out, NULL) == v->d) break;
      }
    return;
  case RN_JSON_STRING: {
    rn_buf b;
    rn_buf_init(&b);
    rn_buf_json_string(&b, v->str, v->len > 96 ? 96 : v->len);
    if (v->len > 96) {
      b.len--; /* reopen the closing quote */
      rn_buf_puts(&b, "...\"");
    }
    snprintf(out, size, "%s", b.data);
    rn_buf_free(&b);
    return;
  }
  case RN_JSON_BOOL: snprintf(out, size, "%s", v->boolean ? "true" : "false"); return;
  default: snprintf(out, size, "%s", a_type(v->type)); return;
  }
}

/* "<rule>, got <value>" */
static int fail_value(ctx *c, const char *path, const rn_json *v, const char *rule) {
  char got[160];
  show(v, got, sizeof(got));
  return fail(c, path, "%s, got %s", rule, got);
}

static int want(ctx *c, const rn_json *v, const char *path, rn_json_type t) {
  if (v->type == t) return 0;
  return fail(c, path, "must be %s, got %s", a_type(t), a_type(v->type));
}

/* A string without NUL bytes (every string we keep ends up in a C API). */
static int get_string(ctx *c, const rn_json *v, const char *path, const char **out) {
  if (want(c, v, path, RN_JSON_STRING) < 0) return -1;
  if (memchr(v->str, '\0', v->len) != NULL) return fail(c, path, "must not contain a NUL character");
  *out = v->str;
  return 0;
}

static int get_bool(ctx *c, const rn_json *v, const char *path, bool *out) {
  if (want(c, v, path, RN_JSON_BOOL) < 0) return -1;
  *out = v->boolean;
  return 0;
}

/* The value of an integer known to be >= 0. */
static uint64_t uval(const rn_json *v) {
  return v->is_uint ? v->u : (uint64_t)v->i;
}

static bool int_in(const rn_json *v, int64_t min, uint64_t max) {
  if (v->is_uint) return v->u <= max;
  return v->i >= min && (v->i < 0 || (uint64_t)v->i <= max);
}

/* An integer in [min, max]. rule, when given, replaces the default "must be between min and max". Read
 * the value afterwards with v->i (when max <= INT64_MAX) or uval(v) (when min >= 0). */
static int want_int(ctx *c, const rn_json *v, const char *path, int64_t min, uint64_t max, const char *rule) {
  if (want(c, v, path, RN_JSON_NUMBER) < 0) return -1;
  if (!v->is_int) {
    /* Beyond 64 bits (every double that large is integral), or written with a fraction or exponent. */
    if (v->d >= 9.2e18 || v->d <= -9.2e18) return fail_value(c, path, v, "is out of range");
    if (v->d == (double)(int64_t)v->d)
      return fail_value(c, path, v, "must be written as an integer, without a fraction or exponent");
    return fail_value(c, path, v, "must be an integer");
  }
  if (int_in(v, min, max)) return 0;
  if (rule) return fail_value(c, path, v, rule);
  char r[96];
  snprintf(r, sizeof(r), "must be between %lld and %llu", (long long)min, (unsigned long long)max);
  return fail_value(c, path, v, r);
}

/* Refuses each key listed as unsupported ("not supported by swarm-runtime") and each key not known. */
static int check_fields(ctx *c, const rn_json *obj, const char *path, const char *const *known,
                        const char *const *unsupported) {
  for (size_t k = 0; k < obj->n; k++) {
    const char *key = obj->keys[k];
    bool found = false;
    for (size_t j = 0; unsupported && unsupported[j]; j++) {
      if (strcmp(key, unsupported[j]) == 0) {
        cleanup_free char *p = path_key(path, key);
        return fail(c, p, "not supported by swarm-runtime");
      }
    }
    for (size_t j = 0; known[j]; j++) {
      if (strcmp(key, known[j]) == 0) {
        found = true;
        break;
      }
    }
    if (!found) {
      cleanup_free char *p = path_key(path, key);
      return fail(c, p, "unknown field");
    }
  }
  return 0;
}

/* An object with only the given keys. */
static int want_object(ctx *c, const rn_json *v, const char *path, const char *const *known,
                       const char *const *unsupported) {
  if (want(c, v, path, RN_JSON_OBJECT) < 0) return -1;
  return check_fields(c, v, path, known, unsupported);
}

/* ---------- path helpers ---------- */

static bool has_dotdot(const char *p) {
  for (const char *s = p; *s;) {
    while (*s == '/') s++;
    const char *e = s;
    while (*e && *e != '/') e++;
    if (e - s == 2 && s[0] == '.' && s[1] == '.') return true;
    s = e;
  }
  return false;
}

/* Collapses "//" and "/./" and drops a trailing '/' (except for "/" itself), in place. ".." is left
 * alone: callers either refuse it or leave it for the kernel to resolve. */
static void clean_path(char *p) {
  char *out = p;
  const char *s = p;
  bool absolute = *s == '/';
  if (absolute) *out++ = '/';
  while (*s) {
    while (*s == '/') s++;
    const char *e = s;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - s);
    if (n == 0) break;
    if (!(n == 1 && s[0] == '.')) {
      if (out > p && out[-1] != '/') *out++ = '/';
      memmove(out, s, n);
      out += n;
    }
    s = e;
  }
  if (out == p) *out++ = '.';
  *out = '\0';
}

/* Absolute path for p: as is when absolute, else below the bundle. */
static char *resolve(const char *bundle, const char *p) {
  char *r = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", bundle, p);
  clean_path(r);
  return r;
}

/* An absolute path inside the container: no "..", cleaned. */
static int get_container_path(ctx *c, const rn_json *v, const char *path, char **out) {
  const char *s;
  if (get_string(c, v, path, &s) < 0) return -1;
  if (s[0] != '/') return fail_value(c, path, v, "must be an absolute path");
  if (has_dotdot(s)) return fail_value(c, path, v, "must not contain a \"..\" component");
  *out = xstrdup(s);
  clean_path(*out);
  return 0;
}

/* The host file must exist; the message says which resolved path is missing. */
static int want_exists(ctx *c, const char *path, const char *file, struct stat *st) {
  if (stat(file, st) == 0) return 0;
  if (errno == ENOENT || errno == ENOTDIR) return fail(c, path, "`%s` does not exist", file);
  return fail_errno(c, errno, path, "stat", file);
}

/* An array of strings into a zeroed vector of n + 1 (NULL-terminated). */
static int get_strv(ctx *c, const rn_json *v, const char *path, char ***out, size_t *n_out) {
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  *out = xcalloc(v->n + 1, sizeof(char *));
  *n_out = v->n;
  for (size_t k = 0; k < v->n; k++) {
    cleanup_free char *p = path_index(path, k);
    const char *s;
    if (get_string(c, v->items[k], p, &s) < 0) return -1;
    (*out)[k] = xstrdup(s);
  }
  return 0;
}

/* ---------- names ---------- */

static const char *const cap_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int rn_cap_from_name(const char *name) {
  if (name == NULL) return -1;
  for (size_t k = 0; k < ARRAY_LEN(cap_names); k++)
    if (strcmp(name, cap_names[k]) == 0) return (int)k;
  return -1;
}

int rn_cap_last_cap(void) {
  static int cached = -1;
  int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (v >= 0) return v;
  /* Without /proc, assume the kernel knows what we know; capset() refuses anything it does not. */
  v = (int)ARRAY_LEN(cap_names) - 1;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) {
    int n;
    if (fscanf(f, "%d", &n) == 1 && n >= 0 && n < 64) v = n;
    fclose(f);
  }
  __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
  return v;
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},      {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH},   {"IO", SIGIO},         {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* A decimal number of at most 2 digits, the whole string; -1 otherwise. */
static int small_decimal(const char *s) {
  if (s[0] < '0' || s[0] > '9') return -1;
  if (s[1] == '\0') return s[0] - '0';
  if (s[1] < '0' || s[1] > '9' || s[2] != '\0') return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

int rn_signal_from_name(const char *name) {
  if (name == NULL || *name == '\0') return -1;
  int n = small_decimal(name);
  if (n >= 0) return n >= 1 && n <= 64 ? n : -1;
  const char *s = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
  for (size_t k = 0; k < ARRAY_LEN(signal_names); k++)
    if (strcasecmp(s, signal_names[k].name) == 0) return signal_names[k].sig;
  /* Real-time signals are named relative to the C library's SIGRTMIN (34 with glibc), as kill(1) does. */
  int sig = -1;
  if (strncasecmp(s, "RTMIN", 5) == 0) {
    if (s[5] == '\0') return SIGRTMIN;
    if (s[5] != '+' || (n = small_decimal(s + 6)) < 0) return -1;
    sig = SIGRTMIN + n;
  } else if (strncasecmp(s, "RTMAX", 5) == 0) {
    if (s[5] == '\0') return SIGRTMAX;
    if (s[5] != '-' || (n = small_decimal(s + 6)) < 0) return -1;
    sig = SIGRTMAX - n;
  }
  return sig >= SIGRTMIN && sig <= SIGRTMAX && sig <= 64 ? sig : -1;
}

/* ---------- root ---------- */

static int parse_root(ctx *c, const rn_json *v, rn_spec *s) {
  static const char *const known[] = {"path", "readonly", NULL};
  if (want_object(c, v, "root", known, NULL) < 0) return -1;
  const rn_json *p = rn_json_get(v, "path");
  if (p == NULL) return missing(c, "root", "path");
  const char *str;
  if (get_string(c, p, "root.path", &str) < 0) return -1;
  if (*str == '\0') return fail(c, "root.path", "must not be empty");
  cleanup_free char *joined = resolve(c->bundle, str);
  struct stat st;
  if (want_exists(c, "root.path", joined, &st) < 0) return -1;
  if (!S_ISDIR(st.st_mode)) return fail(c, "root.path", "`%s` is not a directory", joined);
  s->root_path = realpath(joined, NULL);
  if (s->root_path == NULL) return fail_errno(c, errno, "root.path", "resolve", joined);
  const rn_json *ro = rn_json_get(v, "readonly");
  if (ro && get_bool(c, ro, "root.readonly", &s->root_readonly) < 0) return -1;
  return 0;
}

/* ---------- process ---------- */

static int parse_user(ctx *c, const rn_json *v, rn_process *p) {
  static const char *const known[] = {"uid", "gid", "umask", "additionalGids", NULL};
  static const char *const unsupported[] = {"username", NULL};
  if (want_object(c, v, "process.user", known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "uid")) == NULL) return missing(c, "process.user", "uid");
  if (want_int(c, f, "process.user.uid", 0, UID_MAX_VALID, NULL) < 0) return -1;
  p->uid = (uid_t)uval(f);
  if ((f = rn_json_get(v, "gid")) == NULL) return missing(c, "process.user", "gid");
  if (want_int(c, f, "process.user.gid", 0, UID_MAX_VALID, NULL) < 0) return -1;
  p->gid = (gid_t)uval(f);
  if ((f = rn_json_get(v, "umask")) != NULL) {
    if (want_int(c, f, "process.user.umask", 0, 0777, "must be between 0 and 0777 (511)") < 0) return -1;
    p->has_umask = true;
    p->umask = (mode_t)uval(f);
  }
  if ((f = rn_json_get(v, "additionalGids")) != NULL) {
    if (want(c, f, "process.user.additionalGids", RN_JSON_ARRAY) < 0) return -1;
    if (f->n > MAX_GROUPS) return fail(c, "process.user.additionalGids", "must hold at most %d groups", MAX_GROUPS);
    p->additional_gids = xcalloc(f->n, sizeof(gid_t));
    p->n_additional_gids = f->n;
    for (size_t k = 0; k < f->n; k++) {
      cleanup_free char *ep = path_index("process.user.additionalGids", k);
      if (want_int(c, f->items[k], ep, 0, UID_MAX_VALID, NULL) < 0) return -1;
      p->additional_gids[k] = (gid_t)uval(f->items[k]);
    }
  }
  return 0;
}

static int parse_capset(ctx *c, const rn_json *v, const char *path, uint64_t *out) {
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  int last = rn_cap_last_cap();
  for (size_t k = 0; k < v->n; k++) {
    cleanup_free char *p = path_index(path, k);
    const char *name;
    if (get_string(c, v->items[k], p, &name) < 0) return -1;
    int cap = rn_cap_from_name(name);
    if (cap < 0) {
      cleanup_free char *prefixed = xasprintf("CAP_%s", name);
      if (rn_cap_from_name(prefixed) >= 0) {
        cleanup_free char *rule = xasprintf("unknown capability (did you mean \"%s\"?)", prefixed);
        return fail_value(c, p, v->items[k], rule);
      }
      return fail_value(c, p, v->items[k], "unknown capability");
    }
    if (cap > last)
      return fail(c, p, "%s is not known to the running kernel (its last capability is %d)", name, last);
    *out |= 1ull << cap;
  }
  return 0;
}

static int parse_capabilities(ctx *c, const rn_json *v, rn_capabilities *caps) {
  static const char *const known[] = {"bounding", "effective", "inheritable", "permitted", "ambient", NULL};
  if (want_object(c, v, "process.capabilities", known, NULL) < 0) return -1;
  struct {
    const char *name;
    uint64_t *set;
  } sets[] = {{"bounding", &caps->bounding},   {"effective", &caps->effective}, {"inheritable", &caps->inheritable},
              {"permitted", &caps->permitted}, {"ambient", &caps->ambient}};
  for (size_t k = 0; k < ARRAY_LEN(sets); k++) {
    const rn_json *f = rn_json_get(v, sets[k].name);
    if (f == NULL) continue;
    cleanup_free char *p = path_key("process.capabilities", sets[k].name);
    if (parse_capset(c, f, p, sets[k].set) < 0) return -1;
  }
  return 0;
}

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(ctx *c, const rn_json *v, rn_process *p) {
  static const char *const known[] = {"type", "soft", "hard", NULL};
  const char *path = "process.rlimits";
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  p->rlimits = xcalloc(v->n, sizeof(rn_rlimit));
  p->n_rlimits = v->n;
  for (size_t k = 0; k < v->n; k++) {
    const rn_json *e = v->items[k];
    rn_rlimit *r = &p->rlimits[k];
    cleanup_free char *ep = path_index(path, k);
    cleanup_free char *tp = path_key(ep, "type");
    cleanup_free char *sp = path_key(ep, "soft");
    cleanup_free char *hp = path_key(ep, "hard");
    if (want_object(c, e, ep, known, NULL) < 0) return -1;
    const rn_json *t = rn_json_get(e, "type"), *soft = rn_json_get(e, "soft"), *hard = rn_json_get(e, "hard");
    if (t == NULL) return missing(c, ep, "type");
    const char *name;
    if (get_string(c, t, tp, &name) < 0) return -1;
    r->resource = -1;
    for (size_t j = 0; j < ARRAY_LEN(rlimit_names); j++)
      if (strcmp(name, rlimit_names[j].name) == 0) r->resource = rlimit_names[j].resource;
    if (r->resource < 0) return fail_value(c, tp, t, "unknown resource (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)");
    for (size_t j = 0; j < k; j++)
      if (p->rlimits[j].resource == r->resource)
        return fail(c, tp, "%s is already set by %s[%zu]", name, path, j);
    if (soft == NULL) return missing(c, ep, "soft");
    if (hard == NULL) return missing(c, ep, "hard");
    if (want_int(c, soft, sp, 0, UINT64_MAX, "must be a number between 0 and 18446744073709551615") < 0) return -1;
    if (want_int(c, hard, hp, 0, UINT64_MAX, "must be a number between 0 and 18446744073709551615") < 0) return -1;
    r->soft = uval(soft);
    r->hard = uval(hard);
    if (r->soft > r->hard)
      return fail(c, sp, "must not be above the hard limit (%llu), got %llu", (unsigned long long)r->hard,
                  (unsigned long long)r->soft);
  }
  return 0;
}

static int parse_env(ctx *c, const rn_json *v, rn_process *p) {
  if (get_strv(c, v, "process.env", &p->env, &p->n_env) < 0) return -1;
  for (size_t k = 0; k < p->n_env; k++) {
    const char *eq = strchr(p->env[k], '=');
    cleanup_free char *ep = path_index("process.env", k);
    if (eq == NULL) return fail_value(c, ep, v->items[k], "must be KEY=value");
    if (eq == p->env[k]) return fail_value(c, ep, v->items[k], "the variable name before '=' must not be empty");
  }
  return 0;
}

static int parse_process(ctx *c, const rn_json *v, rn_process *p) {
  static const char *const known[] = {"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits",
                                      "noNewPrivileges", "oomScoreAdj", "apparmorProfile", "selinuxLabel", NULL};
  static const char *const unsupported[] = {"consoleSize", "commandLine", "ioPriority", "scheduler",
                                            "execCPUAffinity", NULL};
  if (want_object(c, v, "process", known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "terminal")) != NULL) {
    bool terminal;
    if (get_bool(c, f, "process.terminal", &terminal) < 0) return -1;
    if (terminal) return fail(c, "process.terminal", "terminals are not supported by swarm-runtime");
  }
  if ((f = rn_json_get(v, "user")) == NULL) return missing(c, "process", "user");
  if (parse_user(c, f, p) < 0) return -1;

  if ((f = rn_json_get(v, "args")) == NULL) return missing(c, "process", "args");
  if (get_strv(c, f, "process.args", &p->args, &p->n_args) < 0) return -1;
  if (p->n_args == 0) return fail(c, "process.args", "must hold at least one argument");
  if (p->args[0][0] == '\0') return fail(c, "process.args[0]", "must not be empty");

  if ((f = rn_json_get(v, "env")) != NULL) {
    if (parse_env(c, f, p) < 0) return -1;
  } else {
    p->env = xcalloc(1, sizeof(char *));
  }

  if ((f = rn_json_get(v, "cwd")) == NULL) return missing(c, "process", "cwd");
  const char *cwd;
  if (get_string(c, f, "process.cwd", &cwd) < 0) return -1;
  if (cwd[0] != '/') return fail_value(c, "process.cwd", f, "must be an absolute path");
  p->cwd = xstrdup(cwd);

  if ((f = rn_json_get(v, "capabilities")) != NULL && parse_capabilities(c, f, &p->capabilities) < 0) return -1;
  if ((f = rn_json_get(v, "rlimits")) != NULL && parse_rlimits(c, f, p) < 0) return -1;
  if ((f = rn_json_get(v, "noNewPrivileges")) != NULL &&
      get_bool(c, f, "process.noNewPrivileges", &p->no_new_privileges) < 0)
    return -1;
  if ((f = rn_json_get(v, "oomScoreAdj")) != NULL) {
    if (want_int(c, f, "process.oomScoreAdj", -1000, 1000, NULL) < 0) return -1;
    p->has_oom_score_adj = true;
    p->oom_score_adj = (int)f->i;
  }
  static const char *const lsm[] = {"apparmorProfile", "selinuxLabel"};
  for (size_t k = 0; k < ARRAY_LEN(lsm); k++) {
    if ((f = rn_json_get(v, lsm[k])) == NULL) continue;
    cleanup_free char *lp = path_key("process", lsm[k]);
    const char *s;
    if (get_string(c, f, lp, &s) < 0) return -1;
    if (*s) return fail(c, lp, "not supported by swarm-runtime (only \"\" is accepted)");
  }
  return 0;
}

/* ---------- mounts ---------- */

static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},         {"readonly", false, MS_RDONLY},    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},        {"nosuid", false, MS_NOSUID},      {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},       {"exec", true, MS_NOEXEC},         {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},  {"async", true, MS_SYNCHRONOUS},   {"dirsync", false, MS_DIRSYNC},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},     {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME}, {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosymfollow", false, MS_NOSYMFOLLOW},
};

static const struct {
  const char *name;
  unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},  {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

static const char *const mount_types[] = {"bind", "proc", "tmpfs", "sysfs", "devpts", "mqueue", "overlay"};

/* Options into flags, propagation and data; *bind_at gets the index of the first bind/rbind, or -1. */
static int parse_mount_options(ctx *c, const rn_json *v, const char *path, rn_mount *m, ssize_t *bind_at) {
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  rn_buf data;
  rn_buf_init(&data);
  for (size_t k = 0; k < v->n; k++) {
    cleanup_free char *p = path_index(path, k);
    const char *o;
    if (get_string(c, v->items[k], p, &o) < 0) goto fail;
    if (*o == '\0') {
      fail(c, p, "must not be empty");
      goto fail;
    }
    if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
      m->bind = true;
      m->recursive = m->recursive || o[0] == 'r';
      if (*bind_at < 0) *bind_at = (ssize_t)k;
      continue;
    }
    if (strcmp(o, "remount") == 0) {
      fail(c, p, "\"remount\" is not supported by swarm-runtime");
      goto fail;
    }
    bool done = false;
    for (size_t j = 0; j < ARRAY_LEN(mount_flags) && !done; j++) {
      if (strcmp(o, mount_flags[j].name) != 0) continue;
      if (mount_flags[j].clear)
        m->flags &= ~mount_flags[j].flag;
      else
        m->flags |= mount_flags[j].flag;
      done = true;
    }
    for (size_t j = 0; j < ARRAY_LEN(propagations) && !done; j++) {
      if (strcmp(o, propagations[j].name) != 0) continue;
      m->propagation = propagations[j].flags;
      done = true;
    }
    if (done) continue;
    if (data.len) rn_buf_append(&data, ",", 1);
    rn_buf_puts(&data, o);
  }
  m->data = data.data;
  return 0;
fail:
  rn_buf_free(&data);
  return -1;
}

static int parse_mount(ctx *c, const rn_json *v, const char *path, rn_mount *m) {
  static const char *const known[] = {"destination", "type", "source", "options", NULL};
  static const char *const unsupported[] = {"uidMappings", "gidMappings", NULL};
  if (want_object(c, v, path, known, unsupported) < 0) return -1;
  cleanup_free char *dp = path_key(path, "destination");
  cleanup_free char *tp = path_key(path, "type");
  cleanup_free char *sp = path_key(path, "source");
  cleanup_free char *op = path_key(path, "options");
  const rn_json *f;

  if ((f = rn_json_get(v, "destination")) == NULL) return missing(c, path, "destination");
  if (get_container_path(c, f, dp, &m->destination) < 0) return -1;
  if (strcmp(m->destination, "/") == 0)
    return fail_value(c, dp, f, "must not be \"/\" (the root filesystem comes from root.path)");

  ssize_t bind_at = -1;
  if ((f = rn_json_get(v, "options")) != NULL && parse_mount_options(c, f, op, m, &bind_at) < 0) return -1;

  if ((f = rn_json_get(v, "type")) == NULL) {
    if (!m->bind)
      return fail(c, tp, "required field is missing (it may be left out only with a \"bind\" or \"rbind\" option)");
    m->type = xstrdup("bind");
  } else {
    const char *t;
    if (get_string(c, f, tp, &t) < 0) return -1;
    bool ok = false;
    for (size_t k = 0; k < ARRAY_LEN(mount_types); k++) ok = ok || strcmp(t, mount_types[k]) == 0;
    if (!ok)
      return fail_value(c, tp, f,
                        "not supported by swarm-runtime (supported: bind, proc, tmpfs, sysfs, devpts, mqueue, "
                        "overlay)");
    if (strcmp(t, "bind") == 0) {
      m->bind = true;
    } else if (m->bind) {
      cleanup_free char *bp = path_index(op, (size_t)bind_at);
      return fail(c, bp, "a bind option needs type \"bind\" (or no type), got type \"%s\"", t);
    }
    m->type = xstrdup(t);
  }
  m->readonly = m->bind && (m->flags & MS_RDONLY);

  f = rn_json_get(v, "source");
  if (m->bind) {
    if (f == NULL) return fail(c, sp, "required for a bind mount");
    const char *src;
    if (get_string(c, f, sp, &src) < 0) return -1;
    if (*src == '\0') return fail(c, sp, "must not be empty");
    m->source = resolve(c->bundle, src);
    struct stat st;
    if (want_exists(c, sp, m->source, &st) < 0) return -1;
  } else if (f != NULL) {
    const char *src;
    if (get_string(c, f, sp, &src) < 0) return -1;
    m->source = xstrdup(src);
  } else {
    /* The kernel shows the source in /proc/mounts; the type is what `crun spec` writes there too. */
    m->source = xstrdup(m->type);
  }
  return 0;
}

static int parse_mounts(ctx *c, const rn_json *v, rn_spec *s) {
  if (want(c, v, "mounts", RN_JSON_ARRAY) < 0) return -1;
  s->mounts = xcalloc(v->n, sizeof(rn_mount));
  s->n_mounts = v->n;
  for (size_t k = 0; k < v->n; k++) {
    cleanup_free char *p = path_index("mounts", k);
    if (parse_mount(c, v->items[k], p, &s->mounts[k]) < 0) return -1;
  }
  return 0;
}

/* ---------- linux.namespaces ---------- */

static const struct {
  const char *name;
  rn_ns_type type;
} ns_names[] = {
    {"pid", RN_NS_PID}, {"network", RN_NS_NET}, {"mount", RN_NS_MNT},
    {"ipc", RN_NS_IPC}, {"uts", RN_NS_UTS},     {"cgroup", RN_NS_CGROUP},
};

static int parse_namespaces(ctx *c, const rn_json *v, rn_spec *s) {
  static const char *const known[] = {"type", "path", NULL};
  const char *path = "linux.namespaces";
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  ssize_t seen_at[RN_NS_COUNT];
  for (size_t k = 0; k < RN_NS_COUNT; k++) seen_at[k] = -1;
  for (size_t k = 0; k < v->n; k++) {
    const rn_json *e = v->items[k];
    cleanup_free char *ep = path_index(path, k);
    cleanup_free char *tp = path_key(ep, "type");
    cleanup_free char *pp = path_key(ep, "path");
    if (want_object(c, e, ep, known, NULL) < 0) return -1;
    const rn_json *t = rn_json_get(e, "type");
    if (t == NULL) return missing(c, ep, "type");
    const char *name;
    if (get_string(c, t, tp, &name) < 0) return -1;
    if (strcmp(name, "user") == 0 || strcmp(name, "time") == 0)
      return fail(c, tp, "\"%s\" namespaces are not supported by swarm-runtime", name);
    ssize_t type = -1;
    for (size_t j = 0; j < ARRAY_LEN(ns_names); j++)
      if (strcmp(name, ns_names[j].name) == 0) type = ns_names[j].type;
    if (type < 0)
      return fail_value(c, tp, t, "unknown namespace type (allowed: pid, network, mount, ipc, uts, cgroup)");
    if (seen_at[type] >= 0) return fail(c, tp, "\"%s\" is already listed in %s[%zd]", name, path, seen_at[type]);
    seen_at[type] = (ssize_t)k;
    rn_namespace *ns = &s->namespaces[type];
    ns->enabled = true;

    const rn_json *pj = rn_json_get(e, "path");
    if (pj == NULL) continue;
    const char *nspath;
    if (get_string(c, pj, pp, &nspath) < 0) return -1;
    if (*nspath == '\0') continue; /* as runc and crun: an empty path means a new namespace */
    if (type != RN_NS_NET && type != RN_NS_IPC && type != RN_NS_UTS)
      return fail(c, pp,
                  "joining an existing %s namespace is not supported by swarm-runtime (only network, ipc and uts "
                  "namespaces may be joined)",
                  name);
    if (nspath[0] != '/') return fail_value(c, pp, pj, "must be an absolute path");
    struct stat st;
    if (want_exists(c, pp, nspath, &st) < 0) return -1;
    ns->path = xstrdup(nspath);
  }
  return 0;
}

/* ---------- linux.resources ---------- */

/* A cpuset list ("0-3,5"); NULL when valid, else what is wrong. */
static const char *cpu_list_problem(const char *s) {
  const char *p = s;
  for (;;) {
    unsigned long a = 0, b;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) a = a * 10 + (unsigned long)(*p - '0');
    if (digits == 0 || digits > 6) return "must be a list of numbers and ranges such as \"0-3,5\"";
    b = a;
    if (*p == '-') {
      p++;
      b = 0;
      digits = 0;
      for (; *p >= '0' && *p <= '9'; p++, digits++) b = b * 10 + (unsigned long)(*p - '0');
      if (digits == 0 || digits > 6) return "must be a list of numbers and ranges such as \"0-3,5\"";
      if (b < a) return "has a range whose end is below its start";
    }
    if (*p == '\0') return NULL;
    if (*p != ',') return "must be a list of numbers and ranges such as \"0-3,5\"";
    p++;
  }
}

static int parse_memory(ctx *c, const rn_json *v, rn_resources *r) {
  static const char *const known[] = {"limit", "reservation", "swap", NULL};
  static const char *const unsupported[] = {"kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                                            "useHierarchy", "checkBeforeUpdate", NULL};
  const char *path = "linux.resources.memory";
  if (want_object(c, v, path, known, unsupported) < 0) return -1;
  const char *bytes_rule = "must be -1 (unlimited) or a positive number of bytes";
  const rn_json *f;
  if ((f = rn_json_get(v, "limit")) != NULL) {
    if (want_int(c, f, "linux.resources.memory.limit", -1, INT64_MAX, bytes_rule) < 0) return -1;
    r->memory_limit = f->i == 0 ? -1 : f->i;
  }
  if ((f = rn_json_get(v, "reservation")) != NULL) {
    if (want_int(c, f, "linux.resources.memory.reservation", -1, INT64_MAX, bytes_rule) < 0) return -1;
    r->memory_reservation = f->i == 0 ? -1 : f->i;
  }
  if ((f = rn_json_get(v, "swap")) != NULL) {
    const char *sp = "linux.resources.memory.swap";
    if (want_int(c, f, sp, -1, INT64_MAX, "must be -1 (unlimited) or at least memory.limit") < 0) return -1;
    if (f->i != -1) {
      if (r->memory_limit < 0) return fail(c, sp, "needs linux.resources.memory.limit to be set");
      if (f->i < r->memory_limit) {
        char rule[128];
        snprintf(rule, sizeof(rule),
                 "must be -1 (unlimited) or at least memory.limit (%lld), as it counts memory plus swap",
                 (long long)r->memory_limit);
        return fail_value(c, sp, f, rule);
      }
      r->memory_swap = f->i;
    }
  }
  return 0;
}

static int parse_cpu(ctx *c, const rn_json *v, rn_resources *r) {
  static const char *const known[] = {"shares", "quota", "period", "cpus", "mems", NULL};
  static const char *const unsupported[] = {"realtimeRuntime", "realtimePeriod", "idle", "burst", NULL};
  if (want_object(c, v, "linux.resources.cpu", known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "shares")) != NULL) {
    const char *rule = "must be 0 (unset) or between 2 and 262144";
    if (want_int(c, f, "linux.resources.cpu.shares", 0, 262144, rule) < 0) return -1;
    if (uval(f) == 1) return fail_value(c, "linux.resources.cpu.shares", f, rule);
    r->cpu_shares = uval(f);
  }
  if ((f = rn_json_get(v, "quota")) != NULL) {
    const char *rule = "must be -1 (unlimited) or at least 1000 microseconds";
    if (want_int(c, f, "linux.resources.cpu.quota", -1, INT64_MAX, rule) < 0) return -1;
    if (f->i > 0 && f->i < 1000) return fail_value(c, "linux.resources.cpu.quota", f, rule);
    r->cpu_quota = f->i == 0 ? -1 : f->i;
  }
  if ((f = rn_json_get(v, "period")) != NULL) {
    const char *rule = "must be 0 (unset) or between 1000 and 1000000 microseconds";
    if (want_int(c, f, "linux.resources.cpu.period", 0, 1000000, rule) < 0) return -1;
    if (uval(f) > 0 && uval(f) < 1000) return fail_value(c, "linux.resources.cpu.period", f, rule);
    r->cpu_period = uval(f);
  }
  static const char *const sets[] = {"cpus", "mems"};
  for (size_t k = 0; k < ARRAY_LEN(sets); k++) {
    if ((f = rn_json_get(v, sets[k])) == NULL) continue;
    cleanup_free char *p = path_key("linux.resources.cpu", sets[k]);
    const char *list;
    if (get_string(c, f, p, &list) < 0) return -1;
    if (*list == '\0') continue;
    const char *problem = cpu_list_problem(list);
    if (problem) return fail_value(c, p, f, problem);
    if (k == 0)
      r->cpuset_cpus = xstrdup(list);
    else
      r->cpuset_mems = xstrdup(list);
  }
  return 0;
}

static int parse_pids(ctx *c, const rn_json *v, rn_resources *r) {
  static const char *const known[] = {"limit", NULL};
  if (want_object(c, v, "linux.resources.pids", known, NULL) < 0) return -1;
  const rn_json *f = rn_json_get(v, "limit");
  if (f == NULL) return missing(c, "linux.resources.pids", "limit");
  if (want_int(c, f, "linux.resources.pids.limit", -1, INT64_MAX, "must be -1 (unlimited) or a positive number") < 0)
    return -1;
  r->pids_limit = f->i == 0 ? -1 : f->i;
  return 0;
}

static int parse_device_rules(ctx *c, const rn_json *v, rn_resources *r) {
  static const char *const known[] = {"allow", "type", "major", "minor", "access", NULL};
  const char *path = "linux.resources.devices";
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  r->devices = xcalloc(v->n, sizeof(rn_device_rule));
  r->n_devices = v->n;
  for (size_t k = 0; k < v->n; k++) {
    const rn_json *e = v->items[k], *f;
    rn_device_rule *d = &r->devices[k];
    cleanup_free char *ep = path_index(path, k);
    if (want_object(c, e, ep, known, NULL) < 0) return -1;
    if ((f = rn_json_get(e, "allow")) == NULL) return missing(c, ep, "allow");
    cleanup_free char *ap = path_key(ep, "allow");
    if (get_bool(c, f, ap, &d->allow) < 0) return -1;
    d->type = 'a';
    if ((f = rn_json_get(e, "type")) != NULL) {
      cleanup_free char *tp = path_key(ep, "type");
      const char *t;
      if (get_string(c, f, tp, &t) < 0) return -1;
      if (strcmp(t, "a") != 0 && strcmp(t, "c") != 0 && strcmp(t, "b") != 0)
        return fail_value(c, tp, f, "must be \"a\" (all), \"c\" or \"b\"");
      d->type = t[0];
    }
    static const struct {
      const char *name;
      uint64_t max;
    } nums[] = {{"major", DEV_MAJOR_MAX}, {"minor", DEV_MINOR_MAX}};
    for (size_t j = 0; j < ARRAY_LEN(nums); j++) {
      int64_t *out = j == 0 ? &d->major : &d->minor;
      *out = -1;
      if ((f = rn_json_get(e, nums[j].name)) == NULL) continue;
      cleanup_free char *np = path_key(ep, nums[j].name);
      char rule[96];
      snprintf(rule, sizeof(rule), "must be between 0 and %llu (leave it out to match any)",
               (unsigned long long)nums[j].max);
      if (want_int(c, f, np, 0, nums[j].max, rule) < 0) return -1;
      *out = f->i;
    }
    strcpy(d->access, "rwm");
    if ((f = rn_json_get(e, "access")) != NULL) {
      cleanup_free char *xp = path_key(ep, "access");
      const char *a;
      if (get_string(c, f, xp, &a) < 0) return -1;
      if (*a) {
        size_t n = strlen(a);
        bool ok = n <= 3;
        for (size_t i = 0; ok && i < n; i++) ok = strchr("rwm", a[i]) != NULL && memchr(a, a[i], i) == NULL;
        if (!ok) return fail_value(c, xp, f, "must be made of r, w and m, each at most once");
        memcpy(d->access, a, n + 1);
      }
    }
  }
  return 0;
}

static int parse_resources(ctx *c, const rn_json *v, rn_resources *r) {
  static const char *const known[] = {"memory", "cpu", "pids", "devices", NULL};
  static const char *const unsupported[] = {"blockIO", "hugepageLimits", "network", "rdma", "unified", NULL};
  if (want_object(c, v, "linux.resources", known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "memory")) != NULL && parse_memory(c, f, r) < 0) return -1;
  if ((f = rn_json_get(v, "cpu")) != NULL && parse_cpu(c, f, r) < 0) return -1;
  if ((f = rn_json_get(v, "pids")) != NULL && parse_pids(c, f, r) < 0) return -1;
  if ((f = rn_json_get(v, "devices")) != NULL && parse_device_rules(c, f, r) < 0) return -1;
  return 0;
}

/* ---------- linux.devices ---------- */

static int parse_devices(ctx *c, const rn_json *v, rn_spec *s) {
  static const char *const known[] = {"path", "type", "major", "minor", "fileMode", "uid", "gid", NULL};
  const char *path = "linux.devices";
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  s->devices = xcalloc(v->n, sizeof(rn_device));
  s->n_devices = v->n;
  for (size_t k = 0; k < v->n; k++) {
    const rn_json *e = v->items[k], *f;
    rn_device *d = &s->devices[k];
    cleanup_free char *ep = path_index(path, k);
    cleanup_free char *pp = path_key(ep, "path");
    cleanup_free char *tp = path_key(ep, "type");
    if (want_object(c, e, ep, known, NULL) < 0) return -1;
    if ((f = rn_json_get(e, "path")) == NULL) return missing(c, ep, "path");
    if (get_container_path(c, f, pp, &d->path) < 0) return -1;
    if (strncmp(d->path, "/dev/", 5) != 0) return fail_value(c, pp, f, "must be a path under /dev/");
    for (size_t j = 0; j < k; j++)
      if (strcmp(s->devices[j].path, d->path) == 0)
        return fail(c, pp, "\"%s\" is already listed in %s[%zu]", d->path, path, j);

    if ((f = rn_json_get(e, "type")) == NULL) return missing(c, ep, "type");
    const char *t;
    if (get_string(c, f, tp, &t) < 0) return -1;
    if (t[0] == '\0' || t[1] != '\0' || strchr("cbup", t[0]) == NULL)
      return fail_value(c, tp, f, "must be \"c\", \"b\", \"u\" or \"p\"");
    d->type = t[0];

    static const struct {
      const char *name;
      uint64_t max;
    } nums[] = {{"major", DEV_MAJOR_MAX}, {"minor", DEV_MINOR_MAX}};
    for (size_t j = 0; j < ARRAY_LEN(nums); j++) {
      int64_t *out = j == 0 ? &d->major : &d->minor;
      cleanup_free char *np = path_key(ep, nums[j].name);
      if ((f = rn_json_get(e, nums[j].name)) == NULL) {
        if (d->type == 'p') continue;
        return fail(c, np, "required field is missing (only a \"p\" device may leave it out)");
      }
      if (want_int(c, f, np, 0, nums[j].max, NULL) < 0) return -1;
      *out = f->i;
    }
    if ((f = rn_json_get(e, "fileMode")) != NULL) {
      cleanup_free char *mp = path_key(ep, "fileMode");
      if (want_int(c, f, mp, 0, 07777, "must be between 0 and 07777 (4095)") < 0) return -1;
      d->file_mode = (uint32_t)uval(f);
      d->has_file_mode = true;
    }
    if ((f = rn_json_get(e, "uid")) != NULL) {
      cleanup_free char *up = path_key(ep, "uid");
      if (want_int(c, f, up, 0, UID_MAX_VALID, NULL) < 0) return -1;
      d->uid = (uid_t)uval(f);
    }
    if ((f = rn_json_get(e, "gid")) != NULL) {
      cleanup_free char *gp = path_key(ep, "gid");
      if (want_int(c, f, gp, 0, UID_MAX_VALID, NULL) < 0) return -1;
      d->gid = (gid_t)uval(f);
    }
  }
  return 0;
}

static int parse_path_list(ctx *c, const rn_json *v, const char *path, char ***out, size_t *n_out) {
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  *out = xcalloc(v->n + 1, sizeof(char *));
  *n_out = v->n;
  for (size_t k = 0; k < v->n; k++) {
    cleanup_free char *p = path_index(path, k);
    if (get_container_path(c, v->items[k], p, &(*out)[k]) < 0) return -1;
  }
  return 0;
}

/* ---------- linux.sysctl ---------- */

static const char *const ipc_sysctls[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                          "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

/* Keys become paths under /proc/sys, so a key must not be able to climb out of it. */
static bool sysctl_key_ok(const char *key) {
  if (*key == '\0' || *key == '.') return false;
  for (const char *p = key; *p; p++) {
    if (*p == '/' || *p <= ' ' || *p == 0x7f) return false;
    if (*p == '.' && (p[1] == '.' || p[1] == '\0')) return false;
  }
  return true;
}

/* Skips object members that a later member with the same key overrides (the last one wins). */
static bool overridden(const rn_json *obj, size_t k) {
  for (size_t j = k + 1; j < obj->n; j++)
    if (strcmp(obj->keys[j], obj->keys[k]) == 0) return true;
  return false;
}

static int parse_sysctl(ctx *c, const rn_json *v, rn_spec *s) {
  const char *path = "linux.sysctl";
  if (want(c, v, path, RN_JSON_OBJECT) < 0) return -1;
  s->sysctl = xcalloc(v->n, sizeof(rn_sysctl));
  for (size_t k = 0; k < v->n; k++) {
    const char *key = v->keys[k];
    if (overridden(v, k)) continue;
    cleanup_free char *kp = path_key(path, key);
    const char *value;
    if (get_string(c, v->items[k], kp, &value) < 0) return -1;
    if (!sysctl_key_ok(key)) return fail(c, path, "invalid key \"%s\"", key);
    bool ipc = strncmp(key, "fs.mqueue.", 10) == 0;
    for (size_t j = 0; j < ARRAY_LEN(ipc_sysctls) && !ipc; j++) ipc = strcmp(key, ipc_sysctls[j]) == 0;
    bool net = strncmp(key, "net.", 4) == 0;
    if (!ipc && !net) return fail(c, path, "\"%s\" is not namespaced and cannot be set for a container", key);
    const rn_namespace *ns = &s->namespaces[ipc ? RN_NS_IPC : RN_NS_NET];
    const char *ns_name = ipc ? "ipc" : "network";
    if (!ns->enabled) return fail(c, path, "\"%s\" needs a new %s namespace in linux.namespaces", key, ns_name);
    if (ns->path)
      return fail(c, path, "\"%s\" needs a new %s namespace, not one joined by path (it would change the shared one)",
                  key, ns_name);
    if (*value == '\0') return fail(c, kp, "must not be empty");
    rn_sysctl *out = &s->sysctl[s->n_sysctl++];
    out->key = xstrdup(key);
    out->value = xstrdup(value);
  }
  return 0;
}

/* ---------- linux.seccomp ---------- */

static const struct {
  const char *name;
  rn_seccomp_action action;
} seccomp_actions[] = {
    {"SCMP_ACT_KILL", RN_SCMP_KILL},   {"SCMP_ACT_KILL_PROCESS", RN_SCMP_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", RN_SCMP_KILL_THREAD}, {"SCMP_ACT_TRAP", RN_SCMP_TRAP},
    {"SCMP_ACT_ERRNO", RN_SCMP_ERRNO}, {"SCMP_ACT_TRACE", RN_SCMP_TRACE},
    {"SCMP_ACT_ALLOW", RN_SCMP_ALLOW}, {"SCMP_ACT_LOG", RN_SCMP_LOG},
};

static const struct {
  const char *name;
  rn_seccomp_op op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", RN_SCMP_CMP_NE}, {"SCMP_CMP_LT", RN_SCMP_CMP_LT}, {"SCMP_CMP_LE", RN_SCMP_CMP_LE},
    {"SCMP_CMP_EQ", RN_SCMP_CMP_EQ}, {"SCMP_CMP_GE", RN_SCMP_CMP_GE}, {"SCMP_CMP_GT", RN_SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", RN_SCMP_CMP_MASKED_EQ},
};

static int parse_action(ctx *c, const rn_json *v, const char *path, rn_seccomp_action *out) {
  const char *name;
  if (get_string(c, v, path, &name) < 0) return -1;
  for (size_t k = 0; k < ARRAY_LEN(seccomp_actions); k++) {
    if (strcmp(name, seccomp_actions[k].name) == 0) {
      *out = seccomp_actions[k].action;
      return 0;
    }
  }
  if (strcmp(name, "SCMP_ACT_NOTIFY") == 0) return fail(c, path, "SCMP_ACT_NOTIFY is not supported by swarm-runtime");
  return fail_value(c, path, v,
                    "unknown action (allowed: SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
                    "SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG)");
}

/* errnoRet: the kernel keeps 16 bits of SECCOMP_RET_DATA, and only ERRNO and TRACE use them. */
static int parse_errno_ret(ctx *c, const rn_json *v, const char *path, rn_seccomp_action action, uint32_t *out) {
  if (want_int(c, v, path, 0, 65535, NULL) < 0) return -1;
  if (action != RN_SCMP_ERRNO && action != RN_SCMP_TRACE)
    return fail(c, path, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
  *out = (uint32_t)uval(v);
  return 0;
}

static bool syscall_name_ok(const char *s) {
  if (*s == '\0') return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

static int parse_seccomp_args(ctx *c, const rn_json *v, const char *path, rn_seccomp_rule *rule) {
  static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
  if (want(c, v, path, RN_JSON_ARRAY) < 0) return -1;
  rule->args = xcalloc(v->n, sizeof(rn_seccomp_arg));
  rule->n_args = v->n;
  for (size_t k = 0; k < v->n; k++) {
    const rn_json *e = v->items[k], *f;
    rn_seccomp_arg *a = &rule->args[k];
    cleanup_free char *ep = path_index(path, k);
    cleanup_free char *ip = path_key(ep, "index");
    cleanup_free char *vp = path_key(ep, "value");
    cleanup_free char *v2p = path_key(ep, "valueTwo");
    cleanup_free char *op = path_key(ep, "op");
    if (want_object(c, e, ep, known, NULL) < 0) return -1;
    if ((f = rn_json_get(e, "index")) == NULL) return missing(c, ep, "index");
    if (want_int(c, f, ip, 0, 5, "must be between 0 and 5 (a system call has six arguments)") < 0) return -1;
    a->index = (unsigned)uval(f);
    if ((f = rn_json_get(e, "value")) == NULL) return missing(c, ep, "value");
    if (want_int(c, f, vp, 0, UINT64_MAX, "must be a number between 0 and 18446744073709551615") < 0) return -1;
    a->value = uval(f);
    if ((f = rn_json_get(e, "valueTwo")) != NULL) {
      if (want_int(c, f, v2p, 0, UINT64_MAX, "must be a number between 0 and 18446744073709551615") < 0) return -1;
      a->value_two = uval(f);
    }
    if ((f = rn_json_get(e, "op")) == NULL) return missing(c, ep, "op");
    const char *name;
    if (get_string(c, f, op, &name) < 0) return -1;
    bool found = false;
    for (size_t j = 0; j < ARRAY_LEN(seccomp_ops) && !found; j++) {
      if (strcmp(name, seccomp_ops[j].name) != 0) continue;
      a->op = seccomp_ops[j].op;
      found = true;
    }
    if (!found)
      return fail_value(c, op, f,
                        "unknown operator (allowed: SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, "
                        "SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)");
  }
  return 0;
}

static int parse_seccomp_rule(ctx *c, const rn_json *v, const char *path, rn_seccomp_rule *rule) {
  static const char *const known[] = {"names", "action", "errnoRet", "args", NULL};
  if (want_object(c, v, path, known, NULL) < 0) return -1;
  cleanup_free char *np = path_key(path, "names");
  cleanup_free char *ap = path_key(path, "action");
  cleanup_free char *ep = path_key(path, "errnoRet");
  cleanup_free char *argp = path_key(path, "args");
  const rn_json *f;
  if ((f = rn_json_get(v, "names")) == NULL) return missing(c, path, "names");
  if (get_strv(c, f, np, &rule->names, &rule->n_names) < 0) return -1;
  if (rule->n_names == 0) return fail(c, np, "must hold at least one system call name");
  /* Names libseccomp does not know are kept: profiles list system calls newer than the library, and the
   * runtime skips those, as runc and crun do. Only the spelling is checked here. */
  for (size_t k = 0; k < rule->n_names; k++) {
    if (syscall_name_ok(rule->names[k])) continue;
    cleanup_free char *p = path_index(np, k);
    return fail_value(c, p, f->items[k], "invalid system call name (expected lowercase letters, digits and '_')");
  }
  if ((f = rn_json_get(v, "action")) == NULL) return missing(c, path, "action");
  if (parse_action(c, f, ap, &rule->action) < 0) return -1;
  if ((f = rn_json_get(v, "errnoRet")) != NULL) {
    if (parse_errno_ret(c, f, ep, rule->action, &rule->errno_ret) < 0) return -1;
    rule->has_errno_ret = true;
  }
  if ((f = rn_json_get(v, "args")) != NULL && parse_seccomp_args(c, f, argp, rule) < 0) return -1;
  return 0;
}

static int parse_seccomp(ctx *c, const rn_json *v, rn_seccomp *sc) {
  static const char *const known[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls", NULL};
  static const char *const unsupported[] = {"listenerPath", "listenerMetadata", NULL};
  const char *path = "linux.seccomp";
  if (want_object(c, v, path, known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "defaultAction")) == NULL) return missing(c, path, "defaultAction");
  if (parse_action(c, f, "linux.seccomp.defaultAction", &sc->default_action) < 0) return -1;
  if ((f = rn_json_get(v, "defaultErrnoRet")) != NULL) {
    if (parse_errno_ret(c, f, "linux.seccomp.defaultErrnoRet", sc->default_action, &sc->default_errno_ret) < 0)
      return -1;
    sc->has_default_errno_ret = true;
  }
  if ((f = rn_json_get(v, "architectures")) != NULL) {
    const char *ap = "linux.seccomp.architectures";
    if (get_strv(c, f, ap, &sc->architectures, &sc->n_architectures) < 0) return -1;
    for (size_t k = 0; k < sc->n_architectures; k++) {
      const char *name = sc->architectures[k];
      cleanup_free char *p = path_index(ap, k);
      if (strncmp(name, "SCMP_ARCH_", 10) != 0 || name[10] == '\0')
        return fail_value(c, p, f->items[k], "must be an architecture name such as \"SCMP_ARCH_X86_64\"");
      cleanup_free char *lower = xstrdup(name + 10);
      for (char *q = lower; *q; q++)
        if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
      if (seccomp_arch_resolve_name(lower) == 0)
        return fail_value(c, p, f->items[k], "unknown architecture (libseccomp does not know it)");
    }
  }
  if ((f = rn_json_get(v, "flags")) != NULL) {
    if (want(c, f, "linux.seccomp.flags", RN_JSON_ARRAY) < 0) return -1;
    if (f->n > 0) {
      cleanup_free char *p = path_index("linux.seccomp.flags", 0);
      return fail_value(c, p, f->items[0], "seccomp flags are not supported by swarm-runtime");
    }
  }
  if ((f = rn_json_get(v, "syscalls")) != NULL) {
    const char *sp = "linux.seccomp.syscalls";
    if (want(c, f, sp, RN_JSON_ARRAY) < 0) return -1;
    sc->rules = xcalloc(f->n, sizeof(rn_seccomp_rule));
    sc->n_rules = f->n;
    for (size_t k = 0; k < f->n; k++) {
      cleanup_free char *p = path_index(sp, k);
      if (parse_seccomp_rule(c, f->items[k], p, &sc->rules[k]) < 0) return -1;
    }
  }
  return 0;
}

/* ---------- linux ---------- */

static int parse_cgroups_path(ctx *c, const rn_json *v, rn_spec *s) {
  const char *path = "linux.cgroupsPath";
  const char *cg;
  if (get_string(c, v, path, &cg) < 0) return -1;
  if (*cg == '\0') return 0;
  if (strchr(cg, ':') != NULL)
    return fail_value(c, path, v, "systemd cgroup paths (\"slice:prefix:name\") are not supported by swarm-runtime");
  if (has_dotdot(cg)) return fail_value(c, path, v, "must not contain a \"..\" component");
  bool only_slashes = true;
  for (const char *p = cg; *p && only_slashes; p++) only_slashes = *p == '/';
  if (only_slashes) return fail_value(c, path, v, "must name a cgroup below the root");
  s->cgroups_path = xstrdup(cg);
  return 0;
}

static int parse_linux(ctx *c, const rn_json *v, rn_spec *s) {
  static const char *const known[] = {"namespaces", "resources",  "cgroupsPath", "devices",    "maskedPaths",
                                      "readonlyPaths", "sysctl", "seccomp",     "rootfsPropagation", "mountLabel",
                                      NULL};
  static const char *const unsupported[] = {"uidMappings", "gidMappings", "intelRdt",  "personality",
                                            "timeOffsets", "memoryPolicy", "netDevices", "idMappedMounts", NULL};
  if (want_object(c, v, "linux", known, unsupported) < 0) return -1;
  const rn_json *f;
  if ((f = rn_json_get(v, "namespaces")) != NULL && parse_namespaces(c, f, s) < 0) return -1;
  if ((f = rn_json_get(v, "resources")) != NULL) {
    s->has_resources = true;
    if (parse_resources(c, f, &s->resources) < 0) return -1;
  }
  if ((f = rn_json_get(v, "cgroupsPath")) != NULL && parse_cgroups_path(c, f, s) < 0) return -1;
  if ((f = rn_json_get(v, "devices")) != NULL && parse_devices(c, f, s) < 0) return -1;
  if ((f = rn_json_get(v, "maskedPaths")) != NULL &&
      parse_path_list(c, f, "linux.maskedPaths", &s->masked_paths, &s->n_masked_paths) < 0)
    return -1;
  if ((f = rn_json_get(v, "readonlyPaths")) != NULL &&
      parse_path_list(c, f, "linux.readonlyPaths", &s->readonly_paths, &s->n_readonly_paths) < 0)
    return -1;
  if ((f = rn_json_get(v, "sysctl")) != NULL && parse_sysctl(c, f, s) < 0) return -1;
  if ((f = rn_json_get(v, "seccomp")) != NULL) {
    s->has_seccomp = true;
    if (parse_seccomp(c, f, &s->seccomp) < 0) return -1;
  }
  if ((f = rn_json_get(v, "rootfsPropagation")) != NULL) {
    static const char *const allowed[] = {"private", "rprivate", "slave", "rslave", "shared", "rshared"};
    const char *prop;
    if (get_string(c, f, "linux.rootfsPropagation", &prop) < 0) return -1;
    bool ok = false;
    for (size_t k = 0; k < ARRAY_LEN(allowed); k++) ok = ok || strcmp(prop, allowed[k]) == 0;
    if (!ok)
      return fail_value(c, "linux.rootfsPropagation", f,
                        "must be one of private, rprivate, slave, rslave, shared, rshared");
    s->rootfs_propagation = xstrdup(prop);
  }
  if ((f = rn_json_get(v, "mountLabel")) != NULL) {
    const char *label;
    if (get_string(c, f, "linux.mountLabel", &label) < 0) return -1;
    if (*label) return fail(c, "linux.mountLabel", "not supported by swarm-runtime (only \"\" is accepted)");
  }
  return 0;
}

/* ---------- top level ---------- */

static int parse_annotations(ctx *c, const rn_json *v, rn_spec *s) {
  if (want(c, v, "annotations", RN_JSON_OBJECT) < 0) return -1;
  s->annotations = xcalloc(v->n, sizeof(rn_annotation));
  for (size_t k = 0; k < v->n; k++) {
    if (overridden(v, k)) continue;
    if (*v->keys[k] == '\0') return fail(c, "annotations", "keys must not be empty");
    cleanup_free char *p = path_key("annotations", v->keys[k]);
    const char *value;
    if (get_string(c, v->items[k], p, &value) < 0) return -1;
    rn_annotation *a = &s->annotations[s->n_annotations++];
    a->key = xstrdup(v->keys[k]);
    a->value = xstrdup(value);
  }
  return 0;
}

static void init_spec(rn_spec *s) {
  s->resources.memory_limit = -1;
  s->resources.memory_reservation = -1;
  s->resources.memory_swap = -1;
  s->resources.cpu_quota = -1;
  s->resources.pids_limit = -1;
}

static int parse_spec(ctx *c, const rn_json *doc, rn_spec *s) {
  static const char *const known[] = {"ociVersion", "root", "process", "hostname", "mounts", "linux",
                                      "annotations", "domainname", NULL};
  static const char *const unsupported[] = {"hooks", "solaris", "windows", "vm", "zos", NULL};
  if (doc->type != RN_JSON_OBJECT) return fail(c, "", "the document must be an object, got %s", a_type(doc->type));
  if (check_fields(c, doc, "", known, unsupported) < 0) return -1;
  const rn_json *f;

  if ((f = rn_json_get(doc, "ociVersion")) == NULL) return missing(c, "", "ociVersion");
  const char *version;
  if (get_string(c, f, "ociVersion", &version) < 0) return -1;
  if (strncmp(version, "1.", 2) != 0) return fail_value(c, "ociVersion", f, "must be a 1.x version such as \"1.0.2\"");
  s->oci_version = xstrdup(version);

  if ((f = rn_json_get(doc, "root")) == NULL) return missing(c, "", "root");
  if (parse_root(c, f, s) < 0) return -1;
  if ((f = rn_json_get(doc, "process")) == NULL) return missing(c, "", "process");
  if (parse_process(c, f, &s->process) < 0) return -1;

  const rn_json *hostname = rn_json_get(doc, "hostname");
  if (hostname != NULL) {
    const char *h;
    if (get_string(c, hostname, "hostname", &h) < 0) return -1;
    if (strlen(h) > HOSTNAME_MAX) return fail(c, "hostname", "must be at most %d bytes long", HOSTNAME_MAX);
    if (*h) s->hostname = xstrdup(h);
  }
  if ((f = rn_json_get(doc, "domainname")) != NULL) {
    const char *d;
    if (get_string(c, f, "domainname", &d) < 0) return -1;
    if (*d) return fail(c, "domainname", "not supported by swarm-runtime (only \"\" is accepted)");
  }
  if ((f = rn_json_get(doc, "mounts")) != NULL && parse_mounts(c, f, s) < 0) return -1;
  if ((f = rn_json_get(doc, "linux")) != NULL && parse_linux(c, f, s) < 0) return -1;
  if ((f = rn_json_get(doc, "annotations")) != NULL && parse_annotations(c, f, s) < 0) return -1;

  /* pivot_root and every mount must happen in the container's own mount namespace; without one they
   * would land in the host's. */
  if (!s->namespaces[RN_NS_MNT].enabled)
    return fail(c, "linux.namespaces",
                "a new mount namespace is required by swarm-runtime (add {\"type\": \"mount\"})");
  if (s->hostname && (!s->namespaces[RN_NS_UTS].enabled || s->namespaces[RN_NS_UTS].path))
    return fail(c, "hostname", "needs a new uts namespace in linux.namespaces");
  return 0;
}

rn_spec *rn_spec_from_json(const rn_json *doc, const char *bundle, rn_error *err) {
  if (bundle == NULL || bundle[0] != '/') {
    rn_fail(err, 0, "bundle `%s`: must be an absolute path", bundle ? bundle : "(null)");
    return NULL;
  }
  rn_spec *s = xcalloc(1, sizeof(*s));
  init_spec(s);
  s->bundle = xstrdup(bundle);
  clean_path(s->bundle);
  ctx c = {.err = err, .bundle = s->bundle};
  if (parse_spec(&c, doc, s) < 0) {
    rn_spec_free(s);
    return NULL;
  }
  return s;
}

rn_spec *rn_spec_load(const char *bundle, rn_error *err) {
  rn_buf raw;
  rn_spec *s = rn_spec_load_raw(bundle, &raw, err);
  rn_buf_free(&raw);
  return s;
}

rn_spec *rn_spec_load_raw(const char *bundle, rn_buf *raw, rn_error *err) {
  rn_buf_init(raw);
  if (bundle == NULL || *bundle == '\0') {
    rn_fail(err, 0, "bundle: no directory given");
    return NULL;
  }
  cleanup_free char *abs = realpath(bundle, NULL);
  if (abs == NULL) {
    rn_fail(err, errno, "bundle `%s`", bundle);
    return NULL;
  }
  cleanup_free char *file = xasprintf("%s/config.json", abs);
  if (rn_read_file(file, RN_SPEC_MAX_BYTES, raw, err) < 0) {
    rn_error_wrap(err, "config.json");
    return NULL;
  }
  rn_json *doc = rn_json_parse(raw->data ? raw->data : "", raw->len, err);
  if (doc == NULL) {
    rn_error_wrap(err, "parse `%s`", file);
    rn_error_wrap(err, "config.json");
    return NULL;
  }
  rn_spec *s = rn_spec_from_json(doc, abs, err);
  rn_json_free(doc);
  return s;
}

static void free_strv(char **v, size_t n) {
  if (v == NULL) return;
  for (size_t k = 0; k < n; k++) free(v[k]);
  free(v);
}

void rn_spec_free(rn_spec *s) {
  if (s == NULL) return;
  free(s->oci_version);
  free(s->bundle);
  free(s->root_path);
  free(s->hostname);

  rn_process *p = &s->process;
  free_strv(p->args, p->n_args);
  free_strv(p->env, p->n_env);
  free(p->cwd);
  free(p->additional_gids);
  free(p->rlimits);

  for (size_t k = 0; k < s->n_mounts; k++) {
    free(s->mounts[k].destination);
    free(s->mounts[k].type);
    free(s->mounts[k].source);
    free(s->mounts[k].data);
  }
  free(s->mounts);
  for (size_t k = 0; k < RN_NS_COUNT; k++) free(s->namespaces[k].path);

  free(s->resources.cpuset_cpus);
  free(s->resources.cpuset_mems);
  free(s->resources.devices);
  free(s->cgroups_path);
  for (size_t k = 0; k < s->n_devices; k++) free(s->devices[k].path);
  free(s->devices);
  free_strv(s->masked_paths, s->n_masked_paths);
  free_strv(s->readonly_paths, s->n_readonly_paths);
  for (size_t k = 0; k < s->n_sysctl; k++) {
    free(s->sysctl[k].key);
    free(s->sysctl[k].value);
  }
  free(s->sysctl);

  free_strv(s->seccomp.architectures, s->seccomp.n_architectures);
  for (size_t k = 0; k < s->seccomp.n_rules; k++) {
    free_strv(s->seccomp.rules[k].names, s->seccomp.rules[k].n_names);
    free(s->seccomp.rules[k].args);
  }
  free(s->seccomp.rules);
  free(s->rootfs_propagation);
  for (size_t k = 0; k < s->n_annotations; k++) {
    free(s->annotations[k].key);
    free(s->annotations[k].value);
  }
  free(s->annotations);
  free(s);
}

const char *rn_spec_getenv(const rn_spec *spec, const char *key) {
  if (spec == NULL || key == NULL || spec->process.env == NULL) return NULL;
  size_t n = strlen(key);
  const char *found = NULL;
  /* The last definition wins, as when a shell or runc applies the list in order. */
  for (size_t k = 0; k < spec->process.n_env; k++) {
    const char *e = spec->process.env[k];
    if (e && strncmp(e, key, n) == 0 && e[n] == '=') found = e + n + 1;
  }
  return found;
}
