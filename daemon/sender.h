/* Outgoing notifications (webhook, e-mail, exec) that run on the one event loop without
 * blocking it: libcurl's multi socket interface for HTTP and SMTP, child processes with watched
 * pipes for exec. The alert engine's delivery loop hands work here and hears back through a
 * callback; see docs/sender.md.
 *
 * Rules for callers:
 * - The vhost in the loop must carry cc_sender_protocol (cc_httpd_protocols does).
 * - done is never called from inside the cc_sender_* call that started the work; it is called
 *   exactly once, later, from the loop, unless the sender is destroyed first.
 * - detail is valid UTF-8 without control characters, at most a few KiB; it lives only for the
 *   duration of the callback. done may start new work or destroy the sender.
 * - Destroy the sender before the lws context. */
#ifndef CC_SENDER_H
#define CC_SENDER_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>

extern const struct lws_protocols cc_sender_protocol;

struct cc_sender;

/* NULL if libcurl cannot be set up. Ignores SIGPIPE for the process (as the daemon does): with
 * CURLOPT_NOSIGNAL a peer closing a TLS connection mid-write must be an error, not a signal. */
struct cc_sender *cc_sender_create(const struct cc_loop *loop);

/* Cancels work in flight: transfers are dropped, children killed (SIGKILL to their process
 * group) and reaped. No callback is called. NULL is fine. */
void cc_sender_destroy(struct cc_sender *s);

/* ok: delivered (HTTP 2xx / SMTP accepted / exit status 0). detail: for people and the delivery
 * log (HTTP status and the first 200 bytes of the body, the SMTP or connection error, the exit
 * status with the tails of stderr and stdout). */
typedef void (*cc_send_done)(void *arg, bool ok, const char *detail);

/* timeout_ms <= 0 means CC_SENDER_DEFAULT_TIMEOUT_MS; it bounds the whole delivery. */
#define CC_SENDER_DEFAULT_TIMEOUT_MS 30000

/* POST body to url (http:// or https:// only; redirects are not followed, so 3xx is a failure)
 * with Content-Type: application/json, User-Agent: commcelld, X-Commcell-Dedup-Key: dedup_key
 * (omitted when NULL or empty) and, when secret is non-NULL, X-Commcell-Signature:
 * sha256=<lowercase hex HMAC-SHA256(secret, body)>.
 * Returns -1 without calling done for bad arguments (NULL url or body, a dedup key with control
 * characters) or when the transfer cannot be set up; 0 otherwise. */
int cc_sender_webhook(struct cc_sender *s, const char *url, const char *body,
		      const char *dedup_key, const char *secret, int timeout_ms, cc_send_done done,
		      void *arg);

struct cc_smtp_config {
	const char *url;        /* smtp://host:port or smtps://host:port */
	const char *from;       /* a bare address: alerts@example.org */
	const char *user;       /* NULL: no AUTH */
	const char *password;
	bool starttls;          /* smtp:// only: require STARTTLS (fail if the server lacks it) */
};

/* One text/plain UTF-8 message to one bare address, with From, To, Subject (RFC 2047 encoded
 * when not plain ASCII), Date, Message-ID, MIME headers, Auto-Submitted: auto-generated and
 * X-Commcell-Dedup-Key. Returns -1 for bad arguments (missing or malformed addresses, a dedup
 * key with control characters) or when the transfer cannot be set up. */
int cc_sender_email(struct cc_sender *s, const struct cc_smtp_config *cfg, const char *to,
		    const char *subject, const char *text, const char *dedup_key, int timeout_ms,
		    cc_send_done done, void *arg);

/* Run argv[0] (PATH search, no shell) in its own process group with stdin_json on stdin and
 * default signal dispositions; after timeout_ms SIGTERM goes to the group, and SIGKILL 2 s
 * later. ok when it exits 0 in time. Returns -1 for bad arguments or when pipes cannot be made
 * (out of fds); a command that cannot be started is reported through done. */
int cc_sender_exec(struct cc_sender *s, const char *const *argv, const char *stdin_json,
		   int timeout_ms, cc_send_done done, void *arg);

/* cc_sender_exec with env, a NULL-terminated list of "COMMCELL_NAME=value" strings (or NULL),
 * added to the child's clean environment: the alert in words for a script that reads no JSON.
 * Any other name (PATH, HOME, ...) is refused: -1. The strings need live only for the call. */
int cc_sender_exec_env(struct cc_sender *s, const char *const *argv, const char *const *env,
		       const char *stdin_json, int timeout_ms, cc_send_done done, void *arg);

/* Deliveries started and not yet reported. */
size_t cc_sender_in_flight(const struct cc_sender *s);

/* Whether libcurl resolves names without blocking the caller (threaded resolver or c-ares).
 * Debian's libcurl4 uses the threaded resolver; cc_sender_create logs a warning otherwise. */
bool cc_sender_async_dns(void);

#endif
