/* Compiles linux.seccomp into a BPF program once (in the shim, before the container is cloned, so errors
 * reach `create`) and loads it in the container process just before execve. Compiled programs are cached
 * in <root>/.seccomp-cache by a hash of the profile, because building a Docker-sized profile with
 * libseccomp costs more than the rest of container creation. */
#ifndef RN_SECCOMP_H
#define RN_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

typedef struct rn_bpf {
  struct sock_filter *insns;
  unsigned short len;
} rn_bpf;

/* Builds the program for `sc`. cache_dir may be NULL (no caching). */
int rn_seccomp_compile(const rn_seccomp *sc, const char *cache_dir, rn_bpf *out, rn_error *err);
/* Installs the program in the calling thread (SECCOMP_SET_MODE_FILTER). Without no_new_privs the caller
 * needs CAP_SYS_ADMIN. */
int rn_seccomp_load(const rn_bpf *prog, rn_error *err);
void rn_bpf_free(rn_bpf *prog);

#endif
