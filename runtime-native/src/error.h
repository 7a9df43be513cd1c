/* Error reporting, after crun's convention: a function that fails returns < 0 and fills an rn_error with
 * the errno (0 when the failure is not a system call's) and a message; callers add context with
 * rn_error_wrap() so the final text reads outermost-first:
 *   "linux.resources.memory.limit: must be -1 or a positive number of bytes"
 *   "mount `proc` on `/proc`: Operation not permitted" */
#ifndef RN_ERROR_H
#define RN_ERROR_H

#include <stddef.h>

#define RN_ERROR_MAX 1024

typedef struct rn_error {
  int status; /* errno, or 0 */
  char msg[RN_ERROR_MAX];
} rn_error;

/* Fills err with the message (and ": strerror(errnum)" when errnum != 0); returns -1. */
int rn_fail(rn_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like rn_fail, but the message already says what errnum means: status is set, no text is appended. */
int rn_fail_code(rn_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "<context>: "; keeps status. */
void rn_error_wrap(rn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err. */
void rn_error_reset(rn_error *err);

/* Memory helpers that abort on exhaustion: a runtime that cannot allocate a few bytes cannot go on. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Cleanup attributes: the variable is released when it goes out of scope. */
void rn_cleanup_freep(void *p);
void rn_cleanup_closep(int *fd);
#define cleanup_free __attribute__((cleanup(rn_cleanup_freep)))
#define cleanup_close __attribute__((cleanup(rn_cleanup_closep)))

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
