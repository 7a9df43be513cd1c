/* swarm-runtime: an OCI runtime command line (the subset an orchestrator uses), so that crun and runc
 * can stand in for it and it for them:
 *   swarm-runtime [--root DIR] [--log FILE] [--log-format text|json] [--cgroup-driver auto|v1|v2] COMMAND
 *   create ID [--bundle DIR] [--pid-file F] [--container-log F] [--container-log-max-bytes N]
 *             [--container-log-max-files N]
 *   start ID | state ID | kill ID [SIGNAL] [--all] | delete [--force] ID | list [-q] [--format json]
 *   run ID [--bundle DIR] [--pid-file F] [--detach]
 *   exec [--env K=V]... [--cwd DIR] [--user UID[:GID]] ID [--] CMD [ARG...]
 *   shim --runtime PATH [--runtime-root DIR] --state-dir DIR [--cgroup-path P] [--container-log F] ID
 *        [--bundle DIR]      (runs another runtime's create under our shim)
 * Errors go to stderr as one line (and to --log, or as JSON to --error-fd N); the exit status is 1, as crun's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "commands.h"
#include "container.h"
#include "json.h"
#include "spec.h"
#include "state.h"

#define VERSION "0.1.0"

/* --log is opened as soon as it is parsed: exec later enters the container's mount namespace, where the
 * path would name a file inside the container. */
static int g_log_fd = -1;
static bool g_log_json;

static void error_json(const rn_error *err, const char *now, rn_buf *b) {
  rn_buf_printf(b, "{\"level\":\"error\",\"time\":\"%s\",\"msg\":", now);
  rn_buf_json_string(b, err->msg, strlen(err->msg));
  if (err->status) rn_buf_printf(b, ",\"errno\":%d", err->status);
  rn_buf_puts(b, "}\n");
}

/* Errors: a plain line on stderr; with --log-format json and no --log (how a program drives us), one JSON
 * object with the errno instead, so callers need not parse prose. */
static void print_error(const rn_error *err) {
  char now[40];
  rn_now_rfc3339(now, sizeof(now));
  if (g_log_json && g_log_fd < 0) {
    rn_buf b;
    rn_buf_init(&b);
    error_json(err, now, &b);
    fwrite(b.data, 1, b.len, stderr);
    rn_buf_free(&b);
    return;
  }
  fprintf(stderr, "%s\n", err->msg);
  if (g_log_fd < 0) return;
  rn_buf b;
  rn_buf_init(&b);
  if (g_log_json) error_json(err, now, &b);
  else rn_buf_printf(&b, "%s error: %s\n", now, err->msg);
  ssize_t w = write(g_log_fd, b.data, b.len);
  (void)w;
  rn_buf_free(&b);
}

static int usage_error(rn_error *err, const char *fmt, const char *arg) {
  rn_fail(err, 0, fmt, arg);
  return -1;
}

/* "--name=value" or "--name value"; returns the value or NULL (and advances *i). */
static const char *opt_value(int argc, char **argv, int *i, const char *name, rn_error *err, bool *matched) {
  size_t n = strlen(name);
  *matched = false;
  if (strncmp(argv[*i], name, n) != 0) return NULL;
  if (argv[*i][n] == '=') {
    *matched = true;
    return argv[*i] + n + 1;
  }
  if (argv[*i][n] != '\0') return NULL;
  *matched = true;
  if (*i + 1 >= argc) {
    rn_fail(err, 0, "option `%s` needs a value", name);
    return NULL;
  }
  return argv[++*i];
}

/* A valued option: `--name value`, `--name=value`, or the alias (`-b value`). */
typedef struct opt_spec {
  const char *name;
  const char *alias; /* or NULL */
  const char **dest;
} opt_spec;

/* 1 when argv[*i] is one of specs (its value stored, *i moved past it), 0 when it is none of them, -1 when
 * its value is missing. */
