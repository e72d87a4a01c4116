/* The sender against real local peers: an HTTP receiver and an SMTP server run in threads of
 * this process on 127.0.0.1, commands run as child processes. Each test drives its own lws
 * loop until the callbacks arrive, with a 10 ms timer whose largest gap shows whether anything
 * blocked the loop. */
#include "check_main.h"
#include "httpd.h"
#include "sender.h"
#include "sender_int.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is readable (1), stop is readable (0) or ms pass (0); ms < 0: no limit. */
static int wait_readable(int fd, int stop, int ms)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = stop, .events = POLLIN } };
	int64_t end = now_ms() + ms;

	for (;;) {
		int left = ms < 0 ? -1 : (int)(end - now_ms());
		int n;

		if (ms >= 0 && left < 0)
			left = 0;
		n = poll(p, 2, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (p[1].revents & POLLIN))
			return 0;
		return 1;
	}
}

static int listen_local(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port on 127.0.0.1 that nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* ---- the loop ----------------------------------------------------------------------------- */

static struct {
	struct lws_context *ctx;
	struct cc_loop loop;
	struct cc_sender *s;
	lws_sorted_usec_list_t tick;
	int64_t last_tick, max_gap;
	int ticks;
} H;

static const struct lws_protocols *const protocols[] = { &cc_sender_protocol, NULL };

static void tick_fired(lws_sorted_usec_list_t *sul)
{
	int64_t t = now_ms();

	if (H.last_tick && t - H.last_tick > H.max_gap)
		H.max_gap = t - H.last_tick;
	H.last_tick = t;
	H.ticks++;
	lws_sul_schedule(H.ctx, 0, sul, tick_fired, 10 * LWS_US_PER_MS);
}

static void reset_ticks(void)
{
	H.last_tick = 0;
	H.max_gap = 0;
	H.ticks = 0;
}

static void setup(void)
{
	struct lws_context_creation_info info;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.pprotocols = (const struct lws_protocols **)protocols;
	info.vhost_name = "sender-test";
	H.ctx = lws_create_context(&info);
	ck_assert_ptr_nonnull(H.ctx);
	H.loop.ctx = H.ctx;
	H.loop.vh = lws_get_vhost_by_name(H.ctx, "sender-test");
	ck_assert_ptr_nonnull(H.loop.vh);
	H.s = cc_sender_create(&H.loop);
	ck_assert_ptr_nonnull(H.s);
	reset_ticks();
	lws_sul_schedule(H.ctx, 0, &H.tick, tick_fired, 10 * LWS_US_PER_MS);
}

static void teardown(void)
{
	cc_sender_destroy(H.s);
	H.s = NULL;
	lws_sul_cancel(&H.tick);
	lws_context_destroy(H.ctx);
	H.ctx = NULL;
}

static void run_for(int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end)
		lws_service(H.ctx, 0);
}

/* Serve the loop until nothing is in flight; returns how long that took. */
static int64_t run_until_done(int limit_ms)
{
	int64_t start = now_ms();

	while (H.s && cc_sender_in_flight(H.s) && now_ms() - start < limit_ms)
		lws_service(H.ctx, 0);
	ck_assert_msg(!H.s || cc_sender_in_flight(H.s) == 0, "still in flight after %d ms",
		      limit_ms);
	return now_ms() - start;
}

struct result {
	int calls;
	bool ok;
	char detail[8192];
	int64_t at;
};

static void on_done(void *arg, bool ok, const char *detail)
{
	struct result *r = arg;

	r->calls++;
	r->ok = ok;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
	r->at = now_ms();
	if (getenv("SENDER_TEST_SHOW"))         /* see what people would read */
		fprintf(stderr, "done: ok=%d detail=%s\n", ok, detail);
}

static void assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* ---- HTTP receiver ------------------------------------------------------------------------ */

struct http_req {
	char method[16];
	char path[128];
	char headers[8192];
	char *body;
	size_t body_len;
};

static struct http_server {
	int lfd, port, stop[2];
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_t conns[128];
	int nconns;
	struct http_req reqs[128];
	int nreqs;
} HS;

static void http_answer(int fd, int status, const char *reason, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, reason, len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static void *http_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	size_t cap = 1 << 16, len = 0, need = 0, hl = 0;
	char *buf = malloc(cap + 1);
	struct http_req rq;

	memset(&rq, 0, sizeof rq);
	while (!hl || len < need) {
		ssize_t n;
		if (!wait_readable(fd, HS.stop[0], 10000))
			goto out;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n <= 0)
			goto out;
		len += (size_t)n;
		buf[len] = '\0';
		if (!hl) {
			char *e = strstr(buf, "\r\n\r\n");
			if (e) {
				const char *cl = strcasestr(buf, "\r\nContent-Length:");
				hl = (size_t)(e - buf) + 4;
				need = hl + (cl && cl < e ? strtoul(cl + 17, NULL, 10) : 0);
			}
		}
	}
	sscanf(buf, "%15s %127s", rq.method, rq.path);
	/* keep the CRLF that ends the last header line, so each "\r\nName:" is findable */
	snprintf(rq.headers, sizeof rq.headers, "%.*s", (int)(hl - 2), buf);
	rq.body_len = need - hl;
	rq.body = malloc(rq.body_len + 1);
	memcpy(rq.body, buf + hl, rq.body_len);
	rq.body[rq.body_len] = '\0';
	pthread_mutex_lock(&HS.mu);
	if (HS.nreqs < 128)
		HS.reqs[HS.nreqs++] = rq;
	else
		free(rq.body);
	pthread_mutex_unlock(&HS.mu);

	if (!strcmp(rq.path, "/ok")) {
		http_answer(fd, 200, "OK", "thanks\n", 7);
	} else if (!strcmp(rq.path, "/created")) {
		http_answer(fd, 201, "Created", "", 0);
	} else if (!strcmp(rq.path, "/fail")) {
		char body[400];
		memset(body, 'z', sizeof body);
		memcpy(body, "database is down\nplease retry later\n", 36);
		http_answer(fd, 500, "Internal Server Error", body, sizeof body);
	} else if (!strcmp(rq.path, "/redirect")) {
		http_answer(fd, 302, "Found", "", 0);
	} else if (!strcmp(rq.path, "/slow")) {
		wait_readable(HS.stop[0], HS.stop[0], 2000);
		http_answer(fd, 200, "OK", "slow but fine", 13);
	} else if (!strcmp(rq.path, "/big")) {
		size_t n = 1 << 20;
		char *big = malloc(n);
		memset(big, 'x', n);
		http_answer(fd, 200, "OK", big, n);
		free(big);
	} else if (!strcmp(rq.path, "/hang")) {
		char c;
		/* never answer; wait for the client to give up */
		while (wait_readable(fd, HS.stop[0], -1) && recv(fd, &c, 1, 0) > 0)
			;
	} else {
		http_answer(fd, 404, "Not Found", "", 0);
	}
