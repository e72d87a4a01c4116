/*
 * loadclient — WebSocket load client for bench/run (one thread, epoll, no libraries but libpq).
 *
 * Opens many WebSocket connections from one process, parses just enough of every frame to know
 * each message's type and seq, and records, per client and per message, the CLOCK_MONOTONIC time
 * at which the last byte of the message was read. The same process makes the changes (an INSERT
 * through non-blocking libpq for commcelld, an HTTP POST for nginx+nchan), so origin and receive
 * times come from one clock.
 *
 * Modes
 *   connect   open clients in stages (--stages 1,1000,5000,10000); after each stage print
 *             "STAGE ..." and wait for a line on stdin ("next") before the next; EOF ends.
 *   fanout    open --clients N, then run the change plan (--plan NAME:CHANGES:ROWS,...) and print
 *             first/last/spread latency per change and commit-to-client latency of every delivery.
 *
 * Every loop is bounded: --max-seconds (default 900) ends the process whatever it is doing, every
 * change has --change-timeout-ms, every stage has --stage-timeout.
 *
 * Build: cc -O2 -o loadclient loadclient.c $(pkg-config --cflags --libs libpq)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define RECV_BUF (256 * 1024)
#define PREFIX_MAX 96
#define HS_MAX 2048
#define MAX_ATTEMPTS 3
#define HS_TIMEOUT_MS 15000.0
#define HIST_BIN_US 10
#define HIST_BINS (20 * 1000 * 1000 / HIST_BIN_US)   /* 20 s in 10 µs bins */

#define TAG_PG (UINT64_MAX - 1)
#define TAG_PUB (UINT64_MAX - 2)
#define TAG_STDIN (UINT64_MAX - 3)

enum cstate { CS_IDLE, CS_CONNECTING, CS_HANDSHAKE, CS_OPEN, CS_DEAD };

struct client {
	int fd;
	uint8_t state;
	uint8_t attempts;
	bool ready;          /* got its first snapshot */
	bool stalled;        /* stops reading once ready */
	bool unwatched;      /* stalled and taken out of the epoll set */
	bool capture;        /* keeps whole payloads (client 0 only) */
	bool in_payload;
	bool control;        /* current frame is a control frame */
	bool fin;
	uint8_t hdr_have, hdr_need;
	uint8_t hdr[14];
	uint8_t pre_len;
	char pre[PREFIX_MAX];
	uint64_t left;       /* payload bytes left in the current frame */
	uint64_t msg_len;
	char *hs;            /* handshake response, while in CS_HANDSHAKE */
	uint16_t hs_len;
	double hs_start;
	uint32_t snapshots, deltas, others;
	uint64_t bytes;
};

/* ------------------------------------------------------------------------------------------ */
/* options */

static const char *o_mode;
static const char *o_host = "127.0.0.1";
static int o_port;
static const char *o_path = "/ws";
static const char *o_subprotocol = "commcell.v1";
static const char *o_target = "commcell";      /* commcell | nchan */
static int o_clients;
static char *o_stages;
static int o_inflight = 200;
static double o_max_seconds = 900;
static double o_stage_timeout = 180;
static const char *o_conninfo;
static const char *o_metric_prefix = "bench.m";
static char *o_plan;
static int o_gap_ms = 20;
static int o_change_timeout_ms = 10000;
static const char *o_capture;
static const char *o_replay;
static const char *o_pub_path = "/pub";
static int o_pub_port;
static int o_stalled;
static int o_stalled_rcvbuf;
static int o_idle_reader;        /* SCHED_IDLE while measuring: read only on a spare CPU */
static int o_watch_pid;
static const char *o_label = "";
static int o_value_base = 100000;
static double o_hold_max = 600;
static double o_phase_seconds = 0;   /* 0 = no limit */
static char o_headers[1024];          /* extra handshake header lines, each ending in CRLF */

/* ------------------------------------------------------------------------------------------ */
/* state */

static int ep;
static struct client *cl;
static int n_total;             /* clients incl. stalled */
static int next_open;           /* next client index to open */
static int inflight;
static int *retry_q, retry_n;
static int n_open, n_ready, n_failed, n_dropped, n_retries;
static double t_start;
static unsigned char rbuf[RECV_BUF];

/* recording (fanout) */
static int64_t seq0 = -1;        /* snapshot seq; slot = seq - seq0 - 1 */
static int n_slots;
static double *rt;               /* n_total * n_slots receive times, 0 = not received */
static double *kt;               /* same, time the kernel had the bytes (SO_TIMESTAMPNS) */
static double real_minus_mono;   /* CLOCK_REALTIME - CLOCK_MONOTONIC, ms, taken at start */
static uint64_t kt_missing;      /* reads that came without a kernel timestamp */
static int *slot_count;          /* normal (not stalled) clients that got each slot */

/* capture */
static char *cap_buf;
static size_t cap_len, cap_cap;
static char *snap_copy;
static size_t snap_copy_len;

/* changes */
struct change {
	int phase;
	int64_t seq;                 /* seq of the delta that carried it, -1 unknown */
	double t_send, t_origin, t_ack;
	char *payload;
	size_t payload_len;
	char marker[48];
	bool done, timed_out;
};
struct phase {
	char name[32];
	int changes, rows;
	int first_change;
	int run;                     /* changes actually made (a phase may hit its time limit) */
	double cpu_ms;               /* loadclient CPU (user + sys) during the phase */
	double wall_ms;
};
static struct phase *phases;
static int n_phases;
static struct change *chg;
static int n_changes;
static int cur_change = -1;

/* libpq */
static PGconn *pg;
static bool pg_busy;

/* publisher */
static int pub_fd = -1;
static char pub_in[8192];
static size_t pub_in_len;
static int pub_pending;          /* responses outstanding */
static int pub_errors;
static double pub_last_ack;

/* daemon RSS */
static long rss_first = -1, rss_max = -1, rss_last = -1;

