/* Strict RFC 8259 JSON: a recursive-descent reader into the rn_json DOM and a small writer.
 *
 * Deliberate choices beyond the RFC's minimum:
 * - a byte order mark is refused rather than skipped: every producer we read (the agent, crun/runc spec,
 *   our own state files) writes plain UTF-8, and a BOM hints at a file edited by hand on another system;
 * - numbers whose magnitude overflows a double are refused ("1e400") instead of becoming infinity;
 * - object keys may not contain \u0000: keys are plain C strings in the DOM, so "a\u0000b" would be
 *   indistinguishable from "a" and could smuggle a field past a validator.
 * Error positions are 1-based; columns count characters (UTF-8 sequences), not bytes. */
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX_DEPTH 512

typedef struct parser {
  const unsigned char *text;
  size_t len;
  size_t pos;
  rn_error *err;
} parser;

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is not one (overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are ill-formed, per RFC 3629). */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && s[1] > 0x9F) return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && s[1] > 0x8F) return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

static void put_utf8(rn_buf *b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  rn_buf_append(b, out, n);
}

static int fail_at(parser *ps, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(parser *ps, size_t pos, const char *fmt, ...) {
  size_t line = 1, col = 1;
  for (size_t k = 0; k < pos && k < ps->len; k++) {
    if (ps->text[k] == '\n') {
      line++;
      col = 1;
    } else if ((ps->text[k] & 0xC0) != 0x80) {
      col++;
    }
  }
  char what[RN_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  return rn_fail(ps->err, 0, "line %zu column %zu: %s", line, col, what);
}

/* "expected X" at the current position, saying so when the text simply ended. */
static int fail_expected(parser *ps, const char *what) {
  if (ps->pos >= ps->len) return fail_at(ps, ps->pos, "unexpected end of input, expected %s", what);
  return fail_at(ps, ps->pos, "expected %s", what);
}

/* The character at pos, for messages: 'x' for printable ASCII, U+XXXX otherwise. */
static void describe_char(const parser *ps, size_t pos, char *out, size_t size) {
  unsigned char c = ps->text[pos];
  if (c >= 0x21 && c < 0x7F) {
    snprintf(out, size, "'%c'", c);
    return;
  }
  size_t n = utf8_seq_len(ps->text + pos, ps->len - pos);
  if (n == 1) {
    snprintf(out, size, "U+%04X", c);
    return;
  }
  if (n == 0) {
    snprintf(out, size, "byte 0x%02X (invalid UTF-8)", c);
    return;
  }
  uint32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; k++) cp = (cp << 6) | (ps->text[pos + k] & 0x3F);
  snprintf(out, size, "U+%04X", cp);
}

static void skip_ws(parser *ps) {
  while (ps->pos < ps->len) {
    unsigned char c = ps->text[ps->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ps->pos++;
  }
}

static int hex4(const unsigned char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    unsigned char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

/* Parses the string that starts at the '"' under the cursor into out (NUL-terminated). */
static int parse_string_into(parser *ps, rn_buf *out) {
  size_t start = ps->pos;
  ps->pos++; /* the opening quote */
  rn_buf_append(out, "", 0);
  for (;;) {
    size_t run = ps->pos;
    while (ps->pos < ps->len) {
      unsigned char c = ps->text[ps->pos];
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ps->pos++;
    }
    rn_buf_append(out, (const char *)ps->text + run, ps->pos - run);
    if (ps->pos >= ps->len) return fail_at(ps, start, "unterminated string");
    unsigned char c = ps->text[ps->pos];
    if (c == '"') {
      ps->pos++;
      return 0;
    }
    if (c < 0x20) return fail_at(ps, ps->pos, "control character U+%04X in string must be escaped", c);
    if (c >= 0x80) {
      size_t n = utf8_seq_len(ps->text + ps->pos, ps->len - ps->pos);
      if (n == 0) return fail_at(ps, ps->pos, "invalid UTF-8 in string");
      rn_buf_append(out, (const char *)ps->text + ps->pos, n);
      ps->pos += n;
      continue;
    }
    /* backslash */
    size_t esc = ps->pos;
    if (esc + 1 >= ps->len) return fail_at(ps, start, "unterminated string");
    unsigned char e = ps->text[esc + 1];
    const char *simple = NULL;
    switch (e) {
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case '/': simple = "/"; break;
    case 'b': simple = "\b"; break;
    case 'f': simple = "\f"; break;
    case 'n': simple = "\n"; break;
    case 'r': simple = "\r"; break;
    case 't': simple = "\t"; break;
    case 'u': break;
    default:
      if (e >= 0x21 && e < 0x7F) return fail_at(ps, esc, "invalid escape '\\%c' in string", e);
      char what[40];
      describe_char(ps, esc + 1, what, sizeof(what));
      return fail_at(ps, esc, "invalid escape in string: backslash followed by %s", what);
    }
    if (simple) {
      rn_buf_append(out, simple, 1);
      ps->pos += 2;
      continue;
    }
    uint32_t cp;
    if (esc + 6 > ps->len || hex4(ps->text + esc + 2, &cp) < 0)
      return fail_at(ps, esc, "invalid \\u escape: expected 4 hexadecimal digits");
    ps->pos = esc + 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail_at(ps, esc, "lone low surrogate \\u%04X in string", cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo;
      if (ps->pos + 6 > ps->len || ps->text[ps->pos] != '\\' || ps->text[ps->pos + 1] != 'u' ||
          hex4(ps->text + ps->pos + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
        return fail_at(ps, esc, "lone high surrogate \\u%04X in string (not followed by a low surrogate)", cp);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      ps->pos += 6;
    }
    put_utf8(out, cp);
  }
}

static rn_json *new_value(rn_json_type t) {
  rn_json *v = xcalloc(1, sizeof(*v));
  v->type = t;
  return v;
}

static rn_json *parse_number(parser *ps) {
  size_t start = ps->pos, p = ps->pos;
  const unsigned char *s = ps->text;
  bool neg = false, integral = true;
  if (s[p] == '-') {
    neg = true;
    p++;
  }
  if (p >= ps->len || s[p] < '0' || s[p] > '9') {
    fail_at(ps, start, "invalid number: expected a digit after '-'");
    return NULL;
  }
  if (s[p] == '0' && p + 1 < ps->len && s[p + 1] >= '0' && s[p + 1] <= '9') {
    fail_at(ps, start, "invalid number: leading zeros are not allowed");
    return NULL;
  }
  size_t int_start = p;
  while (p < ps->len && s[p] >= '0' && s[p] <= '9') p++;
  size_t int_end = p;
  if (p < ps->len && s[p] == '.') {
    integral = false;
    p++;
    if (p >= ps->len || s[p] < '0' || s[p] > '9') {
      fail_at(ps, start, "invalid number: expected a digit after '.'");
      return NULL;
    }
    while (p < ps->len && s[p] >= '0' && s[p] <= '9') p++;
  }
  if (p < ps->len && (s[p] == 'e' || s[p] == 'E')) {
    integral = false;
    p++;
    if (p < ps->len && (s[p] == '+' || s[p] == '-')) p++;
    if (p >= ps->len || s[p] < '0' || s[p] > '9') {
      fail_at(ps, start, "invalid number: expected a digit in the exponent");
      return NULL;
    }
    while (p < ps->len && s[p] >= '0' && s[p] <= '9') p++;
  }

  /* strtod needs a terminated copy; the text is not NUL-terminated. The runtime never calls setlocale,
   * so the decimal point is '.'. */
  char small[64];
  cleanup_free char *big = NULL;
  char *copy = small;
  size_t n = p - start;
  if (n < sizeof(small)) {
    memcpy(small, s + start, n);
    small[n] = '\0';
  } else {
    copy = big = xstrndup((const char *)s + start, n);
  }
  double d = strtod(copy, NULL);
  if (isinf(d)) {
    fail_at(ps, start, "number %s is out of range", n < 40 ? copy : "(too long to show)");
    return NULL;
  }

  rn_json *v = new_value(RN_JSON_NUMBER);
  v->d = d;
  if (integral) {
    uint64_t mag = 0;
    bool overflow = false;
    for (size_t k = int_start; k < int_end; k++) {
      unsigned digit = (unsigned)(s[k] - '0');
      if (mag > (UINT64_MAX - digit) / 10) {
        overflow = true;
        break;
      }
      mag = mag * 10 + digit;
    }
    if (!overflow) {
      if (neg) {
        if (mag <= (uint64_t)INT64_MAX + 1) {
          v->is_int = true;
          v->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        }
      } else {
        v->is_int = true;
        v->u = mag;
        if (mag <= (uint64_t)INT64_MAX)
          v->i = (int64_t)mag;
        else
          v->is_uint = true;
      }
    }
  }
  ps->pos = p;
  return v;
}

static rn_json *parse_value(parser *ps, int depth);

static void push_item(rn_json *v, size_t *cap, rn_json *item, char *key) {
  if (v->n == *cap) {
    *cap = *cap ? *cap * 2 : 4;
    v->items = xrealloc(v->items, *cap * sizeof(*v->items));
    if (v->type == RN_JSON_OBJECT) v->keys = xrealloc(v->keys, *cap * sizeof(*v->keys));
  }
  v->items[v->n] = item;
  if (v->type == RN_JSON_OBJECT) v->keys[v->n] = key;
  v->n++;
}

static rn_json *parse_array(parser *ps, int depth) {
  rn_json *v = new_value(RN_JSON_ARRAY);
  size_t cap = 0;
  ps->pos++; /* '[' */
  skip_ws(ps);
  if (ps->pos < ps->len && ps->text[ps->pos] == ']') {
    ps->pos++;
    return v;
  }
  for (;;) {
    rn_json *item = parse_value(ps, depth);
    if (item == NULL) goto fail;
    push_item(v, &cap, item, NULL);
    skip_ws(ps);
    if (ps->pos < ps->len && ps->text[ps->pos] == ',') {
      ps->pos++;
      skip_ws(ps);
      if (ps->pos < ps->len && ps->text[ps->pos] == ']') {
        fail_at(ps, ps->pos, "trailing comma before ']'");
        goto fail;
      }
      continue;
    }
    if (ps->pos < ps->len && ps->text[ps->pos] == ']') {
      ps->pos++;
      return v;
    }
    fail_expected(ps, "',' or ']' after array element");
    goto fail;
  }
fail:
  rn_json_free(v);
  return NULL;
}

static rn_json *parse_object(parser *ps, int depth) {
  rn_json *v = new_value(RN_JSON_OBJECT);
  size_t cap = 0;
  ps->pos++; /* '{' */
  skip_ws(ps);
  if (ps->pos < ps->len && ps->text[ps->pos] == '}') {
    ps->pos++;
    return v;
  }
  for (;;) {
    if (ps->pos >= ps->len || ps->text[ps->pos] != '"') {
      fail_expected(ps, "a string key");
      goto fail;
    }
    size_t key_pos = ps->pos;
    rn_buf key;
    rn_buf_init(&key);
    if (parse_string_into(ps, &key) < 0) {
      rn_buf_free(&key);
      goto fail;
    }
    if (memchr(key.data, '\0', key.len) != NULL) {
      rn_buf_free(&key);
      fail_at(ps, key_pos, "object key contains \\u0000, which is not supported");
      goto fail;
    }
    skip_ws(ps);
    if (ps->pos >= ps->len || ps->text[ps->pos] != ':') {
      rn_buf_free(&key);
      fail_expected(ps, "':' after object key");
      goto fail;
    }
    ps->pos++;
    rn_json *item = parse_value(ps, depth);
    if (item == NULL) {
      rn_buf_free(&key);
      goto fail;
    }
    push_item(v, &cap, item, key.data);
    skip_ws(ps);
    if (ps->pos < ps->len && ps->text[ps->pos] == ',') {
      ps->pos++;
      skip_ws(ps);
      if (ps->pos < ps->len && ps->text[ps->pos] == '}') {
        fail_at(ps, ps->pos, "trailing comma before '}'");
        goto fail;
      }
      continue;
    }
    if (ps->pos < ps->len && ps->text[ps->pos] == '}') {
      ps->pos++;
      return v;
    }
    fail_expected(ps, "',' or '}' after object member");
    goto fail;
  }
fail:
  rn_json_free(v);
  return NULL;
}

static rn_json *parse_literal(parser *ps, const char *word, rn_json_type t, bool b) {
  size_t n = strlen(word);
  if (ps->len - ps->pos < n || memcmp(ps->text + ps->pos, word, n) != 0) {
    fail_at(ps, ps->pos, "invalid literal, expected %s", word);
    return NULL;
  }
  ps->pos += n;
  rn_json *v = new_value(t);
  v->boolean = b;
  return v;
}

static rn_json *parse_value(parser *ps, int depth) {
  skip_ws(ps);
  if (ps->pos >= ps->len) {
    fail_expected(ps, "a value");
    return NULL;
  }
  unsigned char c = ps->text[ps->pos];
  switch (c) {
  case '{':
  case '[':
    if (depth >= JSON_MAX_DEPTH) {
      fail_at(ps, ps->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
      return NULL;
    }
    return c == '{' ? parse_object(ps, depth + 1) : parse_array(ps, depth + 1);
  case '"': {
    rn_buf b;
    rn_buf_init(&b);
    if (parse_string_into(ps, &b) < 0) {
      rn_buf_free(&b);
      return NULL;
    }
    rn_json *v = new_value(RN_JSON_STRING);
    v->str = b.data;
    v->len = b.len;
    return v;
  }
  case 't': return parse_literal(ps, "true", RN_JSON_BOOL, true);
  case 'f': return parse_literal(ps, "false", RN_JSON_BOOL, false);
  case 'n': return parse_literal(ps, "null", RN_JSON_NULL, false);
  default:
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(ps);
    char what[40];
    describe_char(ps, ps->pos, what, sizeof(what));
    fail_at(ps, ps->pos, "unexpected %s, expected a value", what);
    return NULL;
  }
}

rn_json *rn_json_parse(const char *text, size_t len, rn_error *err) {
  parser ps = {.text = (const unsigned char *)(text ? text : ""), .len = text ? len : 0, .pos = 0, .err = err};
  if (ps.len >= 3 && memcmp(ps.text, "\xEF\xBB\xBF", 3) == 0) {
    fail_at(&ps, 0, "byte order mark (U+FEFF) is not allowed");
    return NULL;
  }
  rn_json *v = parse_value(&ps, 0);
  if (v == NULL) return NULL;
  skip_ws(&ps);
  if (ps.pos < ps.len) {
    char what[40];
    describe_char(&ps, ps.pos, what, sizeof(what));
    fail_at(&ps, ps.pos, "unexpected %s after the JSON value", what);
    rn_json_free(v);
    return NULL;
  }
  return v;
}

int rn_read_file(const char *path, size_t max_bytes, rn_buf *out, rn_error *err) {
  rn_buf_init(out);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return rn_fail(err, errno, "open `%s`", path);
  struct stat st;
  if (fstat(fd, &st) < 0) return rn_fail(err, errno, "stat `%s`", path);
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes)
    return rn_fail(err, 0, "read `%s`: the file is larger than the limit of %zu bytes", path, max_bytes);
  /* Read one byte past the limit so that a file that grew, or one fstat cannot size (a pipe), is still
   * caught by the limit. */
  size_t limit = max_bytes < SIZE_MAX ? max_bytes + 1 : SIZE_MAX;
  size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
  if (cap > limit) cap = limit;
  char *buf = xmalloc(cap);
  size_t len = 0;
  for (;;) {
    if (len == cap) {
      if (cap >= limit) break;
      cap = cap > limit / 2 ? limit : cap * 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      free(buf);
      return rn_fail(err, errno, "read `%s`", path);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  if (len > max_bytes) {
    free(buf);
    return rn_fail(err, 0, "read `%s`: the file is larger than the limit of %zu bytes", path, max_bytes);
  }
  out->data = buf;
  out->len = len;
  out->cap = cap;
  return 0;
}

rn_json *rn_json_parse_file(const char *path, size_t max_bytes, rn_error *err) {
  rn_buf raw;
  if (rn_read_file(path, max_bytes, &raw, err) < 0) return NULL;
  rn_json *v = rn_json_parse(raw.data ? raw.data : "", raw.len, err);
  rn_buf_free(&raw);
  if (v == NULL) rn_error_wrap(err, "parse `%s`", path);
  return v;
}

void rn_json_free(rn_json *v) {
  if (v == NULL) return;
  free(v->str);
  for (size_t k = 0; k < v->n; k++) {
    rn_json_free(v->items[k]);
    if (v->keys) free(v->keys[k]);
  }
  free(v->items);
  free(v->keys);
  free(v);
}

const rn_json *rn_json_get(const rn_json *v, const char *key) {
  if (v == NULL || v->type != RN_JSON_OBJECT) return NULL;
  for (size_t k = v->n; k > 0; k--)
    if (strcmp(v->keys[k - 1], key) == 0) return v->items[k - 1];
  return NULL;
}

const char *rn_json_type_name(rn_json_type t) {
  switch (t) {
  case RN_JSON_NULL: return "null";
  case RN_JSON_BOOL: return "boolean";
  case RN_JSON_NUMBER: return "number";
  case RN_JSON_STRING: return "string";
  case RN_JSON_ARRAY: return "array";
  case RN_JSON_OBJECT: return "object";
  }
  return "unknown";
}

/* The buffer keeps data NUL-terminated after every append, so callers may use it as a C string. */
void rn_buf_init(rn_buf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void rn_buf_free(rn_buf *b) {
  free(b->data);
  rn_buf_init(b);
}

static void buf_reserve(rn_buf *b, size_t extra) {
  if (UNLIKELY(extra > SIZE_MAX - b->len - 1)) abort();
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void rn_buf_append(rn_buf *b, const char *s, size_t n) {
  buf_reserve(b, n);
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void rn_buf_puts(rn_buf *b, const char *s) {
  rn_buf_append(b, s, strlen(s));
}

void rn_buf_printf(rn_buf *b, const char *fmt, ...) {
  va_list ap;
  buf_reserve(b, 64);
  va_start(ap, fmt);
  int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (UNLIKELY(n < 0)) abort();
  if ((size_t)n >= b->cap - b->len) {
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

void rn_buf_json_string(rn_buf *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  rn_buf_append(b, "\"", 1);
  size_t k = 0;
  while (k < n) {
    size_t run = k;
    while (k < n && u[k] >= 0x20 && u[k] < 0x80 && u[k] != '"' && u[k] != '\\') k++;
    rn_buf_append(b, s + run, k - run);
    if (k >= n) break;
    unsigned char c = u[k];
    if (c >= 0x80) {
      size_t len = utf8_seq_len(u + k, n - k);
      if (len == 0) {
        rn_buf_append(b, "\xEF\xBF\xBD", 3);
        k++;
      } else {
        rn_buf_append(b, s + k, len);
        k += len;
      }
      continue;
    }
    switch (c) {
    case '"': rn_buf_append(b, "\\\"", 2); break;
    case '\\': rn_buf_append(b, "\\\\", 2); break;
    case '\b': rn_buf_append(b, "\\b", 2); break;
    case '\f': rn_buf_append(b, "\\f", 2); break;
    case '\n': rn_buf_append(b, "\\n", 2); break;
    case '\r': rn_buf_append(b, "\\r", 2); break;
    case '\t': rn_buf_append(b, "\\t", 2); break;
    default: rn_buf_printf(b, "\\u%04x", c); break;
    }
    k++;
  }
  rn_buf_append(b, "\"", 1);
}