out:
	free(buf);
	close(fd);
	return NULL;
}

static void *http_accept(void *arg)
{
	(void)arg;
	while (wait_readable(HS.lfd, HS.stop[0], -1)) {
		int fd = accept4(HS.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&HS.mu);
		if (HS.nconns < 128 &&
		    !pthread_create(&HS.conns[HS.nconns], NULL, http_conn, (void *)(intptr_t)fd))
			HS.nconns++;
		else
			close(fd);
		pthread_mutex_unlock(&HS.mu);
	}
	return NULL;
}

static void http_start(void)
{
	memset(&HS, 0, sizeof HS);
	pthread_mutex_init(&HS.mu, NULL);
	ck_assert_int_eq(pipe2(HS.stop, O_CLOEXEC), 0);
	HS.lfd = listen_local(&HS.port);
	ck_assert_int_eq(pthread_create(&HS.acceptor, NULL, http_accept, NULL), 0);
}

static void http_stop(void)
{
	ck_assert_int_eq(write(HS.stop[1], "x", 1), 1);
	pthread_join(HS.acceptor, NULL);
	for (int i = 0; i < HS.nconns; i++)
		pthread_join(HS.conns[i], NULL);
	for (int i = 0; i < HS.nreqs; i++)
		free(HS.reqs[i].body);
	close(HS.lfd);
	close(HS.stop[0]);
	close(HS.stop[1]);
	pthread_mutex_destroy(&HS.mu);
}

static char *url(const char *path)
{
	static char buf[128];
	snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", HS.port, path);
	return buf;
}

/* The value of header name in r, or NULL. */
static const char *header(const struct http_req *r, const char *name, char *out, size_t len)
{
	char pat[128];
	const char *p, *e;

	snprintf(pat, sizeof pat, "\r\n%s:", name);
	p = strcasestr(r->headers, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	snprintf(out, len, "%.*s", (int)(e - p), p);
	return out;
}

static void http_setup(void)
{
	setup();
	http_start();
}

static void http_teardown(void)
{
	teardown();     /* first: the sender's connections end, so no receiver waits on them */
	http_stop();
}

/* ---- SMTP server -------------------------------------------------------------------------- */

struct mail {
	char from[256];
	char rcpt[256];
	char auth[256];
	char *data;
};

static struct smtp_server {
	int lfd, port, stop[2];
	pthread_t thread;
	bool reject_rcpt;
	struct mail mails[8];
	int nmails;
	char auth[256];
} SS;

struct lines {
	int fd;
	char buf[8192];
	size_t len;
};

/* One line without its CRLF; -1 when the client went away. */
static int read_line(struct lines *l, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(l->buf, '\n', l->len);
		ssize_t n;
		if (nl) {
			size_t k = (size_t)(nl - l->buf) + 1;
			size_t m = k >= 2 && nl[-1] == '\r' ? k - 2 : k - 1;
			snprintf(out, cap, "%.*s", (int)m, l->buf);
			memmove(l->buf, l->buf + k, l->len - k);
			l->len -= k;
			return (int)m;
		}
		if (l->len == sizeof l->buf)
			return -1;
		if (!wait_readable(l->fd, SS.stop[0], 10000))
			return -1;
		n = recv(l->fd, l->buf + l->len, sizeof l->buf - l->len, 0);
		if (n <= 0)
			return -1;
		l->len += (size_t)n;
	}
}

static void say(int fd, const char *s) { send_all(fd, s, strlen(s)); }

