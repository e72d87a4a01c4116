/* libcurl's multi socket interface driven by the lws loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when it next needs the
 * clock (CURLMOPT_TIMERFUNCTION); we tell it what happened with curl_multi_socket_action and
 * then collect finished transfers with curl_multi_info_read. Each socket curl names is watched
 * through a dup() adopted into lws as a raw file (the dup rule: curl stays the owner of its own
 * descriptor and closes it when it likes); one lws timer stands for curl's timer. */
#include "sender_int.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 10000
#define ORPHAN_RETRY_MS 100
#define BODY_READ_LIMIT (64 * 1024)   /* read no more of a response body than this */
#define ORPHAN_BATCH 32

struct cc_curl_sock {
	struct cc_sender_watch w;   /* first: lws_container_of */
	struct cc_curl_sock *prev, *next;
	curl_socket_t fd;           /* curl's descriptor; lws watches a dup of it */
	int what;                   /* CURL_POLL_IN, _OUT or _INOUT */
	unsigned drops;             /* times lws dropped the watch on a hang-up */
};

static void schedule_orphans(struct cc_sender *s, int ms);

/* ---- finished transfers ------------------------------------------------------------------- */

static void collect(struct cc_sender *s)
{
	CURLMsg *m;
	int left;

	while (!s->dying && (m = curl_multi_info_read(s->multi, &left))) {
		struct cc_curl_job *j;
		char *priv = NULL;
		char detail[1024];
		bool ok = false;
		CURLcode rc;

		if (m->msg != CURLMSG_DONE)
			continue;
		rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		j = (struct cc_curl_job *)(void *)priv;
		if (!j)
			continue;
		detail[0] = '\0';
		j->judge(j, rc, &ok, detail, sizeof detail);
		cc_sender_job_finish(&j->base, ok, detail);     /* removes the easy handle */
	}
}

static void act(struct cc_sender *s, curl_socket_t fd, int bits)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(s->multi, fd, bits, &running);

	if (mc != CURLM_OK)
		cc_warn("libcurl: %s", curl_multi_strerror(mc));
	collect(s);
}

static struct cc_curl_sock *find_sock(struct cc_sender *s, curl_socket_t fd)
{
	for (struct cc_curl_sock *cs = s->socks; cs; cs = cs->next)
		if (cs->fd == fd)
			return cs;
	return NULL;
}

/* ---- sockets ------------------------------------------------------------------------------ */

/* Make the lws watch match what curl wants. POLLIN stays off while curl does not want to read,
 * or a readable socket would wake the loop over and over. */
static void sock_interest(struct cc_curl_sock *cs)
{
	if (!cs->w.wsi)
		return;
	cc_sender_watch_want_read(&cs->w, (cs->what & CURL_POLL_IN) != 0);
	if (cs->what & CURL_POLL_OUT)
		cc_sender_watch_want_write(&cs->w);
}

static void on_sock_event(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct cc_curl_sock *cs = lws_container_of(w, struct cc_curl_sock, w);
	struct cc_sender *s = w->s;
	curl_socket_t fd = cs->fd;

	switch (ev) {
	case CC_WATCH_READABLE:
		if (cs->what & CURL_POLL_IN)
			act(s, fd, CURL_CSELECT_IN);
		else
			cc_sender_watch_want_read(w, false);
		return;
	case CC_WATCH_WRITABLE:
		if (!(cs->what & CURL_POLL_OUT))
			return;
		act(s, fd, CURL_CSELECT_OUT);
		/* curl calls the socket function only when its wish changes: if it still wants to
		 * write, ask lws again (cs may be gone by now, so look it up) */
		if (!s->dying && (cs = find_sock(s, fd)) && (cs->what & CURL_POLL_OUT))
			cc_sender_watch_want_write(&cs->w);
		return;
	case CC_WATCH_CLOSED:
		/* hang-up or error (a refused connect shows up here): let curl look at the socket
		 * itself from a timer, outside lws's close path */
		cs->drops++;
		schedule_orphans(s, cs->drops <= 3 ? 0 : ORPHAN_RETRY_MS);
		return;
	}
}

static int sock_watch(struct cc_sender *s, struct cc_curl_sock *cs)
{
	int dupfd = fcntl(cs->fd, F_DUPFD_CLOEXEC, 3);

	if (cc_sender_watch_start(s, &cs->w, dupfd, on_sock_event))
		return -1;
	sock_interest(cs);
	return 0;
}

static void sock_free(struct cc_sender *s, struct cc_curl_sock *cs)
{
	cc_sender_watch_stop(&cs->w);
	if (cs->prev)
		cs->prev->next = cs->next;
	else
		s->socks = cs->next;
	if (cs->next)
		cs->next->prev = cs->prev;
	free(cs);
}

static int socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cc_sender *s = userp;
	struct cc_curl_sock *cs = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs)
			sock_free(s, cs);
		return 0;
	}
	if (!cs) {
		cs = cc_xcalloc(1, sizeof *cs);
		cs->fd = fd;
		cs->w.s = s;
		cs->w.fd = -1;
		cs->what = what;
		cs->next = s->socks;
		if (s->socks)
			s->socks->prev = cs;
		s->socks = cs;
		curl_multi_assign(s->multi, fd, cs);
		if (sock_watch(s, cs)) {
			cc_warn("cannot watch a libcurl socket (%s); polling it", strerror(errno));
			schedule_orphans(s, ORPHAN_RETRY_MS);
		}
		return 0;
	}
	cs->what = what;
	sock_interest(cs);
	return 0;
}

/* Sockets without a watch ("orphans": lws dropped it on a hang-up, or adopting failed): let
 * curl check each one itself (ev_bitmask 0), then watch again whatever curl still holds. */
