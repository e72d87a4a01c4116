/*
 * The kernel's floor for one fan-out on this machine: the same bytes sent with a bare send() loop
 * to N loopback TCP sockets, with no WebSocket server, no event loop and no encoding, by T threads,
 * while a child process reads the other ends (at idle priority, like bench/run's idle-reader run,
 * or at normal priority). Prints the send loop's mean and worst time per round, which is the
 * least any server here could take to hand one change to N clients.
 *
 * usage: floor --clients N --size BYTES --threads T --rounds R --reader idle|normal
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct slice {
	const int *fd;
	int from, to;
	const char *buf;
	size_t len;
	long short_sends;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void *send_slice(void *arg)
{
	struct slice *s = arg;
	for (int i = s->from; i < s->to; i++)
		if (send(s->fd[i], s->buf, s->len, MSG_NOSIGNAL) != (ssize_t)s->len)
			s->short_sends++;
	return NULL;
}

/* The child: connect n sockets, say so on the pipe, then read until every byte has come. */
static void reader(struct sockaddr_in *a, int n, long long want, int idle, int ready_fd)
{
	int ep = epoll_create1(0), *fds = malloc(sizeof(int) * n);
	static char buf[1 << 16];
	struct epoll_event ev[1024];
	long long got = 0;

	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)a, sizeof *a))
			die("connect (raise ulimit -n)");
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
	}
	if (idle) {
		struct sched_param sp = { 0 };
		if (sched_setscheduler(0, SCHED_IDLE, &sp))
			die("SCHED_IDLE");
	}
	if (write(ready_fd, "r", 1) != 1)
		die("pipe");
	while (got < want) {
		int k = epoll_wait(ep, ev, 1024, 10000);
		if (k <= 0)
			break;
		for (int j = 0; j < k; j++) {
			ssize_t r = recv(fds[ev[j].data.u32], buf, sizeof buf, 0);
			if (r > 0)
				got += r;
		}
	}
	_exit(got == want ? 0 : 1);
}

int main(int argc, char **argv)
{
	int n = 10000, threads = 2, rounds = 20, idle = 1;
	size_t size = 307;
	int ls, one = 1, pfd[2], *fd;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	pid_t child;
	char *msg, c;
	double total = 0, worst = 0;
	long shorts = 0;
	int status;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--clients"))
			n = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--size"))
			size = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reader"))
			idle = !strcmp(argv[i + 1], "idle");
		else {
			fprintf(stderr, "usage: floor --clients N --size BYTES --threads T --rounds R "
					"--reader idle|normal\n");
			return 2;
		}
	}
	if (n < 1 || threads < 1 || threads > 64 || rounds < 1 || size < 1)
		return 2;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096) ||
	    getsockname(ls, (struct sockaddr *)&a, &al) || pipe(pfd))
		die("listen");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		reader(&a, n, (long long)n * (long long)size * rounds, idle, pfd[1]);

	fd = malloc(sizeof(int) * n);
	for (int i = 0; i < n; i++) {
		fd[i] = accept(ls, NULL, NULL);
		if (fd[i] < 0)
			die("accept");
		setsockopt(fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (read(pfd[0], &c, 1) != 1)
		die("reader did not start");
	msg = calloc(1, size);
	memset(msg, 'x', size);
	for (int r = 0; r < rounds; r++) {
		struct slice s[64];
		pthread_t th[64];
		double t0, d;

		usleep(200 * 1000);   /* let the reader drain the previous round */
		t0 = now_ms();
		for (int k = 0; k < threads; k++) {
			s[k] = (struct slice){ fd, n * k / threads, n * (k + 1) / threads, msg, size, 0 };
			if (k && pthread_create(&th[k], NULL, send_slice, &s[k]))
				die("pthread_create");
		}
		send_slice(&s[0]);
		for (int k = 1; k < threads; k++)
			pthread_join(th[k], NULL);
		d = now_ms() - t0;
		for (int k = 0; k < threads; k++)
			shorts += s[k].short_sends;
		total += d;
		if (d > worst)
			worst = d;
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "floor: the reader did not get every byte\n");
	printf("FLOOR clients=%d size=%zu threads=%d reader=%s rounds=%d mean_ms=%.1f max_ms=%.1f "
	       "us_per_send=%.2f short_sends=%ld\n", n, size, threads, idle ? "idle" : "normal", rounds,
	       total / rounds, worst, total / rounds * 1000.0 / n, shorts);
	return 0;
}
