#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "state.h"

static const char *const STREAM_NAMES[2] = {"stdout", "stderr"};

int rn_log_open(rn_log *log, const char *path, uint64_t max_bytes, unsigned max_files, rn_error *err) {
  memset(log, 0, sizeof(*log));
  log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log->fd < 0) return rn_fail(err, errno, "open container log `%s`", path);
  struct stat st;
  log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  log->path = xstrdup(path);
  log->max_bytes = max_bytes ? max_bytes : RN_LOG_DEFAULT_MAX_BYTES;
  log->max_files = max_files ? max_files : RN_LOG_DEFAULT_MAX_FILES;
  return 0;
}

static void rotate(rn_log *log) {
  close(log->fd);
  if (log->max_files <= 1) {
    log->fd = open(log->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  } else {
    for (unsigned i = log->max_files - 1; i >= 1; i--) {
      cleanup_free char *from = i == 1 ? xstrdup(log->path) : xasprintf("%s.%u", log->path, i - 1);
      cleanup_free char *to = xasprintf("%s.%u", log->path, i);
      rename(from, to); /* a missing older file is fine */
    }
    log->fd = open(log->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  }
  log->size = 0;
}

static void emit(rn_log *log, int stream, const char *data, size_t n) {
  if (log->fd < 0) return;
  char now[40];
  rn_now_rfc3339(now, sizeof(now));
  rn_buf b;
  rn_buf_init(&b);
  rn_buf_printf(&b, "{\"time\":\"%s\",\"stream\":\"%s\",\"log\":", now, STREAM_NAMES[stream]);
  rn_buf_json_string(&b, data, n);
  rn_buf_append(&b, "}\n", 2);
  if (log->size > 0 && log->size + b.len > log->max_bytes) rotate(log);
  if (log->fd >= 0) {
    size_t off = 0;
    while (off < b.len) {
      ssize_t w = write(log->fd, b.data + off, b.len - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        break; /* a full disk loses log lines, never the container */
      }
      off += (size_t)w;
    }
    log->size += off;
  }
  rn_buf_free(&b);
}

void rn_log_write(rn_log *log, int stream, const char *data, size_t n) {
  char *line = log->line[stream];
  size_t *len = &log->line_len[stream];
  for (size_t i = 0; i < n; i++) {
    line[(*len)++] = data[i];
    if (data[i] == '\n' || *len == RN_LOG_LINE_MAX) {
      emit(log, stream, line, *len);
      *len = 0;
    }
  }
}

void rn_log_flush(rn_log *log, int stream) {
  if (log->line_len[stream] > 0) {
    emit(log, stream, log->line[stream], log->line_len[stream]);
    log->line_len[stream] = 0;
  }
}

void rn_log_close(rn_log *log) {
  rn_log_flush(log, RN_LOG_STDOUT);
  rn_log_flush(log, RN_LOG_STDERR);
  if (log->fd >= 0) close(log->fd);
  log->fd = -1;
  free(log->path);
  log->path = NULL;
}
