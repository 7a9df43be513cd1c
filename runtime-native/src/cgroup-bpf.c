/* The cgroup2 device filter: OCI device rules compiled to a BPF_PROG_TYPE_CGROUP_DEVICE program, loaded
 * and attached with the raw bpf() syscall.
 *
 * The program sees one access at a time (struct bpf_cgroup_dev_ctx: type, requested access bits, major,
 * minor) and returns 1 to allow, 0 to deny. Rules are emitted last first, each as a block of tests that
 * jump to the next block on mismatch and return the rule's verdict on match, so the last matching rule
 * decides; falling off the end denies. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-bpf.h"

typedef struct prog {
  struct bpf_insn *insns;
  size_t n, cap;
} prog;

static size_t emit(prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->insns = xrealloc(p->insns, p->cap * sizeof(*p->insns));
  }
  struct bpf_insn *i = &p->insns[p->n];
  memset(i, 0, sizeof(*i));
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
  return p->n++;
}

/* Registers after the prologue. */
enum { R_RET = 0, R_CTX = 1, R_ACCESS = 2, R_TYPE = 3, R_MAJOR = 4, R_MINOR = 5, R_TMP = 6 };

static uint32_t access_bits(const char *access) {
  if (access[0] == '\0') return BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  uint32_t bits = 0;
  for (const char *a = access; *a; a++) {
    if (*a == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (*a == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (*a == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

int rn_cgroup_bpf_devices_build(const rn_device_rule *rules, size_t n_rules, struct bpf_insn **insns,
                                size_t *n_insns, rn_error *err) {
  for (size_t i = 0; i < n_rules; i++) {
    const rn_device_rule *r = &rules[i];
    if (r->type != 'a' && r->type != 'c' && r->type != 'b')
      return rn_fail(err, 0, "devices[%zu]: type must be a, c or b, got `%c`", i, r->type);
    if (r->major > (int64_t)UINT32_MAX || r->major < -1 || r->minor > (int64_t)UINT32_MAX || r->minor < -1)
      return rn_fail(err, 0, "devices[%zu]: major/minor out of range", i);
  }

  prog p = {0};
  /* access_type is (access << 16) | type. 32-bit ALU ops zero the upper halves. */
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_ACCESS, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  emit(&p, BPF_ALU | BPF_MOV | BPF_X, R_TYPE, R_ACCESS, 0, 0);
  emit(&p, BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
  emit(&p, BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);

  bool matched_all = false;
  for (size_t k = n_rules; k-- > 0;) {
    const rn_device_rule *r = &rules[k];
    uint32_t acc = access_bits(r->access);
    size_t jumps[5];
    size_t nj = 0;
    if (r->type != 'a')
      jumps[nj++] = emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, R_TYPE, 0, 0,
                         r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    if (acc != ACC_ALL) {
      if (r->allow) {
        /* An allow rule must cover every requested bit: skip it if any bit falls outside. */
        jumps[nj++] = emit(&p, BPF_JMP | BPF_JSET | BPF_K, R_ACCESS, 0, 0, (int32_t)(~acc & ACC_ALL));
      } else {
        /* A deny rule refuses as soon as it covers one requested bit: skip it if none. */
        emit(&p, BPF_ALU | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0);
        emit(&p, BPF_ALU | BPF_AND | BPF_K, R_TMP, 0, 0, (int32_t)acc);
        jumps[nj++] = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, R_TMP, 0, 0, 0);
      }
    }
    if (r->major >= 0)
      jumps[nj++] = emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)(uint32_t)r->major);
    if (r->minor >= 0)
      jumps[nj++] = emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)(uint32_t)r->minor);
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, r->allow ? 1 : 0);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (size_t j = 0; j < nj; j++) p.insns[jumps[j]].off = (int16_t)(p.n - jumps[j] - 1);
    /* A rule that matches everything hides every rule before it. */
    if (nj == 0) {
      matched_all = true;
      break;
    }
    if (p.n > 30000) {
      free(p.insns);
      return rn_fail(err, 0, "%zu device rules are too many for one BPF program", n_rules);
    }
  }
  /* Default: deny. After a match-all block it would be unreachable, which the verifier refuses. */
  if (!matched_all) {
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, 0);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  *insns = p.insns;
  *n_insns = p.n;
  return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_prog(const struct bpf_insn *insns, size_t n, rn_error *err) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  /* The program calls no helper, so a GPL license buys nothing; this is the project's. */
  attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return fd;
  int saved = errno;
  /* Load again with the verifier log, only to explain the failure. */
  char log[8192];
  log[0] = '\0';
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof(log);
  attr.log_level = 1;
  fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) {
    close(fd);
    return rn_fail(err, saved, "load the BPF device program (%zu instructions)", n);
  }
  size_t len = strlen(log);
  while (len && log[len - 1] == '\n') log[--len] = '\0';
  const char *tail = len > 300 ? log + len - 300 : log;
  return rn_fail(err, saved, "load the BPF device program (%zu instructions)%s%s", n, len ? ": verifier: " : "",
                 tail);
}

int rn_cgroup_bpf_devices_attach(const char *dir, const rn_device_rule *rules, size_t n_rules,
                                 rn_error *err) {
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n = 0;
  if (rn_cgroup_bpf_devices_build(rules, n_rules, &insns, &n, err) < 0) return -1;
  cleanup_close int prog_fd = load_prog(insns, n, err);
  if (prog_fd < 0) return -1;
  cleanup_close int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return rn_fail(err, errno, "open `%s`", dir);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)dir_fd;
  attr.attach_bpf_fd = (uint32_t)prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* Multi: programs of the ancestors keep running too (each must allow), and a later update can attach
   * a new program before detaching this one. */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
    return rn_fail(err, errno, "attach the BPF device program to `%s`", dir);
  return 0;
}
