/* What the kernel knows of a TCP connection, for telling why a client's request head failed. */
#ifndef CC_SOCKSTAT_H
#define CC_SOCKSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes the peer has sent on the socket so far, read or not (TCP_INFO); false if unknown. */
bool cc_sock_bytes_received(int fd, uint64_t *out);

#endif