static void smtp_auth_plain(const char *b64)
{
	unsigned char raw[256];
	size_t n = 0;

	if (sodium_base642bin(raw, sizeof raw - 1, b64, strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return;
	raw[n] = '\0';
	/* authzid \0 user \0 password */
	{
		const char *user = (const char *)raw + strlen((const char *)raw) + 1;
		const char *pass = user + strlen(user) + 1;
		if ((size_t)(pass - (const char *)raw) <= n)
			snprintf(SS.auth, sizeof SS.auth, "%s:%s", user, pass);
	}
}

static void smtp_session(int fd)
{
	struct lines l = { .fd = fd };
	char line[2048];
	struct mail m;

	memset(&m, 0, sizeof m);
	say(fd, "220 test.local ESMTP ready\r\n");
	while (read_line(&l, line, sizeof line) >= 0) {
		if (!strncasecmp(line, "EHLO", 4)) {
			say(fd, "250-test.local\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SIZE 10000000\r\n");
		} else if (!strncasecmp(line, "HELO", 4)) {
			say(fd, "250 test.local\r\n");
		} else if (!strncasecmp(line, "AUTH PLAIN", 10)) {
			if (line[10] == ' ') {
				smtp_auth_plain(line + 11);
			} else {
				say(fd, "334 \r\n");
				if (read_line(&l, line, sizeof line) < 0)
					break;
				smtp_auth_plain(line);
			}
			say(fd, "235 2.7.0 authenticated\r\n");
		} else if (!strncasecmp(line, "MAIL FROM:", 10)) {
			snprintf(m.from, sizeof m.from, "%.255s", line + 10);
			say(fd, "250 2.1.0 ok\r\n");
		} else if (!strncasecmp(line, "RCPT TO:", 8)) {
			if (SS.reject_rcpt) {
				say(fd, "550 5.1.1 no such user here\r\n");
			} else {
				snprintf(m.rcpt, sizeof m.rcpt, "%.255s", line + 8);
				say(fd, "250 2.1.5 ok\r\n");
			}
		} else if (!strcasecmp(line, "DATA")) {
			size_t cap = 1 << 16, len = 0;
			char *data = malloc(cap);
			say(fd, "354 go ahead\r\n");
			for (;;) {
				int n = read_line(&l, line, sizeof line);
				const char *p = line;
				if (n < 0 || !strcmp(line, "."))
					break;
				if (*p == '.')
					p++;        /* undo dot-stuffing */
				if (len + strlen(p) + 3 > cap)
					data = realloc(data, cap *= 2);
				len += (size_t)sprintf(data + len, "%s\r\n", p);
			}
			data[len] = '\0';
			snprintf(m.auth, sizeof m.auth, "%s", SS.auth);
			m.data = data;
			if (SS.nmails < 8)
				SS.mails[SS.nmails++] = m;
			else
				free(data);
			memset(&m, 0, sizeof m);
			say(fd, "250 2.0.0 queued as 42\r\n");
		} else if (!strcasecmp(line, "QUIT")) {
			say(fd, "221 2.0.0 bye\r\n");
			break;
		} else if (!strcasecmp(line, "RSET") || !strcasecmp(line, "NOOP")) {
			say(fd, "250 ok\r\n");
		} else {
			say(fd, "502 5.5.2 command unrecognised\r\n");
		}
	}
	close(fd);
}

static void *smtp_main(void *arg)
{
	(void)arg;
	while (wait_readable(SS.lfd, SS.stop[0], -1)) {
		int fd = accept4(SS.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			smtp_session(fd);
	}
	return NULL;
}

static void smtp_setup(void)
{
	setup();
	memset(&SS, 0, sizeof SS);
	ck_assert_int_eq(pipe2(SS.stop, O_CLOEXEC), 0);
	SS.lfd = listen_local(&SS.port);
	ck_assert_int_eq(pthread_create(&SS.thread, NULL, smtp_main, NULL), 0);
}

static void smtp_teardown(void)
{
	teardown();
	ck_assert_int_eq(write(SS.stop[1], "x", 1), 1);
	pthread_join(SS.thread, NULL);
	for (int i = 0; i < SS.nmails; i++)
		free(SS.mails[i].data);
	close(SS.lfd);
	close(SS.stop[0]);
	close(SS.stop[1]);
}

/* ---- webhook ------------------------------------------------------------------------------ */

START_TEST(webhook_delivers_json_with_headers)
{
	struct result r = { 0 };
	const char *body = "{\"alert\":\"ambulance-handover\",\"state\":\"firing\"}";
	char v[256];

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), body, "rule-7:firing:3", NULL, 5000,
					   on_done, &r), 0);
	ck_assert_int_eq(r.calls, 0);   /* never from inside the call */
	ck_assert_int_eq(cc_sender_in_flight(H.s), 1);
	run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(r.detail, "HTTP 200: thanks");
	ck_assert_int_eq(HS.nreqs, 1);
	ck_assert_str_eq(HS.reqs[0].method, "POST");
	ck_assert_str_eq(HS.reqs[0].path, "/ok");
	ck_assert_str_eq(HS.reqs[0].body, body);
	ck_assert_str_eq(header(&HS.reqs[0], "Content-Type", v, sizeof v), "application/json");
	ck_assert_str_eq(header(&HS.reqs[0], "User-Agent", v, sizeof v), "commcelld");
	ck_assert_str_eq(header(&HS.reqs[0], "X-Commcell-Dedup-Key", v, sizeof v),
			 "rule-7:firing:3");
	ck_assert_ptr_null(header(&HS.reqs[0], "X-Commcell-Signature", v, sizeof v));
	ck_assert_ptr_null(header(&HS.reqs[0], "Expect", v, sizeof v));
}
END_TEST

START_TEST(webhook_to_a_host_name)
{
	struct result r = { 0 };
	char u[64];

	/* a name, not an address: curl's threaded resolver answers through a socket the loop
	 * watches like any other (/etc/hosts; no DNS traffic) */
	snprintf(u, sizeof u, "http://localhost:%d/ok", HS.port);
	ck_assert_int_eq(cc_sender_webhook(H.s, u, "{}", "k", NULL, 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_int_eq(HS.nreqs, 1);
}
END_TEST

START_TEST(webhook_signature_is_hmac_sha256_of_body)
{
	struct result r1 = { 0 }, r2 = { 0 };
	const char *body = "{\"alert\":\"ed-occupancy\",\"value\":97.5,\"note\":\"caf\xc3\xa9\"}";
	const char *secret = "a webhook secret longer than sixty-four bytes, which HMAC hashes first";
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char want[80], v[256];
	int i1, i2;

	/* RFC 4231 test case 2 */
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "what do ya want for nothing?", "k1",
					   "Jefe", 5000, on_done, &r1), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/created"), body, "k2", secret, 5000, on_done,
					   &r2), 0);
	run_until_done(5000);
	ck_assert_msg(r1.ok && r2.ok, "%s / %s", r1.detail, r2.detail);
	ck_assert_str_eq(r2.detail, "HTTP 201");
	ck_assert_int_eq(HS.nreqs, 2);
	i1 = !strcmp(HS.reqs[0].path, "/ok") ? 0 : 1;
	i2 = 1 - i1;
	ck_assert_str_eq(header(&HS.reqs[i1], "X-Commcell-Signature", v, sizeof v),
			 "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)HS.reqs[i2].body,
				      HS.reqs[i2].body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	strcpy(want, "sha256=");
	sodium_bin2hex(want + 7, sizeof want - 7, mac, sizeof mac);
	ck_assert_str_eq(HS.reqs[i2].body, body);
	ck_assert_str_eq(header(&HS.reqs[i2], "X-Commcell-Signature", v, sizeof v), want);
}
END_TEST