static int take_valued(int argc, char **argv, int *i, const opt_spec *specs, size_t n, rn_error *err) {
  for (size_t k = 0; k < n; k++) {
    for (int which = 0; which < 2; which++) {
      const char *name = which ? specs[k].alias : specs[k].name;
      if (name == NULL) continue;
      bool matched;
      const char *v = opt_value(argc, argv, i, name, err, &matched);
      if (!matched) continue;
      if (v == NULL) return -1;
      *specs[k].dest = v;
      return 1;
    }
  }
  return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (s == NULL || *s == '\0' || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static char *absolute(const char *path) {
  char *real = realpath(path, NULL);
  if (real) return real;
  if (path[0] == '/') return xstrdup(path);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL) return xstrdup(path);
  return xasprintf("%s/%s", cwd, path);
}

typedef struct cmd_ctx {
  const char *root;
  rn_cgroup_layout layout;
  bool has_layout;
  const char *driver; /* auto, v1, v2 */
} cmd_ctx;

static int need_layout(cmd_ctx *c, rn_error *err) {
  if (c->has_layout) return 0;
  if (rn_cgroup_layout_detect(&c->layout, err) < 0) return -1;
  if (strcmp(c->driver, "v2") == 0) {
    if (c->layout.unified == NULL) return rn_fail(err, 0, "--cgroup-driver v2: no cgroup2 hierarchy is mounted");
    for (int i = 0; i < RN_CG_COUNT; i++) {
      free(c->layout.v1[i]);
      c->layout.v1[i] = NULL;
    }
    c->layout.mode = RN_CGROUP_V2;
  } else if (strcmp(c->driver, "v1") == 0) {
    if (c->layout.mode == RN_CGROUP_V2) return rn_fail(err, 0, "--cgroup-driver v1: no v1 hierarchy is mounted");
  }
  c->has_layout = true;
  return 0;
}

static int cmd_create(cmd_ctx *c, int argc, char **argv, bool run, int *exit_code, rn_error *err) {
  rn_create_opts o = {.root = c->root};
  const char *bundle = ".", *log_bytes = NULL, *log_files = NULL;
  const opt_spec valued[] = {
      {"--bundle", "-b", &bundle},
      {"--pid-file", NULL, &o.pid_file},
      {"--container-log", NULL, &o.container_log},
      {"--container-log-max-bytes", NULL, &log_bytes},
      {"--container-log-max-files", NULL, &log_files},
  };
  /* run passes the caller's stdio through: the log options are create's only. */
  size_t n_valued = run ? 2 : ARRAY_LEN(valued);
  for (int i = 0; i < argc; i++) {
    int t = take_valued(argc, argv, &i, valued, n_valued, err);
    if (t < 0) return -1;
    if (t > 0) continue;
    if (run && (strcmp(argv[i], "--detach") == 0 || strcmp(argv[i], "-d") == 0)) o.detach = true;
    else if (strcmp(argv[i], "--console-socket") == 0 || strncmp(argv[i], "--console-socket=", 17) == 0)
      return usage_error(err, "%s: terminals are not supported", "--console-socket");
    else if (argv[i][0] == '-') return usage_error(err, "unknown option `%s`", argv[i]);
    else if (o.id == NULL) o.id = argv[i];
    else return usage_error(err, "unexpected argument `%s`", argv[i]);
  }
  if (o.container_log && o.container_log[0] != '/')
    return usage_error(err, "--container-log: must be an absolute path, got `%s`", o.container_log);
  if (log_bytes && (parse_u64(log_bytes, &o.log_max_bytes) < 0 || o.log_max_bytes < 1024))
    return usage_error(err, "--container-log-max-bytes: must be a number of bytes >= 1024, got `%s`", log_bytes);
  uint64_t files = 0;
  if (log_files && (parse_u64(log_files, &files) < 0 || files < 1 || files > 100))
    return usage_error(err, "--container-log-max-files: must be between 1 and 100, got `%s`", log_files);
  o.log_max_files = (unsigned)files;
  if (o.id == NULL) return rn_fail(err, 0, "%s: a container id is required", run ? "run" : "create");
  if (rn_state_check_id(o.id, err) < 0) return -1;
  cleanup_free char *abs_bundle = absolute(bundle);
  o.bundle = abs_bundle;
  cleanup_free char *abs_pid = o.pid_file ? absolute(o.pid_file) : NULL;
  o.pid_file = abs_pid;
  if (need_layout(c, err) < 0) return -1;
  o.layout = &c->layout;
  if (run) return rn_container_run(&o, exit_code, err);
  return rn_container_create(&o, err);
}

static int one_id(int argc, char **argv, const char *cmd, const char **id, rn_error *err) {
  *id = NULL;
  for (int i = 0; i < argc; i++) {
    if (argv[i][0] == '-') return usage_error(err, "unknown option `%s`", argv[i]);
    if (*id) return usage_error(err, "unexpected argument `%s`", argv[i]);
    *id = argv[i];
  }
  if (*id == NULL) return rn_fail(err, 0, "%s: a container id is required", cmd);
  return 0;
}

static int cmd_kill(cmd_ctx *c, int argc, char **argv, rn_error *err) {
  const char *id = NULL, *sig_name = NULL;
  bool all = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0) all = true;
    else if (argv[i][0] == '-' && argv[i][1] != '\0') return usage_error(err, "unknown option `%s`", argv[i]);
    else if (id == NULL) id = argv[i];
    else if (sig_name == NULL) sig_name = argv[i];
    else return usage_error(err, "unexpected argument `%s`", argv[i]);
  }
  if (id == NULL) return rn_fail(err, 0, "kill: a container id is required");
  int sig = 15;
  if (sig_name && (sig = rn_signal_from_name(sig_name)) < 0)
    return rn_fail(err, 0, "kill: unknown signal `%s`", sig_name);
  if (rn_state_check_id(id, err) < 0) return -1;
  if (all && need_layout(c, err) < 0) return -1;
  return rn_cmd_kill(c->root, id, sig, all, &c->layout, err);
}

