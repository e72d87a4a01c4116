/* The sender's core: its lifetime, the jobs in flight, and the raw-file watches through which
 * libcurl sockets, pipes and pidfds reach the lws loop. */
#include "sender_int.h"
#include "log.h"
#include "util.h"

#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- watches ------------------------------------------------------------------------------ */

static void dispatch(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct cc_sender *s = w->s;

	cc_sender_enter(s);
	w->on_event(w, ev);     /* may free w */
	cc_sender_leave(s);
}

static int sender_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			   void *in, size_t len)
{
	struct cc_sender_watch *w = lws_get_opaque_user_data(wsi);
	struct cc_sender *s;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (!w)
			return -1;      /* dropped and waiting for its async close */
		dispatch(w, CC_WATCH_READABLE);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (!w)
			return -1;
		/* lws clears POLLOUT after this callback returns, so a new request made inside it
		 * would be lost: cc_sender_watch_want_write defers those to a timer */
		s = w->s;
		cc_sender_enter(s);
		s->writable_wsi = wsi;
		w->on_event(w, CC_WATCH_WRITABLE);
		s->writable_wsi = NULL;
		cc_sender_leave(s);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		/* lws dropped a watch we still hold (hang-up): tell its owner */
		if (w && w->wsi == wsi) {
			lws_sul_cancel(&w->rearm_sul);
			lws_set_opaque_user_data(wsi, NULL);
			w->wsi = NULL;
			w->fd = -1;
			dispatch(w, CC_WATCH_CLOSED);
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols cc_sender_protocol = {
	"cc-sender", sender_callback, 0, 0, 0, NULL, 0,
};

int cc_sender_watch_start(struct cc_sender *s, struct cc_sender_watch *w, int fd,
			  void (*on_event)(struct cc_sender_watch *, enum cc_watch_event))
{
	w->s = s;
	w->on_event = on_event;
	w->fd = -1;
	w->wsi = NULL;
	if (fd < 0)
		return -1;
	w->wsi = cc_loop_adopt_fd(s->vh, cc_sender_protocol.name, fd, w);
	if (!w->wsi)
		return -1;
	w->fd = fd;
	return 0;
}

void cc_sender_watch_stop(struct cc_sender_watch *w)
{
	lws_sul_cancel(&w->rearm_sul);
	if (!w->wsi)
		return;
	cc_loop_release(w->wsi);
	w->wsi = NULL;
	w->fd = -1;
}

static void rearm_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_sender_watch *w = lws_container_of(sul, struct cc_sender_watch, rearm_sul);

	if (w->wsi)
		lws_callback_on_writable(w->wsi);
}

void cc_sender_watch_want_write(struct cc_sender_watch *w)
{
	if (!w->wsi)
		return;
	if (w->wsi == w->s->writable_wsi)
		lws_sul_schedule(w->s->ctx, 0, &w->rearm_sul, rearm_fired, 0);
	else
		lws_callback_on_writable(w->wsi);
}

void cc_sender_watch_want_read(struct cc_sender_watch *w, bool on)
{
	if (w->wsi)
		lws_rx_flow_control(w->wsi, on ? 1 : 0);
}

/* ---- jobs --------------------------------------------------------------------------------- */

void cc_sender_job_add(struct cc_sender *s, struct cc_sender_job *j, cc_send_done done, void *arg,
		       void (*release)(struct cc_sender_job *))
{
	j->s = s;
	j->done = done;
	j->arg = arg;
	j->release = release;
	j->prev = NULL;
	j->next = s->jobs;
	if (s->jobs)
		s->jobs->prev = j;
	s->jobs = j;
	s->in_flight++;
}

static void job_remove(struct cc_sender *s, struct cc_sender_job *j)
{
	lws_sul_cancel(&j->later_sul);
	free(j->later_detail);
	j->later_detail = NULL;
	if (j->prev)
		j->prev->next = j->next;
	else
		s->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	s->in_flight--;
}

void cc_sender_job_finish(struct cc_sender_job *j, bool ok, const char *detail)
{
	struct cc_sender *s = j->s;
	cc_send_done done = j->done;
	void *arg = j->arg;
	char *copy = cc_xstrdup(detail ? detail : "");

	job_remove(s, j);
	j->release(j);
	if (done)
		done(arg, ok, copy);
	free(copy);
}

static void later_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_sender_job *j = lws_container_of(sul, struct cc_sender_job, later_sul);
	struct cc_sender *s = j->s;
	char *detail = j->later_detail;

	j->later_detail = NULL;
	cc_sender_enter(s);
	cc_sender_job_finish(j, false, detail);
	free(detail);
	cc_sender_leave(s);
}