START_TEST(webhook_500_is_a_failure_with_status_and_body)
{
	struct result r = { 0 };

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/fail"), "{}", "k", NULL, 5000, on_done, &r),
			 0);
	run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert(!r.ok);
	ck_assert_msg(!strncmp(r.detail, "HTTP 500: database is down; please retry later; zzz",
			       51), "%s", r.detail);
	/* 200 bytes of body at most, marked as cut */
	ck_assert_msg(strlen(r.detail) < 230, "%zu", strlen(r.detail));
	ck_assert_msg(strstr(r.detail, "\u2026"), "%s", r.detail);
}
END_TEST

START_TEST(webhook_redirect_and_bad_scheme_fail)
{
	struct result r1 = { 0 }, r2 = { 0 };

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/redirect"), "{}", NULL, NULL, 5000, on_done,
					   &r1), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, "file:///etc/passwd", "{}", NULL, NULL, 5000,
					   on_done, &r2), 0);
	run_until_done(5000);
	ck_assert(!r1.ok);
	ck_assert_str_eq(r1.detail, "HTTP 302");
	ck_assert(!r2.ok);
	ck_assert_msg(strcasestr(r2.detail, "protocol"), "%s", r2.detail);
}
END_TEST

START_TEST(webhook_refused_connection)
{
	struct result r = { 0 };
	char u[64];

	snprintf(u, sizeof u, "http://127.0.0.1:%d/hook", closed_port());
	ck_assert_int_eq(cc_sender_webhook(H.s, u, "{}", "k", NULL, 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert(!r.ok);
	ck_assert_msg(strstr(r.detail, "Connection refused"), "%s", r.detail);
}
END_TEST

START_TEST(webhook_times_out_on_a_silent_receiver)
{
	struct result r = { 0 };
	int64_t took;

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/hang"), "{}", "k", NULL, 500, on_done, &r),
			 0);
	took = run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert(!r.ok);
	ck_assert_msg(strcasestr(r.detail, "timed out"), "%s", r.detail);
	ck_assert_int_ge(took, 450);
	ck_assert_int_lt(took, 3000);
}
END_TEST

START_TEST(webhook_long_body_is_not_read_to_the_end)
{
	struct result r = { 0 };

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/big"), "{}", "k", NULL, 5000, on_done, &r),
			 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert(!strncmp(r.detail, "HTTP 200: xxxxxxxx", 18));
	ck_assert_int_lt(strlen(r.detail), 230);
}
END_TEST

START_TEST(webhook_large_body_is_sent_as_the_socket_drains)
{
	struct result r = { 0 };
	size_t n = 4 << 20;
	char *big = malloc(n + 1);

	/* more than the socket buffers take at once: curl keeps asking to write */
	memset(big, ' ', n);
	big[0] = '[';
	big[n - 1] = ']';
	big[n] = '\0';
	reset_ticks();
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), big, "k", "s", 10000, on_done, &r), 0);
	run_until_done(10000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_int_eq(HS.nreqs, 1);
	ck_assert_uint_eq(HS.reqs[0].body_len, n);
	ck_assert(!memcmp(HS.reqs[0].body, big, n));
	free(big);
}
END_TEST

START_TEST(webhook_many_at_once)
{
	struct result r[40];

	memset(r, 0, sizeof r);
	for (int i = 0; i < 40; i++) {
		char key[32];
		snprintf(key, sizeof key, "k%d", i);
		ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{\"n\":1}", key, "s", 5000,
						   on_done, &r[i]), 0);
	}
	ck_assert_int_eq(cc_sender_in_flight(H.s), 40);
	run_until_done(10000);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_msg(r[i].ok, "%d: %s", i, r[i].detail);
	}
	ck_assert_int_eq(HS.nreqs, 40);
}
END_TEST

START_TEST(bad_arguments_return_minus_one_without_callback)
{
	struct result r = { 0 };
	struct cc_smtp_config smtp = { "smtp://127.0.0.1:1", "alerts@commcell.test", NULL, NULL,
				       false };
	const char *const empty[] = { NULL };

	ck_assert_int_eq(cc_sender_webhook(H.s, NULL, "{}", "k", NULL, 0, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), NULL, "k", NULL, 0, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{}", "k\r\nX-Evil: 1", NULL, 0,
					   on_done, &r), -1);
	ck_assert_int_eq(cc_sender_email(H.s, &smtp, "not an address", "s", "t", "k", 0, on_done,
					 &r), -1);
	ck_assert_int_eq(cc_sender_email(H.s, &smtp, "a@b.test>\r\nRCPT TO:<c@d.test", "s", "t",
					 "k", 0, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_email(H.s, &smtp, "a@b.test", "s", "t", "k\n", 0, on_done, &r),
			 -1);
	ck_assert_int_eq(cc_sender_exec(H.s, NULL, "{}", 0, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_exec(H.s, empty, "{}", 0, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_in_flight(H.s), 0);
	run_for(50);
	ck_assert_int_eq(r.calls, 0);
}
END_TEST

START_TEST(the_daemon_vhost_carries_the_protocol)
{
	bool found = false;

	for (int i = 0; cc_httpd_protocols[i]; i++)
		found = found || cc_httpd_protocols[i] == &cc_sender_protocol;
	ck_assert(found);
}
END_TEST

/* ---- nothing blocks ----------------------------------------------------------------------- */

START_TEST(loop_keeps_turning_while_a_receiver_is_slow)
{
	struct result slow = { 0 }, fast = { 0 }, cmd = { 0 };
	const char *const sleeper[] = { "/bin/sh", "-c", "sleep 1", NULL };
	int64_t start;

	run_for(30);
	reset_ticks();
	start = now_ms();
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/slow"), "{}", "k", NULL, 5000, on_done,
					   &slow), 0);
	ck_assert_int_eq(cc_sender_exec(H.s, sleeper, "{}", 5000, on_done, &cmd), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{}", "k", NULL, 5000, on_done, &fast),
			 0);
	run_until_done(8000);
	ck_assert_msg(slow.ok && fast.ok && cmd.ok, "%s / %s / %s", slow.detail, fast.detail,
		      cmd.detail);
	ck_assert_str_eq(slow.detail, "HTTP 200: slow but fine");
	/* blocking anywhere would hold everything up for the slow receiver's 2 s; limits are
	 * loose because CI machines are busy */
	ck_assert_int_lt(fast.at - start, 1500);
	ck_assert_int_ge(cmd.at - start, 950);
	ck_assert_int_lt(cmd.at - start, 1950);
	ck_assert_int_ge(slow.at - start, 1950);
	/* a 10 ms timer kept firing all along */
	ck_assert_msg(H.max_gap < 500, "largest gap between 10 ms ticks: %lld ms",
		      (long long)H.max_gap);
	ck_assert_int_gt(H.ticks, 100);
}
END_TEST

