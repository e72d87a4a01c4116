/*
 * Slow password hashing off the event loop. libsodium's crypto_pwhash (Argon2id, its
 * "interactive" cost: 64 MiB, about a tenth of a second) would stall every display for that long
 * if it ran on the loop thread, so one worker thread does it. Jobs go in a bounded queue; the
 * worker hands each result back through a done list and lws_cancel_service(), and the loop calls
 * the job's callback from LWS_CALLBACK_EVENT_WAIT_CANCELLED. Callbacks therefore always run on the
 * loop thread. One worker, not more: sign-ins are rare, and a burst of guesses must queue rather
 * than take every core and 64 MiB each.
 */
#ifndef CC_PWHASH_H
#define CC_PWHASH_H

#include <libwebsockets.h>
#include <stdbool.h>

struct cc_pwhash;

/* verify: ok says whether the password matched. hash: ok is true and hash is the new string.
 * err is set (and ok false) when the work could not be done at all. */
typedef void (*cc_pwhash_cb)(bool ok, const char *hash, const char *err, void *arg);

struct cc_pwhash *cc_pwhash_create(struct lws_context *ctx, char *err, size_t errlen);
/* Stops the worker; jobs not done yet are answered with err "shutting down". */
void cc_pwhash_destroy(struct cc_pwhash *ph);

/* Check password against a stored crypto_pwhash_str string. stored NULL: spend the same time
 * and answer false (an unknown user must not be told apart by how fast the answer comes).
 * Returns 0, or -1 when the queue is full (cb not called). */
int cc_pwhash_verify(struct cc_pwhash *ph, const char *stored, const char *password,
		     cc_pwhash_cb cb, void *arg);
/* Make a new stored string for password. */
int cc_pwhash_hash(struct cc_pwhash *ph, const char *password, cc_pwhash_cb cb, void *arg);

/* The same hashing, synchronously, for the command line (commcelld --hash-password). */
int cc_pwhash_hash_now(const char *password, char *out, size_t len);

/* Jobs done so far and their total time in ms (for /metrics and measurements). */
void cc_pwhash_stats(const struct cc_pwhash *ph, unsigned long long *jobs,
		     unsigned long long *total_ms);

/* The lws protocol that receives the worker's wake-ups; add it to the vhost's list. */
extern const struct lws_protocols cc_pwhash_protocol;

#endif