/* stdin (connect mode) */
static bool stdin_line, stdin_eof;

/* ------------------------------------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loadclient: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *xcalloc(size_t n, size_t s)
{
	void *p = calloc(n ? n : 1, s ? s : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void check_deadline(void)
{
	if (now_ms() - t_start > o_max_seconds * 1000)
		die("--max-seconds %.0f reached; giving up", o_max_seconds);
}

static long read_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

static void sample_rss(void)
{
	long r;

	if (!o_watch_pid)
		return;
	r = read_rss_kib(o_watch_pid);
	if (r < 0)
		return;
	if (rss_first < 0)
		rss_first = r;
	if (r > rss_max)
		rss_max = r;
	rss_last = r;
}

/* ------------------------------------------------------------------------------------------ */
/* connections */

static void ep_ctl(int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	if (epoll_ctl(ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		die("epoll_ctl: %s", strerror(errno));
}

static void client_close(struct client *c, bool rst)
{
	if (c->fd >= 0) {
		if (rst) {
			/* RST instead of FIN: no TIME_WAIT on the client side, the ports come back */
			struct linger lg = { 1, 0 };
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(c->fd);      /* also leaves the epoll set */
		c->fd = -1;
	}
	free(c->hs);
	c->hs = NULL;
}

static void client_failed(int i, const char *why)
{
	struct client *c = &cl[i];
	bool was_connecting = c->state == CS_CONNECTING || c->state == CS_HANDSHAKE;

	(void)why;
	client_close(c, true);
	if (was_connecting) {
		inflight--;
		if (c->attempts < MAX_ATTEMPTS) {
			c->state = CS_IDLE;
			retry_q[retry_n++] = i;
			n_retries++;
			return;
		}
		n_failed++;
	} else if (c->state == CS_OPEN) {
		n_open--;
		n_dropped++;
		if (c->ready && !c->stalled)
			n_ready--;
	}
	c->state = CS_DEAD;
}

static void client_open(int i)
{
	struct client *c = &cl[i];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o_port) };
	int fd;

	inet_pton(AF_INET, o_host, &sa.sin_addr);
	c->attempts++;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s (raise the open-file limit: ulimit -n)", strerror(errno));
	if (c->stalled && o_stalled_rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o_stalled_rcvbuf, sizeof o_stalled_rcvbuf);
	{
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	}
	c->fd = fd;
	c->state = CS_CONNECTING;
	c->hs_start = now_ms();
	inflight++;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		client_failed(i, strerror(errno));
		return;
	}
	ep_ctl(EPOLL_CTL_ADD, fd, EPOLLOUT, (uint64_t)i);
}

static void pump_connects(int target)
{
	while (inflight < o_inflight && retry_n > 0)
		client_open(retry_q[--retry_n]);
	while (inflight < o_inflight && next_open < target)
		client_open(next_open++);
}

static void send_handshake(int i)
{
	struct client *c = &cl[i];
	char req[1600];
	int err = 0, n;
	socklen_t el = sizeof err;

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		client_failed(i, strerror(err));
		return;
	}
	/* A fixed key is fine: we do not check Sec-WebSocket-Accept, only the 101. */
	n = snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: Y29tbWNlbGwtYmVuY2gtMQ==\r\nSec-WebSocket-Version: 13\r\n"
		     "%s%s%s%s\r\n",
		     o_path, o_host, o_port, *o_subprotocol ? "Sec-WebSocket-Protocol: " : "",
		     o_subprotocol, *o_subprotocol ? "\r\n" : "", o_headers);
	if (send(c->fd, req, n, MSG_NOSIGNAL) != n) {
		client_failed(i, "short handshake write");
		return;
	}
	c->state = CS_HANDSHAKE;
	c->hs = malloc(HS_MAX);
	c->hs_len = 0;
	ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN, (uint64_t)i);
}

/* ------------------------------------------------------------------------------------------ */
/* messages */

static const char *find_field(const char *p, size_t len, const char *key)
{
	const char *q = memmem(p, len, key, strlen(key));
	return q ? q + strlen(key) : NULL;
}

static void cap_append(const unsigned char *p, size_t n)
{
	if (cap_len + n > cap_cap) {
		cap_cap = (cap_len + n) * 2;
		cap_buf = realloc(cap_buf, cap_cap);
		if (!cap_buf)
			die("out of memory");
	}
	memcpy(cap_buf + cap_len, p, n);
	cap_len += n;
}

static void capture_delta(int64_t seq)
{
	/* Which change did this delta carry? Look for the marker values of changes in flight. */
	for (int k = cur_change; k >= 0 && k >= cur_change - 2; k--) {
		struct change *ch = &chg[k];
		if (ch->seq >= 0)
			continue;
		if (memmem(cap_buf, cap_len, ch->marker, strlen(ch->marker))) {
			ch->seq = seq;
			ch->payload = malloc(cap_len);
			memcpy(ch->payload, cap_buf, cap_len);
			ch->payload_len = cap_len;
			break;
		}
	}
}

static void on_message(int i, double t, double k)
{
	struct client *c = &cl[i];
	const char *p = c->pre, *v;
	size_t len = c->pre_len;
	int64_t seq = -1;
	char type[16] = "";

	v = find_field(p, len, "\"type\":\"");
	if (v) {
		size_t k = 0;
		while (v + k < p + len && v[k] != '"' && k < sizeof type - 1) {
			type[k] = v[k];
			k++;
		}
		type[k] = '\0';
	}
	v = find_field(p, len, "\"seq\":");
	if (v && v < p + len)
		seq = strtoll(v, NULL, 10);

	if (!strcmp(type, "snapshot")) {
		c->snapshots++;
		if (!c->ready) {
			c->ready = true;
			if (!c->stalled)
				n_ready++;
			if (seq0 < 0)
				seq0 = seq;
			if (c->capture && !snap_copy) {
				snap_copy = malloc(cap_len);
				memcpy(snap_copy, cap_buf, cap_len);
				snap_copy_len = cap_len;
			}
		}
	} else if (!strcmp(type, "delta")) {
		c->deltas++;
		if (rt && seq0 >= 0 && seq > seq0 && seq - seq0 - 1 < n_slots) {
			int s = (int)(seq - seq0 - 1);
			double *r = &rt[(size_t)i * n_slots + s];
			if (*r == 0) {
				*r = t;
				kt[(size_t)i * n_slots + s] = k;
				if (!c->stalled)
					slot_count[s]++;
			}
		}
		if (c->capture && cur_change >= 0)
			capture_delta(seq);
	} else {
		c->others++;
	}
}