/* ---- e-mail ------------------------------------------------------------------------------- */

static struct cc_smtp_config smtp_cfg(void)
{
	static char u[64];
	struct cc_smtp_config c = { u, "alerts@commcell.test", NULL, NULL, false };

	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", SS.port);
	return c;
}

START_TEST(email_arrives_with_headers)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();
	const char *data;

	ck_assert_int_eq(cc_sender_email(H.s, &c, "oncall@trust.test", "Ambulance handover: RED",
					 "Handover time 74 min.\n.A line that starts with a dot\nEnd",
					 "rule-3:firing:1", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_msg(strstr(r.detail, "accepted"), "%s", r.detail);
	ck_assert_int_eq(SS.nmails, 1);
	ck_assert_msg(!strncmp(SS.mails[0].from, "<alerts@commcell.test>", 22), "%s",
		      SS.mails[0].from);
	ck_assert_str_eq(SS.mails[0].rcpt, "<oncall@trust.test>");
	ck_assert_str_eq(SS.mails[0].auth, "");
	data = SS.mails[0].data;
	ck_assert_msg(strstr(data, "\r\nTo: oncall@trust.test\r\n"), "%s", data);
	ck_assert(!strncmp(data, "Date: ", 6));
	ck_assert(strstr(data, "\r\nFrom: alerts@commcell.test\r\n"));
	ck_assert(strstr(data, "\r\nSubject: Ambulance handover: RED\r\n"));
	ck_assert(strstr(data, "\r\nX-Commcell-Dedup-Key: rule-3:firing:1\r\n"));
	ck_assert(strstr(data, "\r\nMessage-ID: <"));
	ck_assert(strstr(data, "@commcell.test>\r\n"));
	ck_assert(strstr(data, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	ck_assert(strstr(data, "\r\nAuto-Submitted: auto-generated\r\n"));
	ck_assert(strstr(data, "\r\n\r\nHandover time 74 min.\r\n.A line that starts with a dot\r\n"
			       "End\r\n"));
}
END_TEST

START_TEST(email_utf8_subject_and_body_are_encoded)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();
	const char *subject = "Urgences \xe2\x80\x93 occupation 97 % \xe2\x9c\x93 "
			      "tr\xc3\xa8s \xc3\xa9lev\xc3\xa9" "e, \xc3\xa0 surveiller de pr\xc3\xa8s";
	const char *data, *p;
	char decoded[512] = "";
	size_t dl = 0;

	ck_assert_int_eq(cc_sender_email(H.s, &c, "oncall@trust.test", subject,
					 "Occupation: 97 % \xe2\x80\x93 seuil d\xc3\xa9pass\xc3\xa9",
					 "k", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	data = SS.mails[0].data;
	ck_assert_msg(strstr(data, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"), "%s",
		      data);
	ck_assert(strstr(data, "\r\n\r\nOccupation: 97 % =E2=80=93 seuil d=C3=A9pass=C3=A9\r\n"));
	/* decode the encoded words back into the subject */
	p = strstr(data, "\r\nSubject:");
	ck_assert_ptr_nonnull(p);
	while ((p = strstr(p, "=?UTF-8?B?")) && p < strstr(data, "\r\n\r\n")) {
		const char *e = strstr(p + 10, "?=");
		size_t n = 0;
		ck_assert_int_le(e + 2 - p, 75);
		ck_assert_int_eq(sodium_base642bin((unsigned char *)decoded + dl,
						   sizeof decoded - dl - 1, p + 10,
						   (size_t)(e - p - 10), NULL, &n, NULL,
						   sodium_base64_VARIANT_ORIGINAL), 0);
		dl += n;
		p = e + 2;
	}
	decoded[dl] = '\0';
	ck_assert_str_eq(decoded, subject);
}
END_TEST

START_TEST(email_authenticates)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();

	c.user = "commcell-bot";
	c.password = "s3cret pass";
	ck_assert_int_eq(cc_sender_email(H.s, &c, "oncall@trust.test", "s", "t", "k", 5000,
					 on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(SS.mails[0].auth, "commcell-bot:s3cret pass");
}
END_TEST

START_TEST(email_rejected_recipient_fails)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();

	SS.reject_rcpt = true;
	ck_assert_int_eq(cc_sender_email(H.s, &c, "nobody@trust.test", "s", "t", "k", 5000,
					 on_done, &r), 0);
	run_until_done(5000);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.detail, "RCPT failed: 550; server said: 550 5.1.1 no such user here");
	ck_assert_int_eq(SS.nmails, 0);
}
END_TEST

START_TEST(email_starttls_required_but_not_offered_fails)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();

	c.starttls = true;
	ck_assert_int_eq(cc_sender_email(H.s, &c, "oncall@trust.test", "s", "t", "k", 5000,
					 on_done, &r), 0);
	run_until_done(5000);
	ck_assert(!r.ok);
	ck_assert_msg(strcasestr(r.detail, "STARTTLS"), "%s", r.detail);
	ck_assert_int_eq(SS.nmails, 0);
}
END_TEST

START_TEST(email_refused_connection)
{
	struct result r = { 0 };
	struct cc_smtp_config c = smtp_cfg();
	char u[64];

	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", closed_port());
	c.url = u;
	ck_assert_int_eq(cc_sender_email(H.s, &c, "oncall@trust.test", "s", "t", "k", 5000,
					 on_done, &r), 0);
	run_until_done(5000);
	ck_assert(!r.ok);
	ck_assert_msg(strstr(r.detail, "Connection refused"), "%s", r.detail);
}
END_TEST

/* ---- exec --------------------------------------------------------------------------------- */

static void exec_setup(void)
{
	setup();
}

static void exec_setup_polling(void)
{
	setup();
	H.s->use_pidfd = false;
}

static void exec_teardown(void)
{
	teardown();
	assert_no_children();
}

START_TEST(exec_gets_json_on_stdin)
{
	struct result r = { 0 };
	char path[] = "/tmp/commcell-sender-XXXXXX";
	const char *json = "{\"alert\":\"111-answer\",\"state\":\"firing\",\"dedup\":\"r1:f:1\"}";
	const char *argv[] = { "sh", "-c", "cat > \"$0\"", path, NULL };
	char got[256] = "";
	int fd = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cc_sender_exec(H.s, argv, json, 5000, on_done, &r), 0);
	ck_assert_int_eq(r.calls, 0);
	run_until_done(5000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(r.detail, "exit status 0");
	n = read(fd, got, sizeof got - 1);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	ck_assert_str_eq(got, json);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(exec_child_gets_a_clean_environment)
{
	struct result r = { 0 };
	char path[] = "/tmp/commcell-sender-XXXXXX";
	/* a bare name: looked up in the child's PATH */
	const char *argv[] = { "env", NULL };
	const char *dump[] = { "sh", "-c", "env > \"$0\"", path, NULL };
	char got[4096] = "";
	int fd = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	setenv("PGPASSWORD", "hub-secret-4711", 1);
	setenv("COMMCELL_TEST_SECRET", "token-0815", 1);
	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(cc_sender_exec(H.s, dump, "{}", 5000, on_done, &r), 0);
	run_until_done(5000);
	unsetenv("PGPASSWORD");
	unsetenv("COMMCELL_TEST_SECRET");
	ck_assert_msg(r.ok, "%s", r.detail);
	n = read(fd, got, sizeof got - 1);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	close(fd);
	unlink(path);
	ck_assert_msg(!strstr(got, "hub-secret-4711") && !strstr(got, "PGPASSWORD"), "%s", got);
	ck_assert_msg(!strstr(got, "token-0815"), "%s", got);
	ck_assert_msg(strstr(got, "PATH=/usr/local/bin:/usr/bin:/bin\n"), "%s", got);
	ck_assert_msg(strstr(got, "LANG=C.UTF-8\n") && strstr(got, "LC_ALL=C.UTF-8\n"), "%s", got);
	ck_assert_msg(strstr(got, "HOME=/\n"), "%s", got);
}
END_TEST

START_TEST(exec_env_adds_the_alert_in_words)
{
	struct result r = { 0 };
	char path[] = "/tmp/commcell-sender-XXXXXX";
	const char *dump[] = { "sh", "-c", "env > \"$0\"", path, NULL };
	const char *env[] = { "COMMCELL_SUBJECT=A&E 4-hour performance at Northgate General Hospital",
			      "COMMCELL_SITE_LABEL=Northgate General Hospital", NULL };
	const char *path_env[] = { "PATH=/tmp", NULL };
	const char *lower[] = { "COMMCELL_site=x", NULL };
	const char *no_value[] = { "COMMCELL_", NULL };
	char got[4096] = "";
	int fd = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cc_sender_exec_env(H.s, dump, env, "{}", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	n = read(fd, got, sizeof got - 1);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	close(fd);
	unlink(path);
	ck_assert_msg(strstr(got, "COMMCELL_SUBJECT=A&E 4-hour performance at Northgate General "
				  "Hospital\n"), "%s", got);
	ck_assert_msg(strstr(got, "COMMCELL_SITE_LABEL=Northgate General Hospital\n"), "%s", got);
	/* the fixed environment stays and cannot be replaced */
	ck_assert_msg(strstr(got, "PATH=/usr/local/bin:/usr/bin:/bin\n"), "%s", got);
	ck_assert_int_eq(cc_sender_exec_env(H.s, dump, path_env, "{}", 5000, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_exec_env(H.s, dump, lower, "{}", 5000, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_exec_env(H.s, dump, no_value, "{}", 5000, on_done, &r), -1);
	ck_assert_int_eq(cc_sender_in_flight(H.s), 0);
}
END_TEST

START_TEST(exec_nonzero_exit_fails_with_status_and_output)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c",
				     "echo 'paging service said no' >&2; echo out; exit 3", NULL };

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.detail, "exit status 3; stderr: paging service said no; stdout: out");
}
END_TEST

START_TEST(exec_killed_after_timeout)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c", "echo started; sleep 30", NULL };
	int64_t took;

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 300, on_done, &r), 0);
	took = run_until_done(5000);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.detail, "timed out after 300 ms; stopped with SIGTERM; stdout: started");
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 2500);
}
END_TEST

