/* Inside the sender: the object, the jobs it runs, and descriptors it watches on the loop.
 * Shared by sender.c (core), sender_curl.c (libcurl on the loop), sender_http.c, sender_smtp.c
 * and sender_exec.c. Not for other modules. */
#ifndef CC_SENDER_INT_H
#define CC_SENDER_INT_H

#include "sender.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_sender_watch;
struct cc_sender_job;
struct cc_curl_sock;

struct cc_sender {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct cc_sender_job *jobs;     /* in flight */
	size_t in_flight;
	int depth;                      /* loop entries under way (cc_sender_enter) */
	bool dying;                     /* destroyed inside a callback: free at the last leave */
	struct lws *writable_wsi;       /* the wsi whose WRITABLE callback is running */
	bool use_pidfd;                 /* exec: wait for children with pidfd (else poll) */

	/* libcurl */
	CURLM *multi;
	struct cc_curl_sock *socks;     /* sockets curl asked us to watch */
	lws_sorted_usec_list_t curl_timer_sul;
	lws_sorted_usec_list_t orphan_sul;
};

enum cc_watch_event { CC_WATCH_READABLE, CC_WATCH_WRITABLE, CC_WATCH_CLOSED };

/* One descriptor adopted into lws as a raw file. lws owns (and closes) the descriptor it is
 * given; callers that must keep their own hand a dup. CLOSED means lws dropped the watch by
 * itself (hang-up, context going away); its handler must not adopt descriptors or call into
 * libcurl directly, only note it and schedule work. */
struct cc_sender_watch {
	struct cc_sender *s;
	struct lws *wsi;            /* NULL: not watched */
	int fd;                     /* the descriptor lws watches, valid while wsi is set */
	void (*on_event)(struct cc_sender_watch *w, enum cc_watch_event ev);
	lws_sorted_usec_list_t rearm_sul;
};

/* Adopt fd (ownership passes, also on failure: fd is closed). 0 or -1. */
int cc_sender_watch_start(struct cc_sender *s, struct cc_sender_watch *w, int fd,
			  void (*on_event)(struct cc_sender_watch *, enum cc_watch_event));
/* Drop the watch (lws closes the descriptor on its next turn); no more events. Idempotent. */
void cc_sender_watch_stop(struct cc_sender_watch *w);
/* Ask for one WRITABLE event. */
void cc_sender_watch_want_write(struct cc_sender_watch *w);
/* Enable or disable READABLE events. */
void cc_sender_watch_want_read(struct cc_sender_watch *w, bool on);

/* A delivery in flight. Each kind embeds this first and supplies release(), which frees
 * everything the job holds (killing a child, dropping a transfer) without calling done. */
struct cc_sender_job {
	struct cc_sender_job *prev, *next;
	struct cc_sender *s;
	cc_send_done done;
	void *arg;
	void (*release)(struct cc_sender_job *j);
	lws_sorted_usec_list_t later_sul;
	char *later_detail;
};

void cc_sender_job_add(struct cc_sender *s, struct cc_sender_job *j, cc_send_done done, void *arg,
		       void (*release)(struct cc_sender_job *));
/* Unlink, release, then call done (detail is copied first, so it may live in the job). */
void cc_sender_job_finish(struct cc_sender_job *j, bool ok, const char *detail);
/* Finish with ok=false from the loop's next turn (done is never called from the call that
 * started the work). */
void cc_sender_job_fail_later(struct cc_sender_job *j, const char *detail);

/* Every entry from the loop (lws callback, timer) brackets its work with these so that done
 * may destroy the sender: destroy inside cancels everything at once and the outermost leave
 * frees the object. leave returns true when s is gone. */
void cc_sender_enter(struct cc_sender *s);
bool cc_sender_leave(struct cc_sender *s);

/* Append in[0..len) to out (capacity cap, always terminated) as people-readable text: valid
 * UTF-8 kept, invalid bytes as '?', line breaks as "; ", other control characters as spaces,
 * leading/trailing blanks dropped. Returns the new length of out. */
size_t cc_sender_tidy(char *out, size_t cap, const char *in, size_t len);

/* Length of the valid UTF-8 sequence at p (1 for ASCII), 0 when invalid or cut short. */
size_t cc_sender_utf8_seq(const unsigned char *p, size_t avail);

/* True when s is free of CR, LF and other control characters (safe in a header). */
bool cc_sender_header_safe(const char *s);

/* ---- libcurl on the loop (sender_curl.c) ---- */

struct cc_curl_job {
	struct cc_sender_job base;
	CURL *easy;
	bool attached;              /* added to the multi handle */
	struct curl_slist *headers;
	struct curl_slist *rcpt;
	char *payload;              /* request body or message; sent from payload_off */
	size_t payload_len, payload_off;
	char errbuf[CURL_ERROR_SIZE];
	char body[201];             /* first 200 bytes of the response body */
	size_t body_len;
	size_t body_seen;
	bool body_cut;              /* stopped reading a body that was too long */
	char reply[256];            /* SMTP: the server's last 4xx/5xx reply */
	/* decide ok/detail when the transfer ends */
	void (*judge)(struct cc_curl_job *j, CURLcode rc, bool *ok, char *detail, size_t len);
};

int cc_sender_curl_init(struct cc_sender *s);
void cc_sender_curl_cleanup(struct cc_sender *s);     /* transfers already released */
/* New job with an easy handle carrying the options every transfer shares. */
struct cc_curl_job *cc_sender_curl_job_new(struct cc_sender *s, int timeout_ms);
/* Free a job that was never started. */
void cc_sender_curl_job_free(struct cc_curl_job *j);
/* Add to the multi handle and register. On failure (-1) the job is freed, done not called. */
int cc_sender_curl_start(struct cc_sender *s, struct cc_curl_job *j, cc_send_done done, void *arg);
/* "what went wrong" for a failed transfer: curl's message plus the system error when useful. */
void cc_sender_curl_error(struct cc_curl_job *j, CURLcode rc, char *detail, size_t len);

/* ---- exec (sender_exec.c) ---- */
/* Children are reaped when their pidfd turns readable; where pidfd_open is refused (old kernel,
 * seccomp) a 50 ms timer polls waitid instead. Tests set use_pidfd = false to cover that path. */

#endif
