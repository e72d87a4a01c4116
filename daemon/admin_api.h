/*
 * Admin endpoints: users (GET/POST /api/users, POST /api/users/{name}) and device tokens
 * (GET/POST /api/tokens, DELETE /api/tokens/{id}). Each change and its audit row are one hub
 * statement, so neither can exist without the other.
 */
#ifndef CC_ADMIN_API_H
#define CC_ADMIN_API_H

#include "request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A password an admin may set: at least this long. */
#define CC_PASSWORD_MIN 10

/* A user's fields from a POST /api/users (create) or /api/users/{name} (update) body. */
struct cc_user_change {
	char name[80];             /* create only: from the body (an update's is in the path) */
	char role[16];
	bool has_role;
	int disabled;              /* -1: unchanged */
	const char *password;      /* borrowed from the body; NULL: unchanged */
};

/* Checks a body without touching anything else: 0 with *out filled, or -1 with the reason for
 * the caller (valid UTF-8, cut to errlen) in err. */
int cc_admin_user_parse(const json_t *body, bool create, struct cc_user_change *out, char *err,
			size_t errlen);

/* The label of a new device token (POST /api/tokens), borrowed from body; NULL with the reason
 * in err when there is none fit to use. */
const char *cc_admin_token_label(const json_t *body, char *err, size_t errlen);

void cc_admin_api_users(struct cc_request *r);
void cc_admin_api_user_create(struct cc_request *r);
void cc_admin_api_user_update(struct cc_request *r);
void cc_admin_api_tokens(struct cc_request *r);
void cc_admin_api_token_create(struct cc_request *r);
void cc_admin_api_token_revoke(struct cc_request *r);

#endif
