/* rn-probe: a static program the runtime tests put into their containers to observe what the container
 * may do, one subcommand a behaviour, each printing one line the test reads:
 *   hog MB          allocate and touch MB mebibytes, 1 MiB at a time, printing progress
 *   spin            burn CPU until killed
 *   keyctl          call keyctl(KEYCTL_GET_KEYRING_ID) directly: "ok" or "errno N"
 *   mknod PATH      create a char device 1:1 (/dev/mem) at PATH: "ok" or "errno N"
 *   forks N         fork N children that sleep, report how many forks succeeded
 *   ignore-term     ignore SIGTERM and sleep forever (a PID 1 that needs SIGKILL)
 *   caps            print CapEff and NoNewPrivs and Seccomp from /proc/self/status */
#include <errno.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int hog(long mb) {
  for (long i = 0; i < mb; i++) {
    char *p = malloc(1 << 20);
    if (p == NULL) {
      printf("malloc failed at %ld MiB\n", i);
      return 1;
    }
    memset(p, (int)(i & 0xff) | 1, 1 << 20);
    if ((i + 1) % 8 == 0) {
      printf("touched %ld MiB\n", i + 1);
      fflush(stdout);
    }
  }
  printf("done %ld MiB\n", mb);
  return 0;
}

static int forks(int n) {
  int ok = 0, failed = 0, last = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) {
      sleep(30);
      _exit(0);
    }
    if (p < 0) {
      failed++;
      last = errno;
    } else {
      ok++;
    }
  }
  printf("forks ok=%d failed=%d errno=%d\n", ok, failed, last);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: rn-probe hog|spin|keyctl|mknod|forks|ignore-term|caps\n");
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "hog") == 0 && argc > 2) return hog(atol(argv[2]));
  if (strcmp(cmd, "spin") == 0) {
    for (volatile unsigned long i = 0;; i++) {
    }
  }
  if (strcmp(cmd, "keyctl") == 0) {
    long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    if (r < 0) printf("errno %d\n", errno);
    else printf("ok\n");
    return 0;
  }
  if (strcmp(cmd, "mknod") == 0 && argc > 2) {
    if (mknod(argv[2], S_IFCHR | 0600, makedev(1, 1)) < 0) printf("errno %d\n", errno);
    else printf("ok\n");
    return 0;
  }
  if (strcmp(cmd, "forks") == 0 && argc > 2) return forks(atoi(argv[2]));
  if (strcmp(cmd, "ignore-term") == 0) {
    signal(SIGTERM, SIG_IGN);
    printf("ignoring SIGTERM\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (strcmp(cmd, "caps") == 0) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
      if (strncmp(line, "CapEff", 6) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 || strncmp(line, "Seccomp:", 8) == 0)
        fputs(line, stdout);
    if (f) fclose(f);
    return 0;
  }
  fprintf(stderr, "rn-probe: unknown command %s\n", cmd);
  return 2;
}
