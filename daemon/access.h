/*
 * Who may do what at the transport, decided from the bootstrap file: which browser origins may
 * change things or open the board (a DNS-rebinding page carries its own Host header, so the
 * request's Host proves nothing), and who may read /metrics and the /readyz detail.
 */
#ifndef CC_ACCESS_H
#define CC_ACCESS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_access;

/* Reads metrics_token_file (at start and on each reload). NULL with a message in err when it
 * cannot. Origins without public_url are https:// ones when the port speaks TLS. */
struct cc_access *cc_access_create(const struct cc_config *cfg, char *err, size_t errlen);
void cc_access_destroy(struct cc_access *a);

/* An Origin header value this server's pages are served from: public_url's origin and each of
 * allowed_origins; without public_url, http://localhost, 127.0.0.1 and [::1] on listen_port.
 * Scheme and host compare without regard to case, and a default port may be left out. */
bool cc_access_origin_ok(const struct cc_access *a, const char *origin);

/* May the caller read /metrics and the /readyz detail: its address (the TCP peer) is in
 * metrics_allow, or authorization is "Bearer <the token in metrics_token_file>". */
bool cc_access_metrics_ok(const struct cc_access *a, const char *peer, const char *authorization);

#endif
