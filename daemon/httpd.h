/*
 * HTTP and WebSocket front: the lws protocols of the one vhost. Static files come from the
 * web root; /healthz, /readyz, /metrics and /api/ are answered here; /ws speaks commcell.v1.
 */
#ifndef CC_HTTPD_H
#define CC_HTTPD_H

#include <libwebsockets.h>

#define CC_WS_PROTOCOL "commcell.v1"

/* NULL-terminated, for lws_context_creation_info.pprotocols. Index 1 is the WebSocket one. */
extern const struct lws_protocols *const cc_httpd_protocols[];
extern const struct lws_protocols cc_httpd_ws_protocol;

/* The bus's gate for sending a broadcast straight to this connection's socket. */
int cc_httpd_ws_direct_ok(struct lws *wsi);

/* Builds the mount list for web_root into storage owned by the caller. */
#define CC_HTTPD_MOUNTS 7
void cc_httpd_mounts(struct lws_http_mount mounts[CC_HTTPD_MOUNTS], const char *web_root);

#endif
