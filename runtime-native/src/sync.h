/* Messages between the shim and the container's init over a SOCK_SEQPACKET pair, one per send:
 *   shim → init:  START (exec now)
 *   init → shim:  READY (set up, waiting for START), ERROR (errno + message)
 * A successful execve closes the init's end (close-on-exec), which the shim reads as "started". */
#ifndef RN_SYNC_H
#define RN_SYNC_H

#include "error.h"

enum { RN_SYNC_READY = 'R', RN_SYNC_START = 'S', RN_SYNC_ERROR = 'E' };

typedef struct rn_sync_msg {
  char type;
  int status;
  char msg[RN_ERROR_MAX];
} rn_sync_msg;

/* Sends a message without an error text. */
int rn_sync_send(int fd, char type);
/* Sends ERROR with err's status and text. */
int rn_sync_send_error(int fd, const rn_error *err);
/* Receives one message. Returns 1 on a message, 0 on EOF, -1 on error (errno set). timeout_ms < 0 waits
 * forever. ETIMEDOUT when the time runs out. */
int rn_sync_recv(int fd, rn_sync_msg *msg, int timeout_ms);

#endif