void cc_sender_job_fail_later(struct cc_sender_job *j, const char *detail)
{
	free(j->later_detail);
	j->later_detail = cc_xstrdup(detail);
	lws_sul_schedule(j->s->ctx, 0, &j->later_sul, later_fired, 0);
}

/* ---- lifetime ----------------------------------------------------------------------------- */

bool cc_sender_async_dns(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && (v->features & CURL_VERSION_ASYNCHDNS);
}

struct cc_sender *cc_sender_create(const struct cc_loop *loop)
{
	struct cc_sender *s;

	if (!loop || !loop->ctx || !loop->vh)
		return NULL;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	s = cc_xcalloc(1, sizeof *s);
	s->ctx = loop->ctx;
	s->vh = loop->vh;
	s->use_pidfd = true;
	signal(SIGPIPE, SIG_IGN);
	if (cc_sender_curl_init(s)) {
		free(s);
		curl_global_cleanup();
		return NULL;
	}
	if (!cc_sender_async_dns())
		cc_warn("this libcurl resolves host names synchronously: a slow DNS server will "
			"stall the event loop during webhook and e-mail delivery");
	return s;
}

static void free_sender(struct cc_sender *s)
{
	free(s);
	curl_global_cleanup();
}

void cc_sender_destroy(struct cc_sender *s)
{
	if (!s || s->dying)
		return;
	s->dying = true;
	while (s->jobs) {
		struct cc_sender_job *j = s->jobs;
		job_remove(s, j);
		j->release(j);
	}
	cc_sender_curl_cleanup(s);
	if (!s->depth)
		free_sender(s);
}

void cc_sender_enter(struct cc_sender *s) { s->depth++; }

bool cc_sender_leave(struct cc_sender *s)
{
	if (--s->depth == 0 && s->dying) {
		free_sender(s);
		return true;
	}
	return false;
}

size_t cc_sender_in_flight(const struct cc_sender *s) { return s ? s->in_flight : 0; }

/* ---- text --------------------------------------------------------------------------------- */

size_t cc_sender_utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	/* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

size_t cc_sender_tidy(char *out, size_t cap, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = strnlen(out, cap ? cap - 1 : 0);
	size_t start = o;
	bool brk = false;

	if (!cap)
		return 0;
	for (size_t i = 0; i < len;) {
		size_t n;
		char one;

		if (p[i] == '\r' || p[i] == '\n') {
			brk = true;
			i++;
			continue;
		}
		if (brk && o > start) {
			if (o + 2 >= cap)
				break;
			out[o++] = ';';
			out[o++] = ' ';
		}
		brk = false;
		n = cc_sender_utf8_seq(p + i, len - i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			one = ' ';
		} else if (n == 0) {
			one = '?';
			n = 1;
		} else {
			if (o + n >= cap)
				break;
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		if (o + 1 >= cap)
			break;
		if (!(one == ' ' && (o == start || out[o - 1] == ' ')))
			out[o++] = one;
		i += n;
	}
	while (o > start && (out[o - 1] == ' ' || out[o - 1] == ';'))
		o--;
	out[o] = '\0';
	return o;
}

bool cc_sender_header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}
