/*
 * Admin endpoints: users (GET/POST /api/users, POST /api/users/{name}) and device tokens
 * (GET/POST /api/tokens, DELETE /api/tokens/{id}). Each change and its audit row are one hub
 * statement, so neither can exist without the other.
 */
#ifndef CC_ADMIN_API_H
#define CC_ADMIN_API_H

#include "request.h"

/* A password an admin may set: at least this long. */
#define CC_PASSWORD_MIN 10

void cc_admin_api_users(struct cc_request *r);
void cc_admin_api_user_create(struct cc_request *r);
void cc_admin_api_user_update(struct cc_request *r);
void cc_admin_api_tokens(struct cc_request *r);
void cc_admin_api_token_create(struct cc_request *r);
void cc_admin_api_token_revoke(struct cc_request *r);

#endif
