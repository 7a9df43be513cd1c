#include "sync.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

int rn_sync_send(int fd, char type) {
  rn_sync_msg m = {.type = type};
  ssize_t n;
  do n = send(fd, &m, offsetof(rn_sync_msg, msg) + 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

int rn_sync_send_error(int fd, const rn_error *err) {
  rn_sync_msg m = {.type = RN_SYNC_ERROR, .status = err->status};
  size_t len = strnlen(err->msg, sizeof(m.msg) - 1);
  memcpy(m.msg, err->msg, len);
  m.msg[len] = '\0';
  ssize_t n;
  do n = send(fd, &m, offsetof(rn_sync_msg, msg) + len + 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

int rn_sync_recv(int fd, rn_sync_msg *msg, int timeout_ms) {
  memset(msg, 0, sizeof(*msg));
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    break;
  }
  ssize_t n;
  do n = recv(fd, msg, sizeof(*msg) - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if (n == 0) return 0;
  msg->msg[sizeof(msg->msg) - 1] = '\0';
  return 1;
}
