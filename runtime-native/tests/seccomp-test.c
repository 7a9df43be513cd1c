#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "seccomp.h"
#include "state.h"
#include "unit.h"

static void profile(rn_seccomp *sc, rn_seccomp_rule *rule, char **names, const char *syscall_name) {
  memset(sc, 0, sizeof(*sc));
  memset(rule, 0, sizeof(*rule));
  names[0] = (char *)syscall_name;
  rule->names = names;
  rule->n_names = 1;
  rule->action = RN_SCMP_ERRNO;
  sc->default_action = RN_SCMP_ALLOW;
  sc->rules = rule;
  sc->n_rules = 1;
}

/* The only file in dir (the cache holds one entry per profile). */
static char *only_file(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char *found = NULL;
  while (d && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') found = xasprintf("%s/%s", dir, de->d_name);
  if (d) closedir(d);
  return found;
}

RN_TEST(seccomp_cache_needs_exact_profile, "seccomp: a cached program is used only for the exact profile it was built from") {
  char tmpl[] = "/tmp/rn-seccomp-XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL);
  cleanup_free char *cache_a = xasprintf("%s/a", dir);
  cleanup_free char *cache_b = xasprintf("%s/b", dir);
  rn_seccomp a, b;
  rn_seccomp_rule ra, rb;
  char *na[1], *nb[1];
  profile(&a, &ra, na, "mkdir");
  profile(&b, &rb, nb, "chmod");
  rn_error err;
  rn_bpf pa = {0}, pb = {0}, pb2 = {0};
  int ok = rn_seccomp_compile(&a, cache_a, &pa, &err) == 0 && rn_seccomp_compile(&b, cache_b, &pb, &err) == 0;
  cleanup_free char *file_a = only_file(cache_a);
  cleanup_free char *file_b = only_file(cache_b);
  /* Plant A's cache entry under B's name, as a colliding profile would: B must not get A's program. */
  rn_buf raw;
  int planted = file_a && file_b && rn_read_file(file_a, 1 << 20, &raw, &err) == 0;
  if (planted) {
    FILE *f = fopen(file_b, "w");
    planted = f && fwrite(raw.data, 1, raw.len, f) == raw.len;
    if (f) fclose(f);
    rn_buf_free(&raw);
  }
  int again = rn_seccomp_compile(&b, cache_b, &pb2, &err) == 0;
  bool differs = pa.len != pb.len || memcmp(pa.insns, pb.insns, pa.len * sizeof(*pa.insns)) != 0;
  bool same_as_fresh = pb2.len == pb.len && memcmp(pb2.insns, pb.insns, pb.len * sizeof(*pb.insns)) == 0;
  rn_bpf_free(&pa);
  rn_bpf_free(&pb);
  rn_bpf_free(&pb2);
  rn_remove_tree(dir, &err);
  CHECK(ok);
  CHECK(planted);
  CHECK(again);
  CHECK(differs);
  CHECK(same_as_fresh);
  return 0;
}