static int cmd_delete(cmd_ctx *c, int argc, char **argv, rn_error *err) {
  const char *id = NULL;
  bool force = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) force = true;
    else if (argv[i][0] == '-') return usage_error(err, "unknown option `%s`", argv[i]);
    else if (id == NULL) id = argv[i];
    else return usage_error(err, "unexpected argument `%s`", argv[i]);
  }
  if (id == NULL) return rn_fail(err, 0, "delete: a container id is required");
  if (rn_state_check_id(id, err) < 0) return -1;
  if (need_layout(c, err) < 0) return -1;
  return rn_cmd_delete(c->root, id, force, &c->layout, err);
}

static int cmd_list(cmd_ctx *c, int argc, char **argv, rn_error *err) {
  bool quiet = false;
  const char *format = "table";
  const opt_spec valued[] = {{"--format", "-f", &format}};
  for (int i = 0; i < argc; i++) {
    int t = take_valued(argc, argv, &i, valued, ARRAY_LEN(valued), err);
    if (t < 0) return -1;
    if (t > 0) continue;
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) quiet = true;
    else return usage_error(err, "unexpected argument `%s`", argv[i]);
  }
  if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
    return usage_error(err, "--format: must be table or json, got `%s`", format);
  return rn_cmd_list(c->root, quiet, strcmp(format, "json") == 0, err);
}

static int parse_user(const char *s, rn_exec_opts *o, rn_error *err) {
  uint64_t uid, gid = 0;
  cleanup_free char *copy = xstrdup(s);
  char *colon = strchr(copy, ':');
  if (colon) *colon = '\0';
  if (parse_u64(copy, &uid) < 0 || uid > UINT32_MAX - 1 || (colon && (parse_u64(colon + 1, &gid) < 0 || gid > UINT32_MAX - 1)))
    return rn_fail(err, 0, "--user: must be UID or UID:GID (numbers), got `%s`", s);
  o->has_user = true;
  o->uid = (uid_t)uid;
  o->gid = (gid_t)gid;
  return 0;
}

