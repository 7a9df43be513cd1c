/* The OCI runtime config.json subset swarm-runtime supports, parsed and validated into plain structs.
 * Validation is complete here: after rn_spec_load() succeeds, the rest of the runtime trusts the values.
 * A field the runtime does not support is refused by its JSON path ("linux.intelRdt: not supported"),
 * never silently ignored; annotations are free-form and kept as they are. */
#ifndef RN_SPEC_H
#define RN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

#define RN_SPEC_MAX_BYTES (4u << 20) /* config.json larger than this is refused */

typedef enum rn_ns_type {
  RN_NS_PID,
  RN_NS_NET,
  RN_NS_MNT,
  RN_NS_IPC,
  RN_NS_UTS,
  RN_NS_CGROUP,
  RN_NS_COUNT,
} rn_ns_type;

typedef struct rn_namespace {
  bool enabled;  /* listed in linux.namespaces */
  char *path;    /* join this namespace instead of creating one; NULL for new. Only net, ipc, uts. */
} rn_namespace;

typedef struct rn_mount {
  char *destination; /* absolute path inside the container, normalised (no "..", no "//") */
  char *type;        /* "bind", "proc", "tmpfs", "sysfs", "devpts", "mqueue", "overlay" */
  char *source;      /* for bind: absolute host path (relative ones are resolved against the bundle) */
  unsigned long flags;      /* MS_* flags from the options, applied at mount time */
  unsigned long propagation;/* MS_PRIVATE/MS_SLAVE/MS_SHARED (| MS_REC), 0 when not given */
  bool bind;                /* options had bind or rbind (or type is "bind") */
  bool recursive;           /* rbind */
  bool readonly;            /* needs a read-only remount after a bind */
  char *data;               /* comma-joined options that are not flags ("mode=755,size=64k"), or NULL */
} rn_mount;

typedef struct rn_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
} rn_rlimit;

typedef struct rn_device {
  char *path;  /* absolute, under /dev */
  char type;   /* 'c', 'b', 'u' (= 'c'), 'p' */
  int64_t major;
  int64_t minor;
  uint32_t file_mode; /* permission bits; has_file_mode false means 0666 */
  bool has_file_mode;
  uid_t uid;
  gid_t gid;
} rn_device;

typedef struct rn_device_rule {
  bool allow;
  char type;       /* 'a', 'c', 'b' */
  int64_t major;   /* -1 = wildcard */
  int64_t minor;   /* -1 = wildcard */
  char access[4];  /* subset of "rwm", NUL-terminated; empty means "rwm" */
} rn_device_rule;

typedef struct rn_resources {
  /* memory, in bytes; -1 = unset (no limit). memory_swap is limit + swap (v1 memsw semantics). */
  int64_t memory_limit;
  int64_t memory_reservation;
  int64_t memory_swap;
  /* cpu: shares 0 = unset; quota -1 = unset; period 0 = unset */
  uint64_t cpu_shares;
  int64_t cpu_quota;
  uint64_t cpu_period;
  char *cpuset_cpus; /* NULL = unset */
  char *cpuset_mems; /* NULL = unset */
  /* pids: -1 or 0 = unset (no limit) */
  int64_t pids_limit;
  rn_device_rule *devices;
  size_t n_devices;
} rn_resources;

typedef enum rn_seccomp_action {
  RN_SCMP_KILL,          /* SCMP_ACT_KILL (= kill thread) */
  RN_SCMP_KILL_PROCESS,
  RN_SCMP_KILL_THREAD,
  RN_SCMP_TRAP,
  RN_SCMP_ERRNO,
  RN_SCMP_TRACE,
  RN_SCMP_ALLOW,
  RN_SCMP_LOG,
} rn_seccomp_action;

typedef enum rn_seccomp_op {
  RN_SCMP_CMP_NE,
  RN_SCMP_CMP_LT,
  RN_SCMP_CMP_LE,
  RN_SCMP_CMP_EQ,
  RN_SCMP_CMP_GE,
  RN_SCMP_CMP_GT,
  RN_SCMP_CMP_MASKED_EQ,
} rn_seccomp_op;