START_TEST(exec_ignoring_sigterm_gets_sigkill)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c", "trap '' TERM; sleep 30", NULL };
	int64_t took;

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 200, on_done, &r), 0);
	took = run_until_done(6000);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.detail, "timed out after 200 ms; stopped with SIGKILL");
	ck_assert_int_ge(took, 2150);
	ck_assert_int_lt(took, 4500);
}
END_TEST

START_TEST(exec_missing_command)
{
	struct result r = { 0 };
	const char *const argv[] = { "/nonexistent/notify-oncall", "--now", NULL };

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 5000, on_done, &r), 0);
	ck_assert_int_eq(r.calls, 0);
	run_until_done(5000);
	ck_assert(!r.ok);
	/* glibc reports the failed exec; under valgrind the child exits 127 instead */
	ck_assert_msg(!strcmp(r.detail, "cannot run /nonexistent/notify-oncall: No such file or "
			      "directory") ||
		      !strcmp(r.detail, "exit status 127 (command not found?)"), "%s", r.detail);
}
END_TEST

START_TEST(exec_large_input_is_written_as_the_pipe_drains)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c", "sleep 1; wc -c", NULL };
	size_t n = 3 << 20;
	char *big = malloc(n + 1);

	memset(big, 'j', n);
	big[n] = '\0';
	reset_ticks();
	ck_assert_int_eq(cc_sender_exec(H.s, argv, big, 10000, on_done, &r), 0);
	free(big);
	run_until_done(10000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(r.detail, "exit status 0; stdout: 3145728");
	/* a blocking write would stall the loop for the child's 1 s sleep */
	ck_assert_msg(H.max_gap < 500, "gap %lld", (long long)H.max_gap);
}
END_TEST