static int cmd_exec(cmd_ctx *c, int argc, char **argv, int *exit_code, rn_error *err) {
  rn_exec_opts o = {0};
  const char *id = NULL, *env_value = NULL, *user = NULL;
  cleanup_free char **env = xcalloc((size_t)argc + 1, sizeof(char *));
  size_t n_env = 0;
  const opt_spec valued[] = {{"--env", "-e", &env_value}, {"--cwd", NULL, &o.cwd}, {"--user", "-u", &user}};
  int i = 0;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (id != NULL && argv[i][0] != '-') break;
    env_value = NULL;
    int t = take_valued(argc, argv, &i, valued, ARRAY_LEN(valued), err);
    if (t < 0) return -1;
    if (t > 0) {
      if (env_value && (strchr(env_value, '=') == NULL || env_value[0] == '='))
        return usage_error(err, "--env: must be KEY=value, got `%s`", env_value);
      if (env_value) env[n_env++] = (char *)env_value;
      continue;
    }
    if (strcmp(argv[i], "--tty") == 0 || strcmp(argv[i], "-t") == 0)
      return usage_error(err, "%s: terminals are not supported", argv[i]);
    if (argv[i][0] == '-') return usage_error(err, "unknown option `%s`", argv[i]);
    id = argv[i];
  }
  if (o.cwd && o.cwd[0] != '/') return usage_error(err, "--cwd: must be an absolute path, got `%s`", o.cwd);
  if (user && parse_user(user, &o, err) < 0) return -1;
  if (id == NULL) return rn_fail(err, 0, "exec: a container id is required");
  if (i >= argc) return rn_fail(err, 0, "exec: a command to run is required");
  cleanup_free char **args = xcalloc((size_t)(argc - i) + 1, sizeof(char *));
  for (int k = 0; i < argc; i++, k++) args[k] = argv[i];
  if (args[0][0] == '\0') return rn_fail(err, 0, "exec: the command must not be empty");
  o.args = args;
  o.env = env;
  if (rn_state_check_id(id, err) < 0) return -1;
  if (need_layout(c, err) < 0) return -1;
  return rn_cmd_exec(c->root, id, &o, &c->layout, exit_code, err);
}

static int cmd_shim(cmd_ctx *c, int argc, char **argv, rn_error *err) {
  rn_wrap_opts o = {0};
  const char *bundle = ".";
  const opt_spec valued[] = {
      {"--runtime", NULL, &o.runtime},         {"--runtime-root", NULL, &o.runtime_root},
      {"--state-dir", NULL, &o.state_dir},     {"--cgroup-path", NULL, &o.cgroup_path},
      {"--container-log", NULL, &o.container_log}, {"--bundle", "-b", &bundle},
  };
  for (int i = 0; i < argc; i++) {
    int t = take_valued(argc, argv, &i, valued, ARRAY_LEN(valued), err);
    if (t < 0) return -1;
    if (t > 0) continue;
    if (argv[i][0] == '-') return usage_error(err, "unknown option `%s`", argv[i]);
    if (o.id != NULL) return usage_error(err, "unexpected argument `%s`", argv[i]);
    o.id = argv[i];
  }
  if (o.runtime == NULL || o.runtime[0] != '/') return rn_fail(err, 0, "shim: --runtime must be an absolute path");
  if (o.state_dir == NULL) return rn_fail(err, 0, "shim: --state-dir is required");
  if (o.id == NULL) return rn_fail(err, 0, "shim: a container id is required");
  if (rn_state_check_id(o.id, err) < 0) return -1;
  cleanup_free char *abs_bundle = absolute(bundle);
  o.bundle = abs_bundle;
  if (need_layout(c, err) < 0) return -1;
  o.layout = &c->layout;
  return rn_container_wrap(&o, err);
}

static void usage(FILE *out) {
  fputs("Usage: swarm-runtime [--root DIR] [--log FILE] [--log-format text|json] [--cgroup-driver auto|v1|v2]\n"
        "                     COMMAND [OPTIONS] ID\n"
        "Commands: create, start, state, kill, delete, list, run, exec, shim, --version\n",
        out);
}