/* Feed received bytes through the frame parser. */
static void feed_bytes(int i, const unsigned char *b, size_t n, double t, double k)
{
	struct client *c = &cl[i];

	c->bytes += n;
	while (n) {
		if (!c->in_payload) {
			c->hdr[c->hdr_have++] = *b++;
			n--;
			if (c->hdr_have == 2) {
				unsigned l7 = c->hdr[1] & 0x7f;
				c->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
					      ((c->hdr[1] & 0x80) ? 4 : 0);
			}
			if (c->hdr_have < 2 || c->hdr_have < c->hdr_need)
				continue;
			/* header complete */
			{
				unsigned l7 = c->hdr[1] & 0x7f, op = c->hdr[0] & 0x0f;
				uint64_t plen = l7;
				if (l7 == 126)
					plen = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
				else if (l7 == 127) {
					plen = 0;
					for (int k = 2; k < 10; k++)
						plen = plen << 8 | c->hdr[k];
				}
				c->fin = c->hdr[0] & 0x80;
				c->control = op >= 8;
				if (!c->control && op != 0) {   /* first frame of a message */
					c->pre_len = 0;
					c->msg_len = 0;
					if (c->capture)
						cap_len = 0;
				}
				c->left = plen;
				c->hdr_have = 0;
				c->in_payload = true;
			}
		} else {
			size_t take = n < c->left ? n : (size_t)c->left;
			if (!c->control) {
				if (c->pre_len < PREFIX_MAX) {
					size_t k = PREFIX_MAX - c->pre_len;
					if (k > take)
						k = take;
					memcpy(c->pre + c->pre_len, b, k);
					c->pre_len += k;
				}
				if (c->capture)
					cap_append(b, take);
				c->msg_len += take;
			}
			c->left -= take;
			b += take;
			n -= take;
		}
		if (c->in_payload && c->left == 0) {
			c->in_payload = false;
			if (!c->control && c->fin)
				on_message(i, t, k);
			else if (c->control)
				c->others++;
		}
	}
}

static void handshake_input(int i)
{
	struct client *c = &cl[i];
	ssize_t n = recv(c->fd, c->hs + c->hs_len, HS_MAX - 1 - c->hs_len, 0);
	char *end;

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_failed(i, "closed during handshake");
		return;
	}
	c->hs_len += n;
	c->hs[c->hs_len] = '\0';
	end = strstr(c->hs, "\r\n\r\n");
	if (!end) {
		if (c->hs_len >= HS_MAX - 1)
			client_failed(i, "handshake response too long");
		return;
	}
	if (strncmp(c->hs, "HTTP/1.1 101", 12)) {
		client_failed(i, "handshake refused");
		return;
	}
	{
		size_t hdr = end + 4 - c->hs, rest = c->hs_len - hdr;
		unsigned char tmp[HS_MAX];
		memcpy(tmp, c->hs + hdr, rest);
		free(c->hs);
		c->hs = NULL;
		c->state = CS_OPEN;
		inflight--;
		n_open++;
		if (rest)
			feed_bytes(i, tmp, rest, now_ms(), 0);
	}
}

static void client_input(int i)
{
	struct client *c = &cl[i];

	for (int rounds = 0; rounds < 16; rounds++) {
		/* The kernel stamps each segment as it arrives (SO_TIMESTAMPNS); for TCP, recvmsg
		 * reports the stamp of the last segment it copied out, i.e. when the kernel held
		 * every byte of this read. That separates the server's fan-out from this process
		 * getting round to reading 10,000 sockets on a shared CPU. */
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { .iov_base = rbuf, .iov_len = sizeof rbuf };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
				     .msg_controllen = sizeof cbuf.buf };
		ssize_t n = recvmsg(c->fd, &mh, 0);
		if (n > 0) {
			double k = 0;
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(cm), sizeof ts);
					k = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6 - real_minus_mono;
				}
			}
			if (k == 0)
				kt_missing++;
			feed_bytes(i, rbuf, (size_t)n, now_ms(), k);
			if (c->fd < 0 || (c->stalled && c->ready))
				return;
			if ((size_t)n < sizeof rbuf)
				return;
		} else if (n == 0) {
			client_failed(i, "closed by server");
			return;
		} else {
			if (errno != EAGAIN && errno != EINTR)
				client_failed(i, strerror(errno));
			return;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* change sources: libpq (commcelld) and HTTP POST (nchan) */

static void pg_input(void)
{
	PGresult *r;

	if (!PQconsumeInput(pg))
		die("partner connection: %s", PQerrorMessage(pg));
	while (pg_busy && !PQisBusy(pg)) {
		r = PQgetResult(pg);
		if (!r) {
			pg_busy = false;
			if (cur_change >= 0 && chg[cur_change].t_ack == 0) {
				chg[cur_change].t_ack = now_ms();
				chg[cur_change].t_origin = o_idle_reader ? chg[cur_change].t_send
									 : chg[cur_change].t_ack;
			}
			break;
		}
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die("INSERT failed: %s", PQresultErrorMessage(r));
		PQclear(r);
	}
}

static void pg_send_change(int k)
{
	struct change *ch = &chg[k];
	int rows = phases[ch->phase].rows;
	size_t cap = 128 + (size_t)rows * 96;
	char *sql = malloc(cap), *p = sql;
	int value_int = o_value_base + k;

	p += sprintf(p, "INSERT INTO commcell.observation (metric, site, value) VALUES ");
	for (int r = 0; r < rows; r++)
		p += sprintf(p, "%s('%s%03d', '', %d.25)", r ? "," : "", o_metric_prefix, r,
			     value_int);
	snprintf(ch->marker, sizeof ch->marker, "\"value\":%d.25", value_int);
	ch->t_send = now_ms();
	if (!PQsendQuery(pg, sql))
		die("INSERT: %s", PQerrorMessage(pg));
	pg_busy = true;
	while (PQflush(pg) == 1) {
		struct pollfd pf = { .fd = PQsocket(pg), .events = POLLOUT };
		poll(&pf, 1, 100);
	}
	free(sql);
}

static void pub_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o_pub_port) };
	int one = 1;

	inet_pton(AF_INET, o_host, &sa.sin_addr);
	pub_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (pub_fd < 0 || connect(pub_fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("publisher connect to %s:%d: %s", o_host, o_pub_port, strerror(errno));
	setsockopt(pub_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(pub_fd, F_SETFL, O_NONBLOCK);
	ep_ctl(EPOLL_CTL_ADD, pub_fd, EPOLLIN, TAG_PUB);
	pub_in_len = 0;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 100);
		} else {
			die("publisher write: %s", strerror(errno));
		}
	}
}

