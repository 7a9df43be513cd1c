#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rn_fail(rn_error *err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  if (errnum != 0 && n >= 0 && (size_t)n < sizeof(err->msg))
    snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
  err->status = errnum;
  return -1;
}

int rn_fail_code(rn_error *err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  err->status = errnum;
  return -1;
}

void rn_error_wrap(rn_error *err, const char *fmt, ...) {
  char prefix[RN_ERROR_MAX];
  char old[RN_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof(old));
  snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void rn_error_reset(rn_error *err) {
  err->status = 0;
  err->msg[0] = '\0';
}

static void oom(void) {
  static const char msg[] = "swarm-runtime: out of memory\n";
  ssize_t r = write(2, msg, sizeof(msg) - 1);
  (void)r;
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (UNLIKELY(p == NULL)) oom();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (UNLIKELY(p == NULL)) oom();
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (UNLIKELY(q == NULL)) oom();
  return q;
}

char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (UNLIKELY(p == NULL)) oom();
  return p;
}

char *xstrndup(const char *s, size_t n) {
  char *p = strndup(s, n);
  if (UNLIKELY(p == NULL)) oom();
  return p;
}

char *xasprintf(const char *fmt, ...) {
  char *out = NULL;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&out, fmt, ap);
  va_end(ap);
  if (UNLIKELY(r < 0)) oom();
  return out;
}

void rn_cleanup_freep(void *p) {
  free(*(void **)p);
}

void rn_cleanup_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
