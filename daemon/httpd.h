/*
 * HTTP and WebSocket front: the lws protocols of the one vhost. The pages' files come from the
 * web root by an allow-list (webroot.h); /healthz, /readyz, /metrics and /api/ are answered
 * here; /ws speaks commcell.v1. The limits of the bootstrap file (connections, head, URI and
 * body sizes, head timeout, WebSocket message size and rate) are applied here.
 */
#ifndef CC_HTTPD_H
#define CC_HTTPD_H

#include "app.h"
#include "config.h"

#include <libwebsockets.h>

#define CC_WS_PROTOCOL "commcell.v1"

struct cc_httpd;
struct cc_access;

/* NULL-terminated: the protocols of the vhost as templates (cc_httpd_setup installs copies
 * that know their cc_httpd). Index 1 is the WebSocket one. */
extern const struct lws_protocols *const cc_httpd_protocols[];
extern const struct lws_protocols cc_httpd_ws_protocol;

/* NULL with a message in err when the web root or metrics_token_file cannot be read. */
struct cc_httpd *cc_httpd_create(const struct cc_config *cfg, char *err, size_t errlen);
/* Fills the protocol list and the limits lws enforces itself. Once a context is created from
 * info, the vhost owns h and destroys it when it ends. */
void cc_httpd_setup(struct cc_httpd *h, struct lws_context_creation_info *info);
/* A reloaded bootstrap file (cfg stays valid until the next call): origins, /metrics access
 * and token, connection limits and the limits read per request take effect for what comes
 * next. The header buffer, head timeout and TLS are lws's, fixed at start. -1 with a reason
 * (metrics_token_file unreadable) and nothing changed. */
int cc_httpd_set_config(struct cc_httpd *h, const struct cc_config *cfg, char *err,
			size_t errlen);
/* h as the app's front (app.h): what main.c hands to cc_app_create. */
void cc_httpd_front(struct cc_httpd *h, struct cc_app_front *out);
/* Only for an h never given to lws_create_context (when that fails h is left to leak: the
 * daemon is exiting, and lws may or may not have destroyed it). */
void cc_httpd_destroy(struct cc_httpd *h);

/* The bus's gate for sending a broadcast straight to this connection's socket. */
int cc_httpd_ws_direct_ok(struct lws *wsi);

#endif
