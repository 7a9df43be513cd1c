/* The shim: the process that owns one container after `create` returns (or the `run` process in the
 * foreground). It serves the control socket (start, wait), logs the container's output, reaps the init
 * and any orphan it adopts as child subreaper, and records how the container ended in exit.json. In
 * "wrap" mode it does the same for a container another OCI runtime created (crun, runc). */
#ifndef RN_SHIM_H
#define RN_SHIM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "spec.h"
#include "state.h"

#define RN_SHIM_SOCK "shim.sock"

/* What the shim tells the process that started it, once, through a pipe. */
typedef struct rn_report {
  char ok;
  pid_t pid;
  int status;
  char msg[RN_ERROR_MAX];
} rn_report;

typedef struct rn_orphan {
  pid_t pid;
  int wstatus;
} rn_orphan;

typedef struct rn_shim {
  const char *dir;
  const char *id;
  const char *bundle;
  const rn_spec *spec;   /* NULL in wrap mode */
  bool foreground;       /* `run`: forwards signals, no socket, no log */
  rn_cgroup cg;
  bool has_cg;
  rn_log log;
  bool has_log;
  const char *log_path;
  int out_fd, err_fd;    /* the container's stdout/stderr, -1 when passed through */
  pid_t pid;             /* the container's init */
  uint64_t pid_start;
  pid_t runtime_pid;     /* wrap mode: the wrapped runtime's `create`, until it exits */
  const char *pid_file;  /* wrap mode: written once the pid is known */
  int sync_fd;           /* to the init, until it runs its program; -1 otherwise */
  int listen_fd;
  int sig_fd;
  int report_fd;         /* to the process that started us, until we reported */
  int lock_fd;           /* holds the container directory's lock until we reported */
  int *waiters;          /* clients waiting for the end */
  size_t n_waiters;
  int *pending;          /* clients whose request has not arrived yet */
  size_t n_pending;
  bool started, exited;
  int wstatus;
  char created[40];
  rn_buf runtime_stderr; /* wrap mode: what the runtime printed before its create finished */
  rn_orphan reaped[16];  /* wrap mode: children reaped before we knew which one is the container */
  size_t n_reaped;
} rn_shim;

void rn_shim_init(rn_shim *s, const char *dir, const char *id, const char *bundle);

/* Blocks SIGCHLD (and, in the foreground, the signals forwarded to the container) into a signalfd;
 * returns the previous mask in old, which the container's processes must get back. */
int rn_shim_block_signals(rn_shim *s, sigset_t *old, rn_error *err);

/* Detaches a background shim from its caller: stdio to /dev/null, every other inherited fd closed except
 * the ones it needs, the caller's termination signals ignored (an agent stopped by its service manager
 * must not take the record of its containers' ends with it). */
void rn_shim_detach(rn_shim *s);

/* Writes state.json with the given status ("creating", "created", "running"). */
void rn_shim_write_state(rn_shim *s, const char *status);

int rn_shim_listen(rn_shim *s, rn_error *err);

/* Sends the one report and releases the directory lock. */
void rn_shim_report_ok(rn_shim *s);
void rn_shim_report_error(rn_shim *s, const rn_error *err);

/* Serves until the container ended and its output is drained; fills the exit record. */
void rn_shim_serve(rn_shim *s, rn_exit *ex);

/* Writes exit.json, answers the waiters, removes the socket. */
void rn_shim_finish(rn_shim *s, const rn_exit *ex);

#endif
