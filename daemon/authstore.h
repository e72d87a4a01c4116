/*
 * Who is signed in: the live sessions and device tokens, kept in memory and reloaded from the hub
 * whenever it NOTIFYs commcell_auth (sql/hub/010_auth.sql). Identifying a request or a WebSocket
 * upgrade is then a synchronous lookup, which the upgrade needs (lws asks for a yes or no in the
 * callback) and which keeps 10,000 reconnecting displays off the database. Several commcelld
 * instances share the hub tables; each follows them through the same NOTIFY.
 *
 * The store has its own hub connection, so sign-ins and reloads never queue behind history
 * writes, and it owns the password hashing worker.
 */
#ifndef CC_AUTHSTORE_H
#define CC_AUTHSTORE_H

#include "loop.h"
#include "pgconn.h"
#include "pwhash.h"
#include "request.h"
#include "secret.h"

#include <stdbool.h>
#include <stdint.h>

struct cc_authstore;

/* How long a session lasts: a user's for a shift, a display's (from a device token) until its
 * token is revoked (browsers cap cookies at 400 days). */
#define CC_SESSION_USER_S (12 * 3600)
#define CC_SESSION_DEVICE_S (400 * 24 * 3600)

struct cc_identity {
	enum cc_role role;
	char user[128];                 /* user name, or a device token's label */
	bool device;                    /* a wall display signed in with a device token */
	int token_id;                   /* the device token's id, 0 for users */
	char session[CC_SECRET_HASH_LEN + 1];   /* hash of the session token, "" for none */
	char csrf[CC_SECRET_TEXT_LEN + 1];      /* the session's CSRF token, "" for none */
	int64_t expires_ms;
};

struct cc_authstore *cc_authstore_create(const struct cc_loop *loop, const char *hub_conninfo,
					 bool allow_anonymous_display, char *err, size_t errlen);
void cc_authstore_destroy(struct cc_authstore *s);
void cc_authstore_start(struct cc_authstore *s);

/* The first load from the hub is done (before it, nobody is signed in). */
bool cc_authstore_loaded(const struct cc_authstore *s);
bool cc_authstore_anonymous_display(const struct cc_authstore *s);
/* A reload changed allow_anonymous_display: anonymous boards open now are checked again (and
 * closed when it went off) at their next message. */
void cc_authstore_set_anonymous_display(struct cc_authstore *s, bool allow);
/* Changes each time sessions or tokens are reloaded or dropped: a holder of an identity checks
 * it again when this moves. */
unsigned cc_authstore_generation(const struct cc_authstore *s);

/* The session whose cookie value is token: true and *out filled, or false. */
bool cc_authstore_session(struct cc_authstore *s, const char *token, struct cc_identity *out);
/* A device token presented directly (Authorization: Bearer): true and *out filled. */
bool cc_authstore_device(struct cc_authstore *s, const char *token, struct cc_identity *out);
/* Is the identity still valid (session not ended, token not revoked)? */
bool cc_authstore_still_valid(struct cc_authstore *s, const struct cc_identity *id);

/*
 * A session cookie this instance does not know may belong to a session another instance created
 * a moment ago, before the NOTIFY that reloads this one: look for it in the hub, keep it when
 * it is live, then call done(arg). False (and done not called) when there is nothing to look
 * for: a malformed token, one already known, or no hub connection.
 */
bool cc_authstore_fetch_session(struct cc_authstore *s, const char *token,
				void (*done)(void *arg), void *arg);

/* A session this instance just created in the hub: known at once, before the NOTIFY arrives. */
void cc_authstore_add(struct cc_authstore *s, const struct cc_identity *id);
/* A session this instance just ended. */
void cc_authstore_drop(struct cc_authstore *s, const char *session_hash);
/* Every session of this user, which the hub has just ended (password changed, user disabled):
 * gone here at once, before the NOTIFY's reload, and open WebSockets see the generation move. */
void cc_authstore_drop_user(struct cc_authstore *s, const char *user);

struct cc_pgconn *cc_authstore_conn(struct cc_authstore *s);
struct cc_pwhash *cc_authstore_hasher(struct cc_authstore *s);

#endif