START_TEST(exec_child_that_closes_stdin_early)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c", "exec 0<&-; sleep 0.5; echo done", NULL };
	size_t n = 3 << 20;
	char *big = malloc(n + 1);
	int64_t took;

	memset(big, 'j', n);
	big[n] = '\0';
	ck_assert_int_eq(cc_sender_exec(H.s, argv, big, 10000, on_done, &r), 0);
	free(big);
	took = run_until_done(10000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(r.detail, "exit status 0; stdout: done");
	ck_assert_int_lt(took, 3000);
}
END_TEST

START_TEST(exec_output_is_bounded)
{
	struct result r = { 0 };
	const char *const argv[] = {
		"/bin/sh", "-c",
		"i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; echo \"err $i\" >&2; "
		"i=$((i+1)); done; echo last-line",
		NULL
	};

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 10000, on_done, &r), 0);
	run_until_done(10000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_msg(strlen(r.detail) <= 4400, "%zu", strlen(r.detail));
	ck_assert(strstr(r.detail, "; stderr: \u2026"));
	ck_assert(strstr(r.detail, "err 2999; stdout: \u2026"));
	ck_assert(strstr(r.detail, "line 2999; last-line"));
}
END_TEST

START_TEST(exec_does_not_wait_for_a_grandchild_holding_the_pipes)
{
	struct result r = { 0 };
	const char *const argv[] = { "/bin/sh", "-c", "sleep 5 & echo hi", NULL };
	int64_t took;

	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 5000, on_done, &r), 0);
	took = run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	ck_assert_str_eq(r.detail, "exit status 0; stdout: hi");
	ck_assert_int_lt(took, 3000);
}
END_TEST

START_TEST(exec_child_gets_default_signals)
{
	struct result r = { 0 };
	/* the mask and ignored dispositions would be inherited through exec */
	const char *const argv[] = { "/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status",
				     NULL };
	sigset_t set;
	const char *p;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ck_assert_int_eq(cc_sender_exec(H.s, argv, "{}", 5000, on_done, &r), 0);
	run_until_done(5000);
	ck_assert_msg(r.ok, "%s", r.detail);
	/* tidy turned the tabs into spaces. glibc's posix_spawn leaves its two internal signals
	 * (32, 33) ignored; every ordinary one must be back to default */
	p = strstr(r.detail, "SigIgn: ");
	ck_assert_msg(p, "%s", r.detail);
	ck_assert_msg((strtoull(p + 8, NULL, 16) & 0x7fffffffULL) == 0, "%s", r.detail);
	ck_assert_msg(strstr(r.detail, "SigBlk: 0000000000000000;"), "%s", r.detail);
}
END_TEST

START_TEST(destroy_kills_and_reaps_running_children)
{
	struct result r1 = { 0 }, r2 = { 0 };
	const char *const a1[] = { "/bin/sh", "-c", "sleep 30", NULL };
	const char *const a2[] = { "/bin/sh", "-c", "trap '' TERM; sleep 30 & sleep 30", NULL };
	int64_t start;

	ck_assert_int_eq(cc_sender_exec(H.s, a1, "{}", 60000, on_done, &r1), 0);
	ck_assert_int_eq(cc_sender_exec(H.s, a2, "{}", 60000, on_done, &r2), 0);
	run_for(200);
	start = now_ms();
	cc_sender_destroy(H.s);
	H.s = NULL;
	ck_assert_int_lt(now_ms() - start, 2000);
	assert_no_children();
	run_for(50);
	ck_assert_int_eq(r1.calls + r2.calls, 0);
}
END_TEST

/* ---- lifetime ----------------------------------------------------------------------------- */

static void destroy_from_callback(void *arg, bool ok, const char *detail)
{
	on_done(arg, ok, detail);
	cc_sender_destroy(H.s);
	H.s = NULL;
}

START_TEST(destroy_inside_a_callback_cancels_the_rest)
{
	struct result first = { 0 }, hang = { 0 }, cmd = { 0 };
	const char *const quick[] = { "/bin/true", NULL };
	const char *const slow[] = { "/bin/sleep", "30", NULL };

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/hang"), "{}", "k", NULL, 30000, on_done,
					   &hang), 0);
	ck_assert_int_eq(cc_sender_exec(H.s, slow, "{}", 30000, on_done, &cmd), 0);
	ck_assert_int_eq(cc_sender_exec(H.s, quick, "{}", 30000, destroy_from_callback, &first),
			 0);
	run_for(1000);
	ck_assert_ptr_null(H.s);
	ck_assert_int_eq(first.calls, 1);
	ck_assert(first.ok);
	ck_assert_int_eq(hang.calls + cmd.calls, 0);
	assert_no_children();
}
END_TEST

START_TEST(destroy_inside_a_webhook_callback)
{
	struct result first = { 0 }, hang = { 0 }, more = { 0 };

	ck_assert_int_eq(cc_sender_webhook(H.s, url("/hang"), "{}", "k", NULL, 30000, on_done,
					   &hang), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/slow"), "{}", "k", NULL, 30000, on_done,
					   &more), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{}", "k", NULL, 30000,
					   destroy_from_callback, &first), 0);
	run_for(1000);
	ck_assert_ptr_null(H.s);
	ck_assert_int_eq(first.calls, 1);
	ck_assert(first.ok);
	ck_assert_int_eq(hang.calls + more.calls, 0);
}
END_TEST

