/* The container's filesystem view, built inside its new mount namespace: the root filesystem, the
 * spec's mounts, /dev nodes, sysctls, masked and read-only paths, then pivot_root. Every path inside the
 * root is resolved with openat2(RESOLVE_IN_ROOT), so a symlink planted in an image cannot point a mount
 * outside the container. */
#ifndef RN_MOUNTS_H
#define RN_MOUNTS_H

#include "error.h"
#include "spec.h"

/* Runs in the container's init (new mount namespace), as root, before the process steps. */
int rn_mounts_setup(const rn_spec *spec, rn_error *err);

/* The device cgroup rules the container gets: the spec's rules, then allows for the default device
 * nodes (/dev/null, zero, full, random, urandom, tty, ptmx, the pts nodes) and for linux.devices. Returns a
 * malloc'd array. */
rn_device_rule *rn_device_rules(const rn_spec *spec, size_t *n);

#endif