typedef struct rn_seccomp_arg {
  unsigned index; /* 0..5 */
  uint64_t value;
  uint64_t value_two;
  rn_seccomp_op op;
} rn_seccomp_arg;

typedef struct rn_seccomp_rule {
  char **names;
  size_t n_names;
  rn_seccomp_action action;
  uint32_t errno_ret; /* for RN_SCMP_ERRNO/RN_SCMP_TRACE; has_errno_ret false means EPERM */
  bool has_errno_ret;
  rn_seccomp_arg *args;
  size_t n_args;
} rn_seccomp_rule;

typedef struct rn_seccomp {
  rn_seccomp_action default_action;
  uint32_t default_errno_ret;
  bool has_default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64", ...; may be empty */
  size_t n_architectures;
  rn_seccomp_rule *rules;
  size_t n_rules;
} rn_seccomp;

typedef struct rn_sysctl {
  char *key;   /* "net.ipv4.ip_forward" */
  char *value;
} rn_sysctl;

typedef struct rn_capabilities {
  uint64_t bounding, effective, inheritable, permitted, ambient; /* bit n = capability n */
} rn_capabilities;

typedef struct rn_process {
  char **args; /* NULL-terminated, at least one */
  size_t n_args;
  char **env;  /* NULL-terminated, each "KEY=value" */
  size_t n_env;
  char *cwd;   /* absolute */
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  /* process.capabilities; when absent every set is empty: the process runs with no capabilities. */
  rn_capabilities capabilities;
  bool no_new_privileges;
  rn_rlimit *rlimits;
  size_t n_rlimits;
  bool has_oom_score_adj;
  int oom_score_adj; /* -1000..1000 */
} rn_process;

typedef struct rn_annotation {
  char *key;
  char *value;
} rn_annotation;

typedef struct rn_spec {
  char *oci_version;
  char *bundle;      /* absolute path of the bundle directory */
  char *root_path;   /* absolute path of the root filesystem (root.path resolved against the bundle) */
  bool root_readonly;
  char *hostname;    /* NULL = unset */
  rn_process process;
  rn_mount *mounts;
  size_t n_mounts;
  rn_namespace namespaces[RN_NS_COUNT];
  rn_resources resources;
  bool has_resources;
  char *cgroups_path; /* as written (e.g. "/swarmd/abc"), NULL = unset */
  rn_device *devices;
  size_t n_devices;
  char **masked_paths;
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  rn_sysctl *sysctl;
  size_t n_sysctl;
  bool has_seccomp;
  rn_seccomp seccomp;
  char *rootfs_propagation; /* NULL = unset; "private", "rprivate", "slave", "rslave", "shared", "rshared" */
  rn_annotation *annotations;
  size_t n_annotations;
} rn_spec;

/* Reads <bundle>/config.json and validates it. On error returns NULL; err names the JSON path and the
 * rule, e.g. "config.json: mounts[2].destination: must be an absolute path, got \"tmp\"". */
rn_spec *rn_spec_load(const char *bundle, rn_error *err);

/* Same, and hands back the exact bytes that were parsed (rn_buf_free them), so that a copy kept for later
 * is what was validated, not what the bundle holds by then. */
rn_spec *rn_spec_load_raw(const char *bundle, rn_buf *raw, rn_error *err);

/* Same, from an already parsed document (for tests); bundle must be absolute. */
rn_spec *rn_spec_from_json(const rn_json *doc, const char *bundle, rn_error *err);

void rn_spec_free(rn_spec *spec);

/* The environment value of KEY in the process env, or NULL. */
const char *rn_spec_getenv(const rn_spec *spec, const char *key);

/* Capability name ("CAP_SYS_ADMIN") to its number, or -1. */
int rn_cap_from_name(const char *name);
/* The number of the last capability the running kernel knows (from /proc/sys/kernel/cap_last_cap). */
int rn_cap_last_cap(void);

/* Signal name ("TERM", "SIGTERM") or number ("15") to its number, or -1 if unknown/out of range. */
int rn_signal_from_name(const char *name);

#endif
