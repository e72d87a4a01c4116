/*
 * Parallel send of one buffer to many sockets.
 *
 * On loopback and on a guest with page-table isolation one send() of a small WebSocket frame
 * costs 6-11 µs, almost all of it in the kernel's TCP path, so one thread needs 70-110 ms to
 * reach 10,000 clients however little the daemon itself does. The loop thread therefore splits
 * a broadcast among a few worker threads and waits for them, as redis does with its I/O
 * threads: nothing else runs meanwhile, the workers touch nothing but their slice of the job
 * array and the sockets in it, and every socket stays owned by the libwebsockets loop.
 */
#ifndef CC_FANOUT_H
#define CC_FANOUT_H

#include <stddef.h>
#include <sys/types.h>

struct cc_fanout;

struct cc_fanout_job {
	int fd;
	ssize_t sent;   /* bytes the kernel took; -1 with err set when none */
	int err;        /* errno of a failed send (EAGAIN: the socket is full) */
};

/* threads: how many may send at once, counting the caller (1: the caller alone).
 * batch: fewest jobs worth giving a thread of their own. Returns NULL when a thread cannot
 * be started, with the reason in err. */
struct cc_fanout *cc_fanout_create(int threads, int batch, char *err, size_t errlen);
void cc_fanout_destroy(struct cc_fanout *f);

/* Send buf[0..len) to every job's fd without blocking and fill in sent/err. Returns how many
 * threads took part. */
int cc_fanout_run(struct cc_fanout *f, struct cc_fanout_job *jobs, size_t n, const void *buf,
		  size_t len);

/* Number of CPUs online, at least 1. */
int cc_fanout_cpus(void);

#endif
