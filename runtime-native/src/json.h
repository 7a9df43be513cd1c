/* A small JSON reader (DOM) and writer, enough for OCI config.json and the runtime's state files.
 * Strict RFC 8259: no comments, no trailing commas, UTF-8 text; \u escapes decoded to UTF-8 (surrogate
 * pairs joined). Numbers keep whether they were written as integers so that 64-bit values such as
 * memory limits round-trip exactly. */
#ifndef RN_JSON_H
#define RN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum rn_json_type {
  RN_JSON_NULL,
  RN_JSON_BOOL,
  RN_JSON_NUMBER,
  RN_JSON_STRING,
  RN_JSON_ARRAY,
  RN_JSON_OBJECT,
} rn_json_type;

typedef struct rn_json rn_json;

struct rn_json {
  rn_json_type type;
  bool boolean;
  /* RN_JSON_NUMBER: is_int is true when the text had no fraction or exponent and fits int64 (or, when
   * is_uint, fits uint64 but not int64). */
  bool is_int;
  bool is_uint;
  int64_t i;
  uint64_t u;
  double d;
  /* RN_JSON_STRING: NUL-terminated; len excludes the NUL (strings may hold \u0000, so len is exact). */
  char *str;
  size_t len;
  /* RN_JSON_ARRAY and RN_JSON_OBJECT: n items; for objects keys[k] names items[k], in document order. */
  size_t n;
  rn_json **items;
  char **keys;
};

/* Parses text[0..len). On error returns NULL and fills err with "line L column C: <what>". Nesting
 * deeper than 512 levels is refused. */
rn_json *rn_json_parse(const char *text, size_t len, rn_error *err);

/* Reads and parses a whole file (at most max_bytes). Errors name the file. */
rn_json *rn_json_parse_file(const char *path, size_t max_bytes, rn_error *err);

void rn_json_free(rn_json *v);

/* Reads a whole file of at most max_bytes into out (rn_buf_free it). Errors name the file. */
struct rn_buf;
int rn_read_file(const char *path, size_t max_bytes, struct rn_buf *out, rn_error *err);

/* The member `key` of an object, or NULL if absent or v is not an object. Duplicate keys: the last one
 * wins (as in JavaScript). */
const rn_json *rn_json_get(const rn_json *v, const char *key);

const char *rn_json_type_name(rn_json_type t);

/* A growable output buffer for writing JSON. */
typedef struct rn_buf {
  char *data;
  size_t len;
  size_t cap;
} rn_buf;

void rn_buf_init(rn_buf *b);
void rn_buf_free(rn_buf *b);
void rn_buf_append(rn_buf *b, const char *s, size_t n);
void rn_buf_puts(rn_buf *b, const char *s);
void rn_buf_printf(rn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a quoted JSON string with the required escapes; invalid UTF-8 bytes become U+FFFD. */
void rn_buf_json_string(rn_buf *b, const char *s, size_t n);

#endif