static void orphans_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_sender *s = lws_container_of(sul, struct cc_sender, orphan_sul);
	curl_socket_t fds[ORPHAN_BATCH];
	size_t n = 0;
	bool again = false;
	int running;

	cc_sender_enter(s);
	for (struct cc_curl_sock *cs = s->socks; cs && n < ORPHAN_BATCH; cs = cs->next)
		if (!cs->w.wsi)
			fds[n++] = cs->fd;
	for (size_t i = 0; i < n; i++)
		curl_multi_socket_action(s->multi, fds[i], 0, &running);
	for (struct cc_curl_sock *cs = s->socks; cs; cs = cs->next)
		if (!cs->w.wsi && sock_watch(s, cs))
			again = true;
	if (again)
		schedule_orphans(s, ORPHAN_RETRY_MS);
	collect(s);
	cc_sender_leave(s);
}

static void schedule_orphans(struct cc_sender *s, int ms)
{
	lws_sul_schedule(s->ctx, 0, &s->orphan_sul, orphans_fired, (lws_usec_t)ms * LWS_US_PER_MS);
}

/* ---- curl's clock ------------------------------------------------------------------------- */

static void timer_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_sender *s = lws_container_of(sul, struct cc_sender, curl_timer_sul);

	cc_sender_enter(s);
	act(s, CURL_SOCKET_TIMEOUT, 0);
	cc_sender_leave(s);
}

static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct cc_sender *s = userp;

	(void)multi;
	/* never act from inside curl: even "now" (0) goes through the loop */
	if (timeout_ms < 0)
		lws_sul_cancel(&s->curl_timer_sul);
	else
		lws_sul_schedule(s->ctx, 0, &s->curl_timer_sul, timer_fired,
				 (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	return 0;
}

int cc_sender_curl_init(struct cc_sender *s)
{
	s->multi = curl_multi_init();
	if (!s->multi)
		return -1;
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	return 0;
}

void cc_sender_curl_cleanup(struct cc_sender *s)
{
	if (s->multi)
		curl_multi_cleanup(s->multi);
	s->multi = NULL;
	while (s->socks)
		sock_free(s, s->socks);
	lws_sul_cancel(&s->curl_timer_sul);
	lws_sul_cancel(&s->orphan_sul);
}

/* ---- transfers ---------------------------------------------------------------------------- */

static size_t write_fn(char *data, size_t size, size_t nmemb, void *userp)
{
	struct cc_curl_job *j = userp;
	size_t n = size * nmemb;
	size_t room = sizeof j->body - 1 - j->body_len;
	size_t take = n < room ? n : room;

	memcpy(j->body + j->body_len, data, take);
	j->body_len += take;
	j->body[j->body_len] = '\0';
	j->body_seen += n;
	if (j->body_seen > BODY_READ_LIMIT) {
		/* the status is known; a receiver streaming an endless body does not hold us */
		j->body_cut = true;
		return 0;
	}
	return n;
}

static size_t read_fn(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct cc_curl_job *j = userp;
	size_t want = size * nmemb;
	size_t left = j->payload_len - j->payload_off;
	size_t n = want < left ? want : left;

	memcpy(buf, j->payload + j->payload_off, n);
	j->payload_off += n;
	return n;
}

void cc_sender_curl_job_free(struct cc_curl_job *j)
{
	if (j->attached)
		curl_multi_remove_handle(j->base.s->multi, j->easy);
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	curl_slist_free_all(j->rcpt);
	free(j->payload);
	free(j);
}

static void job_release(struct cc_sender_job *b)
{
	cc_sender_curl_job_free((struct cc_curl_job *)b);
}

struct cc_curl_job *cc_sender_curl_job_new(struct cc_sender *s, int timeout_ms)
{
	struct cc_curl_job *j;
	long t = timeout_ms > 0 ? timeout_ms : CC_SENDER_DEFAULT_TIMEOUT_MS;
	int bad = 0;

	j = cc_xcalloc(1, sizeof *j);
	j->base.s = s;
	j->easy = curl_easy_init();
	if (!j->easy) {
		free(j);
		return NULL;
	}
	bad |= curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (char *)j) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, t) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS,
				t < CONNECT_TIMEOUT_MS ? t : (long)CONNECT_TIMEOUT_MS) != CURLE_OK;
	/* one connection per delivery: nothing idles between alerts, and each attempt starts
	 * from a fresh connection (retries are the outbox's business) */
	bad |= curl_easy_setopt(j->easy, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, write_fn) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, read_fn) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_READDATA, j) != CURLE_OK;
	if (bad) {
		cc_sender_curl_job_free(j);
		return NULL;
	}
	return j;
}

int cc_sender_curl_start(struct cc_sender *s, struct cc_curl_job *j, cc_send_done done, void *arg)
{
	/* curl answers with a timer of 0; the transfer starts on the loop's next turn */
	if (curl_multi_add_handle(s->multi, j->easy) != CURLM_OK) {
		cc_sender_curl_job_free(j);
		return -1;
	}
	j->attached = true;
	cc_sender_job_add(s, &j->base, done, arg, job_release);
	return 0;
}

void cc_sender_curl_error(struct cc_curl_job *j, CURLcode rc, char *detail, size_t len)
{
	const char *msg = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	size_t n;

	detail[0] = '\0';
	n = cc_sender_tidy(detail, len, msg, strlen(msg));
	if (curl_easy_getinfo(j->easy, CURLINFO_OS_ERRNO, &oserr) == CURLE_OK && oserr > 0) {
		const char *why = strerror((int)oserr);
		if (!strstr(detail, why))
			snprintf(detail + n, len - n, " (%s)", why);
	}
}
