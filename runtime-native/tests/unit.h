/* A minimal unit-test harness for the C parts. Each test is a function registered with RN_TEST; the
 * runner prints one TAP line per test ("ok N - name" / "not ok N - name: reason"), which the ava wrapper
 * (runtime-native/ts/native-unit.test.ts) turns into one ava test each. */
#ifndef RN_UNIT_H
#define RN_UNIT_H

#include <stdio.h>
#include <string.h>

typedef struct rn_unit_case {
  const char *name;
  int (*fn)(char *why, size_t why_len); /* 0 = pass; otherwise fills why */
  struct rn_unit_case *next;
} rn_unit_case;

void rn_unit_register(rn_unit_case *c);

#define RN_TEST(ident, title)                                                      \
  static int ident(char *why, size_t why_len);                                    \
  static rn_unit_case ident##_case = {title, ident, NULL};                         \
  __attribute__((constructor)) static void ident##_register(void) {               \
    rn_unit_register(&ident##_case);                                               \
  }                                                                                \
  static int ident(char *why __attribute__((unused)), size_t why_len __attribute__((unused)))

#define CHECK(cond)                                                                           \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      snprintf(why, why_len, "%s:%d: check failed: %s", __FILE__, __LINE__, #cond);           \
      return 1;                                                                               \
    }                                                                                         \
  } while (0)

#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *a_ = (a), *b_ = (b);                                                               \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                         \
      snprintf(why, why_len, "%s:%d: \"%s\" != \"%s\"", __FILE__, __LINE__, a_ ? a_ : "(null)",    \
               b_ ? b_ : "(null)");                                                                \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

/* Checks that haystack contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                                               \
  do {                                                                                                 \
    const char *h_ = (haystack), *n_ = (needle);                                                       \
    if (h_ == NULL || strstr(h_, n_) == NULL) {                                                        \
      snprintf(why, why_len, "%s:%d: \"%s\" does not contain \"%s\"", __FILE__, __LINE__,              \
               h_ ? h_ : "(null)", n_);                                                                \
      return 1;                                                                                        \
    }                                                                                                  \
  } while (0)

#endif