static double pub_send(const char *body, size_t len)
{
	char head[512];
	int h;
	double t;

	if (pub_fd < 0)
		pub_connect();
	h = snprintf(head, sizeof head,
		     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     o_pub_path, o_host, o_pub_port, len);
	t = now_ms();
	/* one writev-like call for small bodies keeps it one segment */
	{
		char *all = malloc(h + len);
		memcpy(all, head, h);
		memcpy(all + h, body, len);
		send_all(pub_fd, all, h + len);
		free(all);
	}
	pub_pending++;
	return t;
}

static void pub_input(void)
{
	ssize_t n = recv(pub_fd, pub_in + pub_in_len, sizeof pub_in - 1 - pub_in_len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(pub_fd);
		pub_fd = -1;
		if (pub_pending) {
			pub_errors++;
			pub_pending = 0;
		}
		return;
	}
	if (n < 0)
		return;
	pub_in_len += n;
	pub_in[pub_in_len] = '\0';
	for (;;) {
		char *end = strstr(pub_in, "\r\n\r\n");
		const char *cl_h;
		size_t hdr, body = 0, total;
		if (!end)
			return;
		hdr = end + 4 - pub_in;
		cl_h = strcasestr(pub_in, "\r\nContent-Length:");
		if (cl_h && cl_h < end)
			body = strtoul(cl_h + 17, NULL, 10);
		total = hdr + body;
		if (pub_in_len < total)
			return;
		if (strncmp(pub_in, "HTTP/1.1 20", 11))
			pub_errors++;
		pub_pending--;
		pub_last_ack = now_ms();
		if (cur_change >= 0 && chg[cur_change].t_ack == 0)
			chg[cur_change].t_ack = pub_last_ack;
		memmove(pub_in, pub_in + total, pub_in_len - total);
		pub_in_len -= total;
		pub_in[pub_in_len] = '\0';
	}
}

/* ------------------------------------------------------------------------------------------ */
/* the loop */

static void stdin_input(void)
{
	char b[256];
	ssize_t n = read(0, b, sizeof b);

	if (n <= 0) {
		stdin_eof = true;
		epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
		return;
	}
	if (memchr(b, '\n', n))
		stdin_line = true;
	if (memmem(b, n, "quit", 4))
		stdin_eof = true;
}

static void sweep_stuck(void)
{
	double t = now_ms();

	for (int i = 0; i < next_open; i++) {
		struct client *c = &cl[i];
		if ((c->state == CS_CONNECTING || c->state == CS_HANDSHAKE) &&
		    t - c->hs_start > HS_TIMEOUT_MS)
			client_failed(i, "handshake timeout");
	}
}

/* One round of epoll: specials first (so a commit is stamped before the deltas it causes). */
static void loop_once(int timeout_ms, int target)
{
	static struct epoll_event evs[2048];
	static double last_sweep;
	int n;

	pump_connects(target);
	n = epoll_wait(ep, evs, 2048, timeout_ms);
	if (n < 0 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	for (int k = 0; k < n; k++) {
		uint64_t tag = evs[k].data.u64;
		if (tag == TAG_PG)
			pg_input();
		else if (tag == TAG_PUB)
			pub_input();
		else if (tag == TAG_STDIN)
			stdin_input();
	}
	for (int k = 0; k < n; k++) {
		uint64_t tag = evs[k].data.u64;
		struct client *c;
		if (tag >= TAG_STDIN)
			continue;
		c = &cl[tag];
		if (c->fd < 0)
			continue;
		switch (c->state) {
		case CS_CONNECTING:
			send_handshake((int)tag);
			break;
		case CS_HANDSHAKE:
			handshake_input((int)tag);
			break;
		case CS_OPEN:
			client_input((int)tag);
			break;
		default:
			break;
		}
		if (c->stalled && c->ready && c->fd >= 0 && !c->unwatched) {
			/* from now on this client never reads again */
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			c->unwatched = true;
		}
	}
	if (now_ms() - last_sweep > 500) {
		last_sweep = now_ms();
		sweep_stuck();
		check_deadline();
	}
}

static int count_settled(int target)
{
	int s = 0;
	for (int i = 0; i < target && i < next_open; i++)
		if (cl[i].state == CS_DEAD || (cl[i].state == CS_OPEN && cl[i].ready))
			s++;
	return s;
}

/* Open clients [0, target) and wait until each is ready (snapshot) or failed. */
static double open_clients(int target, bool need_snapshot)
{
	double t0 = now_ms(), deadline = t0 + o_stage_timeout * 1000;

	for (;;) {
		loop_once(20, target);
		if (next_open >= target && retry_n == 0 && inflight == 0) {
			if (!need_snapshot)
				break;
			if (count_settled(target) >= target)
				break;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "loadclient: stage timeout: %d open, %d ready, %d failed\n",
				n_open, n_ready, n_failed);
			break;
		}
	}
	return now_ms() - t0;
}