int main(int argc, char **argv) {
  rn_error err;
  rn_error_reset(&err);
  cmd_ctx c = {.root = RN_DEFAULT_ROOT, .driver = "auto"};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    bool m;
    const char *v;
    if ((v = opt_value(argc, argv, &i, "--root", &err, &m)) || m) {
      if (!v) goto fail;
      c.root = v;
    } else if ((v = opt_value(argc, argv, &i, "--log", &err, &m)) || m) {
      if (!v) goto fail;
      if (g_log_fd >= 0) close(g_log_fd);
      g_log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (g_log_fd < 0) {
        rn_fail(&err, errno, "--log: open `%s`", v);
        goto fail;
      }
    } else if ((v = opt_value(argc, argv, &i, "--error-fd", &err, &m)) || m) {
      /* Ours: errors as JSON lines on an inherited fd, a channel no container output can reach. */
      uint64_t fd;
      if (!v) goto fail;
      if (parse_u64(v, &fd) < 0 || fd < 3 || fd > 1023 || fcntl((int)fd, F_GETFD) < 0) {
        rn_fail(&err, 0, "--error-fd: must be an open file descriptor from 3 to 1023, got `%s`", v);
        goto fail;
      }
      if (g_log_fd >= 0) close(g_log_fd);
      g_log_fd = (int)fd;
      fcntl(g_log_fd, F_SETFD, FD_CLOEXEC);
      g_log_json = true;
    } else if ((v = opt_value(argc, argv, &i, "--log-format", &err, &m)) || m) {
      if (!v) goto fail;
      if (strcmp(v, "json") == 0) g_log_json = true;
      else if (strcmp(v, "text") != 0) {
        rn_fail(&err, 0, "--log-format: must be text or json, got `%s`", v);
        goto fail;
      }
    } else if ((v = opt_value(argc, argv, &i, "--cgroup-driver", &err, &m)) || m) {
      if (!v) goto fail;
      if (strcmp(v, "auto") != 0 && strcmp(v, "v1") != 0 && strcmp(v, "v2") != 0) {
        rn_fail(&err, 0, "--cgroup-driver: must be auto, v1 or v2, got `%s`", v);
        goto fail;
      }
      c.driver = v;
    } else if (strcmp(argv[i], "--debug") == 0) {
      /* accepted for compatibility with callers that pass it to every OCI runtime */
    } else if (strcmp(argv[i], "--systemd-cgroup") == 0) {
      rn_fail(&err, 0, "--systemd-cgroup: the systemd cgroup manager is not supported");
      goto fail;
    } else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
      printf("swarm-runtime version %s\nspec: 1.0.2\n", VERSION);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      rn_fail(&err, 0, "unknown option `%s`", argv[i]);
      goto fail;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 1;
  }
  if (c.root[0] != '/') {
    rn_fail(&err, 0, "--root: must be an absolute path, got `%s`", c.root);
    goto fail;
  }
  const char *cmd = argv[i];
  int sub_argc = argc - i - 1;
  char **sub_argv = argv + i + 1;
  int r, code = 0;
  const char *id;
  if (strcmp(cmd, "create") == 0) {
    r = cmd_create(&c, sub_argc, sub_argv, false, &code, &err);
  } else if (strcmp(cmd, "run") == 0) {
    r = cmd_create(&c, sub_argc, sub_argv, true, &code, &err);
  } else if (strcmp(cmd, "start") == 0) {
    r = one_id(sub_argc, sub_argv, cmd, &id, &err);
    if (r == 0) r = rn_container_start(c.root, id, &err);
  } else if (strcmp(cmd, "state") == 0) {
    r = one_id(sub_argc, sub_argv, cmd, &id, &err);
    if (r == 0) r = rn_cmd_state(c.root, id, &err);
  } else if (strcmp(cmd, "kill") == 0) {
    r = cmd_kill(&c, sub_argc, sub_argv, &err);
  } else if (strcmp(cmd, "delete") == 0) {
    r = cmd_delete(&c, sub_argc, sub_argv, &err);
  } else if (strcmp(cmd, "list") == 0) {
    r = cmd_list(&c, sub_argc, sub_argv, &err);
  } else if (strcmp(cmd, "exec") == 0) {
    r = cmd_exec(&c, sub_argc, sub_argv, &code, &err);
  } else if (strcmp(cmd, "shim") == 0) {
    r = cmd_shim(&c, sub_argc, sub_argv, &err);
  } else {
    rn_fail(&err, 0, "unknown command `%s`", cmd);
    r = -1;
  }
  if (c.has_layout) rn_cgroup_layout_free(&c.layout);
  if (r < 0) goto fail;
  fflush(stdout);
  return code;
fail:
  print_error(&err);
  return 1;
}
