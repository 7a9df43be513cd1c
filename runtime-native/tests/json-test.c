#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "unit.h"

static rn_json *parse(const char *text, rn_error *err) {
  return rn_json_parse(text, strlen(text), err);
}

/* The error message for a text that must not parse ("(parsed)" when it did). */
static const char *parse_error(const char *text, size_t len) {
  static rn_error err;
  rn_error_reset(&err);
  rn_json *v = rn_json_parse(text, len, &err);
  if (v != NULL) {
    rn_json_free(v);
    return "(parsed)";
  }
  return err.msg;
}
/* For literals, so that embedded NUL bytes count. */
#define PARSE_ERROR(lit) parse_error(lit, sizeof(lit) - 1)

RN_TEST(json_scalars, "json: scalars with surrounding whitespace") {
  rn_error err;
  rn_json *v = parse(" \t\r\n null \n", &err);
  CHECK(v && v->type == RN_JSON_NULL);
  rn_json_free(v);
  v = parse("true", &err);
  CHECK(v && v->type == RN_JSON_BOOL && v->boolean);
  rn_json_free(v);
  v = parse("false", &err);
  CHECK(v && v->type == RN_JSON_BOOL && !v->boolean);
  rn_json_free(v);
  v = parse("\"hello\"", &err);
  CHECK(v && v->type == RN_JSON_STRING && v->len == 5);
  CHECK_STR(v->str, "hello");
  rn_json_free(v);
  v = parse("\"\"", &err);
  CHECK(v && v->type == RN_JSON_STRING && v->len == 0);
  CHECK_STR(v->str, "");
  rn_json_free(v);
  v = parse("42", &err);
  CHECK(v && v->type == RN_JSON_NUMBER && v->is_int && !v->is_uint && v->i == 42 && v->d == 42.0);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_containers, "json: objects and arrays keep document order") {
  rn_error err;
  const char *text = "{\"name\": \"web\", \"ports\": [80, 443], \"empty\": {}, \"none\": [],"
                     " \"nested\": {\"a\": {\"b\": [true, null, {\"c\": -1.5}]}}}";
  rn_json *v = parse(text, &err);
  CHECK(v != NULL);
  CHECK(v->type == RN_JSON_OBJECT && v->n == 5);
  CHECK_STR(v->keys[0], "name");
  CHECK_STR(v->keys[4], "nested");
  CHECK_STR(rn_json_get(v, "name")->str, "web");
  const rn_json *ports = rn_json_get(v, "ports");
  CHECK(ports && ports->type == RN_JSON_ARRAY && ports->n == 2 && ports->keys == NULL);
  CHECK(ports->items[0]->i == 80 && ports->items[1]->i == 443);
  CHECK(rn_json_get(v, "empty")->type == RN_JSON_OBJECT && rn_json_get(v, "empty")->n == 0);
  CHECK(rn_json_get(v, "none")->type == RN_JSON_ARRAY && rn_json_get(v, "none")->n == 0);
  const rn_json *b = rn_json_get(rn_json_get(rn_json_get(v, "nested"), "a"), "b");
  CHECK(b && b->n == 3 && b->items[0]->boolean && b->items[1]->type == RN_JSON_NULL);
  const rn_json *cv = rn_json_get(b->items[2], "c");
  CHECK(cv && !cv->is_int && cv->d == -1.5);
  CHECK(rn_json_get(v, "missing") == NULL);
  CHECK(rn_json_get(ports, "name") == NULL); /* not an object */
  CHECK(rn_json_get(NULL, "name") == NULL);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_duplicate_keys, "json: duplicate keys are kept, the last one wins in rn_json_get") {
  rn_error err;
  rn_json *v = parse("{\"a\": 1, \"b\": 2, \"a\": 3}", &err);
  CHECK(v && v->n == 3);
  CHECK(rn_json_get(v, "a")->i == 3);
  CHECK(v->items[0]->i == 1);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_integer_bounds, "json: int64 and uint64 boundaries are exact") {
  rn_error err;
  rn_json *v = parse("[9223372036854775807, -9223372036854775808, 9223372036854775808, 18446744073709551615,"
                     " 18446744073709551616, -9223372036854775809, -0, 0, -1]",
                     &err);
  CHECK(v && v->n == 9);
  rn_json **it = v->items;
  CHECK(it[0]->is_int && !it[0]->is_uint && it[0]->i == INT64_MAX);
  CHECK(it[1]->is_int && !it[1]->is_uint && it[1]->i == INT64_MIN);
  CHECK(it[2]->is_int && it[2]->is_uint && it[2]->u == (uint64_t)INT64_MAX + 1);
  CHECK(it[3]->is_int && it[3]->is_uint && it[3]->u == UINT64_MAX);
  CHECK(!it[4]->is_int && !it[4]->is_uint && it[4]->d == 18446744073709551616.0);
  CHECK(!it[5]->is_int && it[5]->d == -9223372036854775809.0);
  CHECK(it[6]->is_int && it[6]->i == 0);
  CHECK(it[7]->is_int && it[7]->i == 0 && !it[7]->is_uint);
  CHECK(it[8]->is_int && it[8]->i == -1 && it[8]->d == -1.0);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_doubles, "json: fractions and exponents are doubles") {
  rn_error err;
  rn_json *v = parse("[1.5, -0.25, 1e3, 1E+2, 2e-3, 0.1, 1e-400, 123456789012345678901234567890]", &err);
  CHECK(v && v->n == 8);
  rn_json **it = v->items;
  for (size_t k = 0; k < v->n; k++) CHECK(it[k]->type == RN_JSON_NUMBER && !it[k]->is_int && !it[k]->is_uint);
  CHECK(it[0]->d == 1.5 && it[1]->d == -0.25 && it[2]->d == 1000.0 && it[3]->d == 100.0);
  CHECK(it[4]->d == 0.002 && it[5]->d == 0.1);
  CHECK(it[6]->d == 0.0); /* underflow rounds to zero */
  CHECK(it[7]->d == 1.2345678901234568e29);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_escapes, "json: escapes, \\u, surrogate pairs and raw UTF-8") {
  rn_error err;
  rn_json *v = parse("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u0041\\u00e9\\u20AC\", \"\\ud83d\\ude00\", \"a\\u0000b\","
                     " \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\", \"\\uFFFF\\uDBFF\\uDFFF\"]",
                     &err);
  CHECK(v && v->n == 6);
  CHECK_STR(v->items[0]->str, "\"\\/\b\f\n\r\t");
  CHECK_STR(v->items[1]->str, "A\xC3\xA9\xE2\x82\xAC");
  CHECK_STR(v->items[2]->str, "\xF0\x9F\x98\x80");
  CHECK(v->items[3]->len == 3 && memcmp(v->items[3]->str, "a\0b", 4) == 0);
  CHECK_STR(v->items[4]->str, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK_STR(v->items[5]->str, "\xEF\xBF\xBF\xF4\x8F\xBF\xBF");
  rn_json_free(v);
  return 0;
}

RN_TEST(json_syntax_errors, "json: every syntax error names its line and column") {
  static const struct {
    const char *text;
    const char *msg;
  } cases[] = {
      {"", "line 1 column 1: unexpected end of input, expected a value"},
      {"   ", "line 1 column 4: unexpected end of input, expected a value"},
      {"{\n  \"a\": 1,\n  \"b\":2 \"c\"\n}", "line 3 column 9: expected ',' or '}' after object member"},
      {"{\"a\":1", "line 1 column 7: unexpected end of input, expected ',' or '}' after object member"},
      {"[1 2]", "line 1 column 4: expected ',' or ']' after array element"},
      {"[1,\r\n 2 3]", "line 2 column 4: expected ',' or ']' after array element"},
      {"[1,", "line 1 column 4: unexpected end of input, expected a value"},
      {"[1,]", "line 1 column 4: trailing comma before ']'"},
      {"{\"a\":1,}", "line 1 column 8: trailing comma before '}'"},
      {"{\"a\" 1}", "line 1 column 6: expected ':' after object key"},
      {"{1:2}", "line 1 column 2: expected a string key"},
      {"{", "line 1 column 2: unexpected end of input, expected a string key"},
      {"[tru]", "line 1 column 2: invalid literal, expected true"},
      {"nul", "line 1 column 1: invalid literal, expected null"},
      {"fals", "line 1 column 1: invalid literal, expected false"},
      {"[x]", "line 1 column 2: unexpected 'x', expected a value"},
      {"[\"\xC3\xA9\", x]", "line 1 column 7: unexpected 'x', expected a value"},
      {"'a'", "line 1 column 1: unexpected ''', expected a value"},
      {"01", "line 1 column 1: invalid number: leading zeros are not allowed"},
      {"-01", "line 1 column 1: invalid number: leading zeros are not allowed"},
      {"-", "line 1 column 1: invalid number: expected a digit after '-'"},
      {"[-x]", "line 1 column 2: invalid number: expected a digit after '-'"},
      {"1.", "line 1 column 1: invalid number: expected a digit after '.'"},
      {"1.e5", "line 1 column 1: invalid number: expected a digit after '.'"},
      {"1e", "line 1 column 1: invalid number: expected a digit in the exponent"},
      {"1e+", "line 1 column 1: invalid number: expected a digit in the exponent"},
      {".5", "line 1 column 1: unexpected '.', expected a value"},
      {"+1", "line 1 column 1: unexpected '+', expected a value"},
      {"[1e400]", "line 1 column 2: number 1e400 is out of range"},
      {"-1e400", "line 1 column 1: number -1e400 is out of range"},
      {"1 2", "line 1 column 3: unexpected '2' after the JSON value"},
      {"{} x", "line 1 column 4: unexpected 'x' after the JSON value"},
      {"\"abc", "line 1 column 1: unterminated string"},
      {"[\"a\\", "line 1 column 2: unterminated string"},
      {"\"a\nb\"", "line 1 column 3: control character U+000A in string must be escaped"},
      {"\"a\tb\"", "line 1 column 3: control character U+0009 in string must be escaped"},
      {"\"\\x\"", "line 1 column 2: invalid escape '\\x' in string"},
      {"\"\\\n\"", "line 1 column 2: invalid escape in string: backslash followed by U+000A"},
      {"\"\\u12G4\"", "line 1 column 2: invalid \\u escape: expected 4 hexadecimal digits"},
      {"\"\\u12\"", "line 1 column 2: invalid \\u escape: expected 4 hexadecimal digits"},
      {"[\"\\ud800\"]", "line 1 column 3: lone high surrogate \\uD800 in string (not followed by a low surrogate)"},
      {"\"x\\uD83D\\u0041\"", "line 1 column 3: lone high surrogate \\uD83D in string (not followed by a low surrogate)"},
      {"\"\\ud800\\ud800\"", "line 1 column 2: lone high surrogate \\uD800 in string (not followed by a low surrogate)"},
      {"\"\\udc00\"", "line 1 column 2: lone low surrogate \\uDC00 in string"},
      {"\xEF\xBB\xBF{}", "line 1 column 1: byte order mark (U+FEFF) is not allowed"},
      {"\xC3\xA9", "line 1 column 1: unexpected U+00E9, expected a value"},
      {"\xFF", "line 1 column 1: unexpected byte 0xFF (invalid UTF-8), expected a value"},
      {"{\"a\\u0000b\": 1}", "line 1 column 2: object key contains \\u0000, which is not supported"},
  };
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
    CHECK_STR(parse_error(cases[k].text, strlen(cases[k].text)), cases[k].msg);
  /* A NUL byte outside a string. */
  CHECK_STR(PARSE_ERROR("[\0]"), "line 1 column 2: unexpected U+0000, expected a value");
  CHECK_STR(PARSE_ERROR("\"a\0\""), "line 1 column 3: control character U+0000 in string must be escaped");
  return 0;
}

RN_TEST(json_invalid_utf8, "json: ill-formed UTF-8 in strings is refused") {
  static const char *const bad[] = {
      "\"\xC0\x80\"",         /* overlong NUL */
      "\"\xC1\xBF\"",         /* overlong */
      "\"\xE0\x80\x80\"",     /* overlong 3-byte */
      "\"\xF0\x80\x80\x80\"", /* overlong 4-byte */
      "\"\xED\xA0\x80\"",     /* encoded surrogate U+D800 */
      "\"\xF4\x90\x80\x80\"", /* above U+10FFFF */
      "\"\xF8\x88\x80\x80\x80\"",
      "\"\x80\"",             /* stray continuation byte */
      "\"\xE2\x82\"",         /* truncated sequence */
      "\"\xC3",               /* truncated at the end of input */
      "\"\xFE\"",
  };
  for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
    CHECK_STR(parse_error(bad[k], strlen(bad[k])), "line 1 column 2: invalid UTF-8 in string");
  CHECK_STR(PARSE_ERROR("[\"ok\", \"\xC3\xA9\xC3\"]"), "line 1 column 10: invalid UTF-8 in string");
  return 0;
}

static char *nested(size_t depth, char open, char close) {
  char *s = malloc(2 * depth + 1);
  memset(s, open, depth);
  memset(s + depth, close, depth);
  s[2 * depth] = '\0';
  return s;
}

RN_TEST(json_depth_limit, "json: 512 levels of nesting parse, 513 do not") {
  rn_error err;
  char *ok = nested(512, '[', ']');
  rn_json *v = parse(ok, &err);
  free(ok);
  CHECK(v != NULL);
  const rn_json *inner = v;
  size_t levels = 1;
  while (inner->n == 1) {
    inner = inner->items[0];
    levels++;
  }
  CHECK(levels == 512);
  rn_json_free(v);

  char *deep = nested(513, '[', ']');
  const char *msg = parse_error(deep, strlen(deep));
  free(deep);
  CHECK_STR(msg, "line 1 column 513: nesting deeper than 512 levels");

  /* Objects count as levels too. */
  rn_buf b;
  rn_buf_init(&b);
  for (int k = 0; k < 513; k++) rn_buf_puts(&b, "{\"a\":");
  rn_buf_puts(&b, "1");
  for (int k = 0; k < 513; k++) rn_buf_puts(&b, "}");
  CHECK_STR(parse_error(b.data, b.len), "line 1 column 2561: nesting deeper than 512 levels");
  rn_buf_free(&b);
  return 0;
}

RN_TEST(json_writer_escapes, "json: rn_buf_json_string escapes per RFC 8259") {
  rn_buf b;
  rn_buf_init(&b);
  const char in[] = "a\"b\\c/\n\t\r\b\f\x01\x1f\x7f\xC3\xA9";
  rn_buf_json_string(&b, in, sizeof(in) - 1);
  CHECK_STR(b.data, "\"a\\\"b\\\\c/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\xC3\xA9\"");
  CHECK(b.len == strlen(b.data));
  rn_buf_free(&b);

  rn_buf_init(&b);
  rn_buf_json_string(&b, "a\0b", 3);
  CHECK_STR(b.data, "\"a\\u0000b\"");
  rn_buf_free(&b);

  /* Invalid UTF-8 bytes become U+FFFD, one per byte. */
  rn_buf_init(&b);
  rn_buf_json_string(&b, "x\xFF(\xC3\xED\xA0\x80", 7);
  CHECK_STR(b.data, "\"x\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  rn_buf_free(&b);

  rn_buf_init(&b);
  rn_buf_json_string(&b, "", 0);
  CHECK_STR(b.data, "\"\"");
  rn_buf_free(&b);
  return 0;
}

RN_TEST(json_writer_round_trip, "json: written strings parse back to the same bytes") {
  char in[256];
  size_t n = 0;
  for (int c = 0; c < 128; c++) in[n++] = (char)c;
  const char *multi = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF";
  memcpy(in + n, multi, strlen(multi));
  n += strlen(multi);

  rn_buf b;
  rn_buf_init(&b);
  rn_buf_puts(&b, "{\"k\": ");
  rn_buf_json_string(&b, in, n);
  rn_buf_printf(&b, ", \"n\": %zu}", n);
  rn_error err;
  rn_json *v = rn_json_parse(b.data, b.len, &err);
  rn_buf_free(&b);
  CHECK(v != NULL);
  const rn_json *k = rn_json_get(v, "k");
  CHECK(k && k->len == n && memcmp(k->str, in, n) == 0);
  CHECK(rn_json_get(v, "n")->i == (int64_t)n);
  rn_json_free(v);
  return 0;
}

RN_TEST(json_buf_growth, "json: rn_buf grows and stays NUL-terminated") {
  rn_buf b;
  rn_buf_init(&b);
  CHECK(b.data == NULL && b.len == 0);
  for (int k = 0; k < 1000; k++) rn_buf_printf(&b, "%04d,", k);
  CHECK(b.len == 5000 && strlen(b.data) == 5000);
  CHECK(strncmp(b.data + 4995, "0999,", 5) == 0);
  char big[3000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  rn_buf_printf(&b, "[%s]", big);
  CHECK(b.len == 5000 + 3001 && b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
  rn_buf_append(&b, "ab", 1);
  CHECK(b.data[b.len - 1] == 'a' && b.data[b.len] == '\0');
  rn_buf_free(&b);
  CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
  return 0;
}

RN_TEST(json_type_names, "json: type names") {
  CHECK_STR(rn_json_type_name(RN_JSON_NULL), "null");
  CHECK_STR(rn_json_type_name(RN_JSON_BOOL), "boolean");
  CHECK_STR(rn_json_type_name(RN_JSON_NUMBER), "number");
  CHECK_STR(rn_json_type_name(RN_JSON_STRING), "string");
  CHECK_STR(rn_json_type_name(RN_JSON_ARRAY), "array");
  CHECK_STR(rn_json_type_name(RN_JSON_OBJECT), "object");
  return 0;
}

static int write_file(const char *path, const char *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  ssize_t w = write(fd, data, len);
  close(fd);
  return w == (ssize_t)len ? 0 : -1;
}

RN_TEST(json_parse_file, "json: rn_json_parse_file reads, limits and names the file") {
  char dir[] = "/tmp/rn-json-test-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char ok[128], big[128], bad[128], none[128];
  snprintf(ok, sizeof(ok), "%s/ok.json", dir);
  snprintf(big, sizeof(big), "%s/big.json", dir);
  snprintf(bad, sizeof(bad), "%s/bad.json", dir);
  snprintf(none, sizeof(none), "%s/none.json", dir);
  const char *doc = "{\"a\": [1, 2, 3]}";
  int fails = 0;
  fails += write_file(ok, doc, strlen(doc)) < 0;
  char *large = malloc(2000);
  memset(large, ' ', 2000);
  large[0] = '1';
  fails += write_file(big, large, 2000) < 0;
  free(large);
  fails += write_file(bad, "{\n  \"a\" 1\n}", 11) < 0;

  rn_error err;
  rn_json *v = fails ? NULL : rn_json_parse_file(ok, strlen(doc), &err); /* exactly at the limit */
  bool ok_parsed = v && rn_json_get(v, "a") && rn_json_get(v, "a")->n == 3;
  rn_json_free(v);
  rn_json *too_big = rn_json_parse_file(big, 1000, &err);
  char big_msg[RN_ERROR_MAX];
  snprintf(big_msg, sizeof(big_msg), "%s", err.msg);
  rn_json *big_ok = rn_json_parse_file(big, 2000, &err);
  bool big_parsed = big_ok && big_ok->i == 1;
  rn_json_free(big_ok);
  rn_json *missing = rn_json_parse_file(none, 1000, &err);
  char missing_msg[RN_ERROR_MAX];
  snprintf(missing_msg, sizeof(missing_msg), "%s", err.msg);
  int missing_status = err.status;
  rn_json *broken = rn_json_parse_file(bad, 1000, &err);
  char bad_msg[RN_ERROR_MAX];
  snprintf(bad_msg, sizeof(bad_msg), "%s", err.msg);
  rn_json *is_dir = rn_json_parse_file(dir, 1000, &err);
  char dir_msg[RN_ERROR_MAX];
  snprintf(dir_msg, sizeof(dir_msg), "%s", err.msg);

  unlink(ok);
  unlink(big);
  unlink(bad);
  rmdir(dir);

  CHECK(fails == 0);
  CHECK(ok_parsed);
  CHECK(too_big == NULL);
  char want[512];
  snprintf(want, sizeof(want), "read `%s`: the file is larger than the limit of 1000 bytes", big);
  CHECK_STR(big_msg, want);
  CHECK(big_parsed);
  CHECK(missing == NULL && missing_status == ENOENT);
  snprintf(want, sizeof(want), "open `%s`: No such file or directory", none);
  CHECK_STR(missing_msg, want);
  CHECK(broken == NULL);
  snprintf(want, sizeof(want), "parse `%s`: line 2 column 7: expected ':' after object key", bad);
  CHECK_STR(bad_msg, want);
  CHECK(is_dir == NULL);
  snprintf(want, sizeof(want), "read `%s`: Is a directory", dir);
  CHECK_STR(dir_msg, want);
  return 0;
}