/* ------------------------------------------------------------------------------------------ */
/* connect mode */

static int mode_connect(void)
{
	int targets[32], nt = 0, max = 0;
	char *s = strtok(o_stages, ",");

	while (s && nt < 32) {
		targets[nt] = atoi(s);
		if (targets[nt] > max)
			max = targets[nt];
		nt++;
		s = strtok(NULL, ",");
	}
	n_total = max;
	cl = xcalloc(n_total, sizeof *cl);
	retry_q = xcalloc(n_total, sizeof *retry_q);
	for (int i = 0; i < n_total; i++)
		cl[i].fd = -1;
	fcntl(0, F_SETFL, O_NONBLOCK);
	ep_ctl(EPOLL_CTL_ADD, 0, EPOLLIN, TAG_STDIN);
	for (int k = 0; k < nt; k++) {
		double ms = open_clients(targets[k], true);
		double hold_deadline;
		printf("STAGE clients=%d ready=%d failed=%d retries=%d dropped=%d ms=%.0f\n",
		       targets[k], n_ready, n_failed, n_retries, n_dropped, ms);
		fflush(stdout);
		stdin_line = false;
		hold_deadline = now_ms() + o_hold_max * 1000;
		while (!stdin_line && !stdin_eof && now_ms() < hold_deadline)
			loop_once(100, targets[k]);
		if (stdin_eof)
			break;
	}
	printf("DONE ready=%d dropped=%d\n", n_ready, n_dropped);
	fflush(stdout);
	for (int i = 0; i < n_total; i++)
		client_close(&cl[i], true);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* fanout mode */

static void parse_plan(void)
{
	char *save, *item;
	int total = 0;

	phases = xcalloc(16, sizeof *phases);
	for (item = strtok_r(o_plan, ",", &save); item && n_phases < 16;
	     item = strtok_r(NULL, ",", &save)) {
		struct phase *ph = &phases[n_phases];
		char *a = strchr(item, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!a || !b)
			die("--plan items are NAME:CHANGES:ROWS, not '%s'", item);
		*a = *b = '\0';
		snprintf(ph->name, sizeof ph->name, "%s", item);
		ph->changes = atoi(a + 1);
		ph->rows = atoi(b + 1);
		if (ph->changes < 1 || ph->rows < 1 || ph->rows > 999)
			die("bad plan item %s", item);
		ph->first_change = total;
		total += ph->changes;
		n_phases++;
	}
	n_changes = total;
	chg = xcalloc(n_changes, sizeof *chg);
	for (int p = 0; p < n_phases; p++)
		for (int k = 0; k < phases[p].changes; k++) {
			chg[phases[p].first_change + k].phase = p;
			chg[phases[p].first_change + k].seq = -1;
		}
}

/* Replay file: "S <len>\n<bytes>\n" then "C <phase> <index> <seq> <len>\n<bytes>\n" per change. */
static void load_replay(void)
{
	FILE *f = fopen(o_replay, "rb");
	char line[256];
	int got = 0;

	if (!f)
		die("cannot open %s", o_replay);
	while (fgets(line, sizeof line, f)) {
		size_t len;
		char *buf;
		if (line[0] == 'S') {
			len = strtoul(line + 2, NULL, 10);
			snap_copy = malloc(len + 1);
			if (fread(snap_copy, 1, len, f) != len)
				die("short replay file");
			snap_copy_len = len;
			fgetc(f);
		} else if (line[0] == 'C') {
			int ph, idx;
			long long seq;
			if (sscanf(line + 2, "%d %d %lld %zu", &ph, &idx, &seq, &len) != 4)
				die("bad replay line %s", line);
			buf = malloc(len + 1);
			if (fread(buf, 1, len, f) != len)
				die("short replay file");
			fgetc(f);
			if (ph < n_phases && idx < phases[ph].changes) {
				struct change *ch = &chg[phases[ph].first_change + idx];
				ch->payload = buf;
				ch->payload_len = len;
				ch->seq = seq;
				got++;
			} else {
				free(buf);
			}
		}
	}
	fclose(f);
	if (!snap_copy)
		die("%s has no snapshot", o_replay);
	if (!got)
		die("%s has no change payloads", o_replay);
}

static void write_capture(void)
{
	FILE *f = fopen(o_capture, "wb");

	if (!f)
		die("cannot write %s", o_capture);
	if (snap_copy) {
		fprintf(f, "S %zu\n", snap_copy_len);
		fwrite(snap_copy, 1, snap_copy_len, f);
		fputc('\n', f);
	}
	for (int p = 0; p < n_phases; p++)
		for (int k = 0; k < phases[p].changes; k++) {
			struct change *ch = &chg[phases[p].first_change + k];
			if (!ch->payload)
				continue;
			fprintf(f, "C %d %d %lld %zu\n", p, k, (long long)ch->seq, ch->payload_len);
			fwrite(ch->payload, 1, ch->payload_len, f);
			fputc('\n', f);
		}
	fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
	int k;
	if (n <= 0)
		return NAN;
	k = (int)ceil(p / 100.0 * n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return sorted[k];
}

static double hist_pct(const uint32_t *h, uint64_t total, double p)
{
	uint64_t want = (uint64_t)ceil(p / 100.0 * total), acc = 0;
	if (!total)
		return NAN;
	if (want < 1)
		want = 1;
	for (int b = 0; b < HIST_BINS; b++) {
		acc += h[b];
		if (acc >= want)
			return (b + 0.5) * HIST_BIN_US / 1000.0;
	}
	return (double)HIST_BINS * HIST_BIN_US / 1000.0;
}

static void report_phase(int p)
{
	struct phase *ph = &phases[p];
	double *first = xcalloc(ph->changes, sizeof(double));
	double *last = xcalloc(ph->changes, sizeof(double));
	double *spread = xcalloc(ph->changes, sizeof(double));
	double *ack = xcalloc(ph->changes, sizeof(double));
	double *kfirst = xcalloc(ph->changes, sizeof(double));
	double *klast = xcalloc(ph->changes, sizeof(double));
	double *kspread = xcalloc(ph->changes, sizeof(double));
	uint32_t *hist = xcalloc(HIST_BINS, sizeof(uint32_t));
	uint64_t deliveries = 0, missing = 0, bytes = 0;
	int nch = 0, timeouts = 0;

	for (int k = 0; k < ph->changes; k++) {
		struct change *ch = &chg[ph->first_change + k];
		double f = INFINITY, l = -INFINITY, kf = INFINITY, kl = -INFINITY;
		int s;
		if (ch->timed_out)
			timeouts++;
		if (ch->seq < 0 || ch->t_origin == 0)
			continue;
		s = (int)(ch->seq - seq0 - 1);
		if (s < 0 || s >= n_slots)
			continue;
		for (int i = 0; i < n_total; i++) {
			double r;
			if (cl[i].stalled || !cl[i].ready)
				continue;
			r = rt[(size_t)i * n_slots + s];
			if (r == 0) {
				missing++;
				continue;
			}
			{
				double k = kt[(size_t)i * n_slots + s];
				if (k != 0) {
					k -= ch->t_origin;
					if (k < kf)
						kf = k;
					if (k > kl)
						kl = k;
				}
			}
			r -= ch->t_origin;
			if (r < f)
				f = r;
			if (r > l)
				l = r;
			{
				long b = (long)(r * 1000.0 / HIST_BIN_US);
				if (b < 0)
					b = 0;
				if (b >= HIST_BINS)
					b = HIST_BINS - 1;
				hist[b]++;
			}
			deliveries++;
		}
		if (isinf(f))
			continue;
		if (isinf(kf)) {
			kf = f;
			kl = l;
		}
		printf("CHG phase=%s i=%d seq=%lld first=%.2f last=%.2f kfirst=%.2f klast=%.2f "
		       "ack=%.2f\n", ph->name, k, (long long)ch->seq, f, l, kf, kl,
		       ch->t_ack ? ch->t_ack - ch->t_send : 0.0);
		kfirst[nch] = kf;
		klast[nch] = kl;
		kspread[nch] = kl - kf;
		first[nch] = f;
		last[nch] = l;
		spread[nch] = l - f;
		ack[nch] = ch->t_ack ? ch->t_ack - ch->t_send : 0;
		bytes += ch->payload_len;
		nch++;
	}
	qsort(first, nch, sizeof(double), cmp_double);
	qsort(last, nch, sizeof(double), cmp_double);
	qsort(spread, nch, sizeof(double), cmp_double);
	qsort(ack, nch, sizeof(double), cmp_double);
	qsort(kfirst, nch, sizeof(double), cmp_double);
	qsort(klast, nch, sizeof(double), cmp_double);
	qsort(kspread, nch, sizeof(double), cmp_double);
	printf("RESULT target=%s label=%s clients=%d stalled=%d phase=%s rows=%d changes=%d run=%d "
	       "measured=%d timeouts=%d bytes=%.0f lc_cpu_ms_per_change=%.1f phase_s=%.1f "
	       "first_p50=%.2f first_p99=%.2f first_max=%.2f "
	       "last_p50=%.2f last_p99=%.2f last_max=%.2f "
	       "spread_p50=%.2f spread_p99=%.2f spread_max=%.2f "
	       "all_p50=%.2f all_p99=%.2f all_max=%.2f deliveries=%llu missing=%llu "
	       "origin_ack_p50=%.2f "
	       "kfirst_p50=%.2f kfirst_p99=%.2f klast_p50=%.2f klast_p99=%.2f klast_max=%.2f "
	       "kspread_p50=%.2f kspread_p99=%.2f kspread_max=%.2f kt_missing=%llu\n",
	       o_target, *o_label ? o_label : "-", o_clients, o_stalled, ph->name, ph->rows,
	       ph->changes, ph->run, nch, timeouts, nch ? (double)bytes / nch : 0.0,
	       ph->run ? ph->cpu_ms / ph->run : 0.0, ph->wall_ms / 1000.0,
	       pct(first, nch, 50), pct(first, nch, 99), pct(first, nch, 100),
	       pct(last, nch, 50), pct(last, nch, 99), pct(last, nch, 100),
	       pct(spread, nch, 50), pct(spread, nch, 99), pct(spread, nch, 100),
	       hist_pct(hist, deliveries, 50), hist_pct(hist, deliveries, 99),
	       hist_pct(hist, deliveries, 100), (unsigned long long)deliveries,
	       (unsigned long long)missing, pct(ack, nch, 50),
	       pct(kfirst, nch, 50), pct(kfirst, nch, 99), pct(klast, nch, 50), pct(klast, nch, 99),
	       pct(klast, nch, 100), pct(kspread, nch, 50), pct(kspread, nch, 99),
	       pct(kspread, nch, 100), (unsigned long long)kt_missing);
	free(kfirst);
	free(klast);
	free(kspread);
	free(first);
	free(last);
	free(spread);
	free(ack);
	free(hist);
}

static double cpu_now_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static bool change_delivered(struct change *ch)
{
	int s;
	if (ch->seq < 0 || ch->t_origin == 0)
		return false;
	s = (int)(ch->seq - seq0 - 1);
	if (s < 0 || s >= n_slots)
		return true;    /* cannot be recorded: do not wait for it */
	return slot_count[s] >= n_ready;
}

static int mode_fanout(void)
{
	bool nchan = !strcmp(o_target, "nchan");
	double ms;

	if (!o_plan)
		die("fanout needs --plan");
	parse_plan();
	if (nchan) {
		if (!o_replay || !o_pub_port)
			die("--target nchan needs --replay FILE and --pub-port");
		load_replay();
	} else {
		if (!o_conninfo)
			die("--target commcell needs --conninfo");
		pg = PQconnectdb(o_conninfo);
		if (PQstatus(pg) != CONNECTION_OK)
			die("partner connection: %s", PQerrorMessage(pg));
		PQsetnonblocking(pg, 1);
		ep_ctl(EPOLL_CTL_ADD, PQsocket(pg), EPOLLIN, TAG_PG);
	}
	n_total = o_clients + o_stalled;
	cl = xcalloc(n_total, sizeof *cl);
	retry_q = xcalloc(n_total, sizeof *retry_q);
	for (int i = 0; i < n_total; i++) {
		cl[i].fd = -1;
		cl[i].stalled = i >= o_clients;
	}
	cl[0].capture = !nchan;
	n_slots = n_changes + 256;
	rt = xcalloc((size_t)n_total * n_slots, sizeof(double));
	kt = xcalloc((size_t)n_total * n_slots, sizeof(double));
	slot_count = xcalloc(n_slots, sizeof(int));

	if (nchan) {
		/* nchan sends nothing on connect: open everything, then publish the snapshot bytes
		 * until every subscriber has it (so each is known to be subscribed). */
		double deadline;
		ms = open_clients(n_total, false);
		deadline = now_ms() + o_stage_timeout * 1000;
		while (count_settled(n_total) < n_total && now_ms() < deadline) {
			double until = now_ms() + 1000;
			pub_send(snap_copy, snap_copy_len);
			while (count_settled(n_total) < n_total && now_ms() < until)
				loop_once(20, n_total);
		}
		ms = now_ms() - t_start;
		{
			/* the replayed changes carry the commcell seqs; align slots to them */
			int64_t snap_seq = -1;
			const char *v = find_field(snap_copy, snap_copy_len, "\"seq\":");
			if (v)
				snap_seq = strtoll(v, NULL, 10);
			seq0 = snap_seq;
		}
	} else {
		ms = open_clients(n_total, true);
	}
	printf("OPEN target=%s clients=%d stalled=%d ready=%d failed=%d retries=%d ms=%.0f\n",
	       o_target, o_clients, o_stalled, n_ready, n_failed, n_retries, ms);
	fflush(stdout);
	if (n_ready < o_clients)
		fprintf(stderr, "loadclient: only %d of %d clients ready; measuring those\n", n_ready,
			o_clients);
	/* let stray traffic settle (e.g. handshakes still being written) */
	{
		double until = now_ms() + 500;
		while (now_ms() < until)
			loop_once(20, n_total);
	}
	sample_rss();
	if (o_idle_reader) {
		/* Clients on other machines would not take the server's CPUs while it sends. Here they
		 * share two cores, so this process steps aside until a core is idle and the kernel's
		 * arrival stamps (SO_TIMESTAMPNS) say when each copy got there. */
		struct sched_param sp = { 0 };
		if (sched_setscheduler(0, SCHED_IDLE, &sp))
			die("SCHED_IDLE: %s", strerror(errno));
	}

	for (int k = 0; k < n_changes; k++) {
		struct change *ch = &chg[k];
		struct phase *ph = &phases[ch->phase];
		double deadline;
		if (k == ph->first_change) {
			ph->cpu_ms = cpu_now_ms();
			ph->wall_ms = now_ms();
		}
		if (!ch->payload && nchan)
			goto next;      /* not captured (the commcelld phase hit its time limit) */
		if (o_phase_seconds > 0 && now_ms() - ph->wall_ms > o_phase_seconds * 1000)
			goto next;      /* this phase has used its time: skip the rest */
		ph->run++;
		cur_change = k;
		if (nchan) {
			ch->t_send = pub_send(ch->payload, ch->payload_len);
			ch->t_origin = ch->t_send;
		} else {
			pg_send_change(k);
		}
		deadline = now_ms() + o_change_timeout_ms;
		while (!change_delivered(ch) && now_ms() < deadline)
			loop_once(5, n_total);
		if (!change_delivered(ch))
			ch->timed_out = true;
		ch->done = true;
		/* wait for the commit/publish acknowledgement too, then a short gap */
		deadline = now_ms() + o_change_timeout_ms;
		while ((pg_busy || pub_pending) && now_ms() < deadline)
			loop_once(5, n_total);
		sample_rss();
		{
			double until = now_ms() + o_gap_ms;
			while (now_ms() < until)
				loop_once(o_gap_ms > 5 ? 5 : o_gap_ms, n_total);
		}
	next:
		if (k == ph->first_change + ph->changes - 1) {
			ph->cpu_ms = cpu_now_ms() - ph->cpu_ms;
			ph->wall_ms = now_ms() - ph->wall_ms;
		}
	}
	cur_change = -1;
	for (int p = 0; p < n_phases; p++)
		report_phase(p);
	if (o_watch_pid)
		printf("RSS pid=%d start_kib=%ld max_kib=%ld end_kib=%ld\n", o_watch_pid, rss_first,
		       rss_max, rss_last);
	if (o_stalled) {
		/* Let the stalled clients read again: what do they get — a backlog, or the latest
		 * state? Count what arrives in 3 s. */
		uint32_t d0 = 0, s0 = 0, d1 = 0, s1 = 0;
		uint64_t b0 = 0, b1 = 0;
		int alive = 0;
		double until;
		for (int i = o_clients; i < n_total; i++) {
			d0 += cl[i].deltas;
			s0 += cl[i].snapshots;
			b0 += cl[i].bytes;
			if (cl[i].fd >= 0 && cl[i].state == CS_OPEN) {
				cl[i].stalled = false;   /* reads again */
				if (cl[i].unwatched)
					ep_ctl(EPOLL_CTL_ADD, cl[i].fd, EPOLLIN, (uint64_t)i);
				cl[i].unwatched = false;
			}
		}
		until = now_ms() + 3000;
		while (now_ms() < until)
			loop_once(20, n_total);
		for (int i = o_clients; i < n_total; i++) {
			d1 += cl[i].deltas;
			s1 += cl[i].snapshots;
			b1 += cl[i].bytes;
			alive += cl[i].fd >= 0 && cl[i].state == CS_OPEN;
		}
		int made = 0;
		for (int p = 0; p < n_phases; p++)
			made += phases[p].run;
		printf("STALLED clients=%d still_connected=%d after_resume_deltas=%u after_resume_snapshots=%u "
		       "after_resume_bytes=%llu changes_missed_while_stalled=%d\n",
		       o_stalled, alive, d1 - d0, s1 - s0, (unsigned long long)(b1 - b0), made);
	}
	printf("CLIENTS ready=%d dropped=%d failed=%d publisher_errors=%d\n", n_ready, n_dropped,
	       n_failed, pub_errors);
	if (o_capture)
		write_capture();
	fflush(stdout);
	for (int i = 0; i < n_total; i++)
		client_close(&cl[i], true);
	if (pg)
		PQfinish(pg);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */

static void usage(void)
{
	fputs("usage: loadclient connect|fanout --port P [options]   (see bench/README.md)\n"
	      "  --host H --port P --path /ws --subprotocol commcell.v1 ('' for none)\n"
	      "  --inflight N          concurrent handshakes (200)\n"
	      "  --header 'Name: value'  extra handshake header (e.g. a device token), repeatable\n"
	      "  --max-seconds S       hard limit for the whole run (900)\n"
	      "  --stage-timeout S     limit for opening one stage of clients (180)\n"
	      "connect: --stages 1,1000,5000,10000 [--hold-max S]\n"
	      "fanout:  --clients N --plan NAME:CHANGES:ROWS[,...] [--watch-pid PID]\n"
	      "         [--stalled K [--stalled-rcvbuf BYTES]]  K more clients that stop reading\n"
	      "         --target commcell --conninfo STR [--metric-prefix bench.m] [--capture FILE]\n"
	      "         --target nchan --replay FILE --pub-port P --pub-path /pub/x\n"
	      "         --gap-ms 20 --change-timeout-ms 10000 --value-base 100000 --label L\n"
	      "         --phase-seconds S   stop making changes in a phase after S seconds\n"
	      "         --idle-reader 1     read only when a CPU is otherwise idle (SCHED_IDLE), as\n"
	      "                             clients on other machines would; times are then the\n"
	      "                             kernel's arrival stamps, from the INSERT being sent\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc < 2)
		usage();
	o_mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
		if (OPT("--host"))
			o_host = v;
		else if (OPT("--port"))
			o_port = atoi(v);
		else if (OPT("--path"))
			o_path = v;
		else if (OPT("--subprotocol"))
			o_subprotocol = v;
		else if (OPT("--target"))
			o_target = v;
		else if (OPT("--clients"))
			o_clients = atoi(v);
		else if (OPT("--stages"))
			o_stages = strdup(v);
		else if (OPT("--inflight"))
			o_inflight = atoi(v);
		else if (OPT("--max-seconds"))
			o_max_seconds = atof(v);
		else if (OPT("--stage-timeout"))
			o_stage_timeout = atof(v);
		else if (OPT("--header")) {
			size_t used = strlen(o_headers);
			if (used + strlen(v) + 3 > sizeof o_headers)
				die("too many --header bytes");
			snprintf(o_headers + used, sizeof o_headers - used, "%s\r\n", v);
		} else if (OPT("--phase-seconds"))
			o_phase_seconds = atof(v);
		else if (OPT("--hold-max"))
			o_hold_max = atof(v);
		else if (OPT("--conninfo"))
			o_conninfo = v;
		else if (OPT("--metric-prefix"))
			o_metric_prefix = v;
		else if (OPT("--plan"))
			o_plan = strdup(v);
		else if (OPT("--gap-ms"))
			o_gap_ms = atoi(v);
		else if (OPT("--change-timeout-ms"))
			o_change_timeout_ms = atoi(v);
		else if (OPT("--capture"))
			o_capture = v;
		else if (OPT("--replay"))
			o_replay = v;
		else if (OPT("--pub-path"))
			o_pub_path = v;
		else if (OPT("--pub-port"))
			o_pub_port = atoi(v);
		else if (OPT("--stalled"))
			o_stalled = atoi(v);
		else if (OPT("--idle-reader"))
			o_idle_reader = atoi(v);
		else if (OPT("--stalled-rcvbuf"))
			o_stalled_rcvbuf = atoi(v);
		else if (OPT("--watch-pid"))
			o_watch_pid = atoi(v);
		else if (OPT("--label"))
			o_label = v;
		else if (OPT("--value-base"))
			o_value_base = atoi(v);
		else
			usage();
#undef OPT
	}
	if (o_port <= 0 || o_port > 65535)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = now_ms();
	{
		struct timespec a, b, c2;
		clock_gettime(CLOCK_MONOTONIC, &a);
		clock_gettime(CLOCK_REALTIME, &b);
		clock_gettime(CLOCK_MONOTONIC, &c2);
		real_minus_mono = (b.tv_sec - (a.tv_sec + c2.tv_sec) / 2.0) * 1e3 +
				  (b.tv_nsec - (a.tv_nsec + c2.tv_nsec) / 2.0) / 1e6;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	if (!strcmp(o_mode, "connect")) {
		if (!o_stages)
			usage();
		return mode_connect();
	}
	if (!strcmp(o_mode, "fanout")) {
		if (o_clients < 1)
			usage();
		if ((rlim_t)(o_clients + o_stalled + 64) > rl.rlim_cur)
			die("open-file limit %llu is too low for %d clients: raise it (ulimit -n)",
			    (unsigned long long)rl.rlim_cur, o_clients + o_stalled);
		return mode_fanout();
	}
	usage();
	return 2;
}
