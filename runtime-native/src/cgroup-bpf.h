/* Private to the cgroup drivers (cgroup.c, cgroup-v1.c, cgroup-v2.c, cgroup-bpf.c) and their tests; nothing
 * else includes it. Two parts: the cgroup2 BPF device filter (cgroup-bpf.c), and the small helpers that
 * cgroup.c shares with both drivers (directory creation and removal, keyed files, cgroup.procs, the
 * cgroup2 core files that both drivers use on the unified hierarchy). The helpers live here rather than
 * in cgroup.h so that the public contract stays what the rest of the runtime codes against. */
#ifndef RN_CGROUP_BPF_H
#define RN_CGROUP_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* ---- BPF device filter (cgroup-bpf.c) ---- */

/* Translates OCI device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program: the last rule that matches an
 * access decides it, and an access no rule matches is denied. An allow rule matches when it covers every
 * requested access bit; a deny rule matches when it covers any of them, so "deny c 1:3 w" refuses an
 * open for read+write. *insns is malloc'ed. */
int rn_cgroup_bpf_devices_build(const rn_device_rule *rules, size_t n_rules, struct bpf_insn **insns,
                                size_t *n_insns, rn_error *err);

/* Builds, loads and attaches the program to the cgroup2 directory `dir` (BPF_CGROUP_DEVICE, multi
 * attach). The attachment keeps the program alive; it goes away with the cgroup. */
int rn_cgroup_bpf_devices_attach(const char *dir, const rn_device_rule *rules, size_t n_rules,
                                 rn_error *err);

/* ---- helpers shared by the drivers (cgroup.c) ---- */

/* Directories a create() made, in creation order (parents first), so that a failed create can remove
 * exactly those, deepest first. */
typedef struct rn_cg_dirlist {
  char **dirs;
  size_t n;
} rn_cg_dirlist;

/* mkdir -p of root/rel; root (a hierarchy's mount point) must exist. Appends each directory it made to
 * created. An existing directory is fine. */
int rn_cg_mkdir_p(const char *root, const char *rel, rn_cg_dirlist *created, rn_error *err);
/* Removes the listed directories deepest first, ignoring errors, and empties the list. */
void rn_cg_dirlist_rollback(rn_cg_dirlist *created);
/* Empties the list without touching the filesystem. */
void rn_cg_dirlist_free(rn_cg_dirlist *list);

/* Reads a whole cgroup file (any size) into a malloc'ed, NUL-terminated string. */
int rn_cg_read_alloc(const char *dir, const char *file, char **out, rn_error *err);
/* Finds the line "<key> <number>" of a flat keyed file (memory.events, memory.oom_control,
 * cgroup.events). *found is false (and *value 0) when the key is absent. */
int rn_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *value, bool *found,
                   rn_error *err);
/* Whether `word` is one of the space-separated words of `list` (cgroup.controllers and friends). */
bool rn_cg_has_word(const char *list, const char *word);

/* Sends sig to every pid listed in dir/cgroup.procs (ESRCH ignored). */
int rn_cg_signal_procs(const char *dir, int sig, rn_error *err);
/* Whether dir/cgroup.procs lists nothing; a missing directory counts as empty. */
int rn_cg_procs_empty(const char *dir, bool *empty, rn_error *err);

/* cgroup2 core files, present on every cgroup2 directory even with no controller enabled. */
/* "populated" of cgroup.events; a missing directory counts as not populated. */
int rn_cg_unified_populated(const char *dir, bool *out, rn_error *err);
/* SIGKILL through cgroup.kill when the kernel has it; otherwise (and for every other signal) freeze with
 * cgroup.freeze, signal each pid, thaw (only if it was not frozen before). */
int rn_cg_unified_signal(const char *dir, int sig, rn_error *err);

/* The destroy() of both drivers: SIGKILL what is left, wait (bounded) until the cgroup is empty, then
 * remove the container's leaf directory in every hierarchy. */
int rn_cg_destroy(rn_cgroup *cg, rn_error *err);

/* Short sleeps for the bounded waits (freezing, emptying, EBUSY on rmdir). */
void rn_cg_sleep_ms(unsigned ms);
uint64_t rn_cg_now_ms(void);

#endif
