/* The container's stdout and stderr as JSON lines, one object per line of output:
 *   {"time":"2026-11-29T12:00:00.123456789Z","stream":"stdout","log":"hello\n"}
 * (the layout of Docker's json-file driver, so existing tools read it). A line longer than 16 KiB is
 * split into several records. When the file would grow past max_bytes it is rotated: file → file.1 →
 * file.2 …, keeping max_files files in all (the current one included). */
#ifndef RN_LOG_H
#define RN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RN_LOG_LINE_MAX 16384
#define RN_LOG_DEFAULT_MAX_BYTES (10u << 20)
#define RN_LOG_DEFAULT_MAX_FILES 3

enum { RN_LOG_STDOUT = 0, RN_LOG_STDERR = 1 };

typedef struct rn_log {
  char *path;
  int fd;
  uint64_t size;
  uint64_t max_bytes;
  unsigned max_files;
  char line[2][RN_LOG_LINE_MAX];
  size_t line_len[2];
} rn_log;

int rn_log_open(rn_log *log, const char *path, uint64_t max_bytes, unsigned max_files, rn_error *err);
/* Appends output of one stream; complete lines are written at once, a trailing partial line is kept. */
void rn_log_write(rn_log *log, int stream, const char *data, size_t n);
/* Writes out a kept partial line of the stream (at EOF). */
void rn_log_flush(rn_log *log, int stream);
void rn_log_close(rn_log *log);

#endif