static struct result chained;

static void start_another(void *arg, bool ok, const char *detail)
{
	on_done(arg, ok, detail);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{}", "next", NULL, 5000, on_done,
					   &chained), 0);
}

START_TEST(a_callback_may_start_new_work)
{
	struct result first = { 0 };

	memset(&chained, 0, sizeof chained);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/ok"), "{}", "first", NULL, 5000,
					   start_another, &first), 0);
	run_until_done(5000);
	ck_assert(first.ok);
	ck_assert_int_eq(chained.calls, 1);
	ck_assert_msg(chained.ok, "%s", chained.detail);
}
END_TEST

START_TEST(destroy_with_transfers_in_flight)
{
	struct result r[3];
	struct cc_smtp_config c = { "smtp://127.0.0.1:9", "a@b.test", NULL, NULL, false };

	memset(r, 0, sizeof r);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/hang"), "{}", "k", "s", 30000, on_done,
					   &r[0]), 0);
	ck_assert_int_eq(cc_sender_webhook(H.s, url("/slow"), "{}", "k", NULL, 30000, on_done,
					   &r[1]), 0);
	run_for(200);
	ck_assert_int_eq(cc_sender_email(H.s, &c, "x@y.test", "s", "t", "k", 30000, on_done,
					 &r[2]), 0);
	cc_sender_destroy(H.s);
	H.s = NULL;
	run_for(100);
	ck_assert_int_eq(r[0].calls + r[1].calls + r[2].calls, 0);
}
END_TEST

START_TEST(async_dns_is_reported)
{
	/* Debian's libcurl4 is built with the threaded resolver */
	ck_assert(cc_sender_async_dns());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sender");
	TCase *web = tcase_create("webhook");
	TCase *mail = tcase_create("email");
	TCase *cmd = tcase_create("exec");
	TCase *poll_cmd = tcase_create("exec-without-pidfd");
	TCase *life = tcase_create("lifetime");

	tcase_add_checked_fixture(web, http_setup, http_teardown);
	tcase_set_timeout(web, 30);
	tcase_add_test(web, webhook_delivers_json_with_headers);
	tcase_add_test(web, webhook_to_a_host_name);
	tcase_add_test(web, webhook_signature_is_hmac_sha256_of_body);
	tcase_add_test(web, webhook_500_is_a_failure_with_status_and_body);
	tcase_add_test(web, webhook_redirect_and_bad_scheme_fail);
	tcase_add_test(web, webhook_refused_connection);
	tcase_add_test(web, webhook_times_out_on_a_silent_receiver);
	tcase_add_test(web, webhook_long_body_is_not_read_to_the_end);
	tcase_add_test(web, webhook_large_body_is_sent_as_the_socket_drains);
	tcase_add_test(web, webhook_many_at_once);
	tcase_add_test(web, bad_arguments_return_minus_one_without_callback);
	tcase_add_test(web, the_daemon_vhost_carries_the_protocol);
	tcase_add_test(web, loop_keeps_turning_while_a_receiver_is_slow);
	suite_add_tcase(s, web);

	tcase_add_checked_fixture(mail, smtp_setup, smtp_teardown);
	tcase_set_timeout(mail, 30);
	tcase_add_test(mail, email_arrives_with_headers);
	tcase_add_test(mail, email_utf8_subject_and_body_are_encoded);
	tcase_add_test(mail, email_authenticates);
	tcase_add_test(mail, email_rejected_recipient_fails);
	tcase_add_test(mail, email_starttls_required_but_not_offered_fails);
	tcase_add_test(mail, email_refused_connection);
	suite_add_tcase(s, mail);

	tcase_add_checked_fixture(cmd, exec_setup, exec_teardown);
	tcase_set_timeout(cmd, 30);
	tcase_add_test(cmd, exec_gets_json_on_stdin);
	tcase_add_test(cmd, exec_child_gets_a_clean_environment);
	tcase_add_test(cmd, exec_env_adds_the_alert_in_words);
	tcase_add_test(cmd, exec_nonzero_exit_fails_with_status_and_output);
	tcase_add_test(cmd, exec_killed_after_timeout);
	tcase_add_test(cmd, exec_ignoring_sigterm_gets_sigkill);
	tcase_add_test(cmd, exec_missing_command);
	tcase_add_test(cmd, exec_large_input_is_written_as_the_pipe_drains);
	tcase_add_test(cmd, exec_child_that_closes_stdin_early);
	tcase_add_test(cmd, exec_output_is_bounded);
	tcase_add_test(cmd, exec_does_not_wait_for_a_grandchild_holding_the_pipes);
	tcase_add_test(cmd, exec_child_gets_default_signals);
	tcase_add_test(cmd, destroy_kills_and_reaps_running_children);
	suite_add_tcase(s, cmd);

	tcase_add_checked_fixture(poll_cmd, exec_setup_polling, exec_teardown);
	tcase_set_timeout(poll_cmd, 30);
	tcase_add_test(poll_cmd, exec_gets_json_on_stdin);
	tcase_add_test(poll_cmd, exec_nonzero_exit_fails_with_status_and_output);
	tcase_add_test(poll_cmd, exec_killed_after_timeout);
	tcase_add_test(poll_cmd, destroy_kills_and_reaps_running_children);
	suite_add_tcase(s, poll_cmd);

	tcase_add_checked_fixture(life, http_setup, http_teardown);
	tcase_set_timeout(life, 30);
	tcase_add_test(life, destroy_inside_a_callback_cancels_the_rest);
	tcase_add_test(life, destroy_inside_a_webhook_callback);
	tcase_add_test(life, a_callback_may_start_new_work);
	tcase_add_test(life, destroy_with_transfers_in_flight);
	tcase_add_test(life, async_dns_is_reported);
	suite_add_tcase(s, life);

	return cc_check_run(s);
}
