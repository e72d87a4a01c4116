/* The bootstrap file: the only local configuration. Everything else lives in the hub. */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H

#include "log.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_config {
	char *listen_address;      /* NULL: every interface */
	int listen_port;
	char *hub;                 /* libpq conninfo of the hub database */
	char *web_root;            /* directory served at / */
	enum cc_log_level log_level;
	int history_retention_days;
	int backfill_days;         /* query feeds' history filled from partners' rows this far back */
	bool allow_anonymous_display;  /* read the board without signing in (default false) */
	char *public_url;          /* base of links in alert messages; NULL: http://localhost:PORT */
	char *smtp_url;            /* NULL: no e-mail */
	char *smtp_from;
	char *smtp_user;
	char *smtp_password_file;
	bool smtp_starttls;
	int fanout_threads;        /* threads sending one broadcast; -1: one per CPU; 0: via lws only */
	int fanout_batch;          /* fewest clients worth a thread of their own */

	/* Who is believed and who may connect (docs/security.md) */
	struct cc_cidrs *trusted_proxies;  /* X-Forwarded-For/-Proto believed only from these */
	char **allowed_origins;    /* browser origins besides public_url's ("https://host:port") */
	size_t n_allowed_origins;
	struct cc_cidrs *metrics_allow;    /* may read /metrics and /readyz detail (default loopback) */
	char *metrics_token_file;  /* or anyone showing this bearer token; NULL: none */
	int max_connections;       /* open connections in all */
	int max_connections_per_address;   /* per client address; trusted proxies exempt */
	int max_header_bytes;      /* request headers in all: 431 past this */
	int max_uri_bytes;         /* request line's URI: 414 past this */
	int max_body_bytes;        /* API request bodies: 413 past this */
	int handshake_timeout_s;   /* time to send a whole request head or finish an upgrade */
	int ws_max_message_bytes;  /* a client's WebSocket message: closed with 1009 past this */
	int ws_messages_per_s;     /* sustained rate of client messages; bursts of twice as many */

	/* https and wss on listen_port (both or neither; the key checked against the certificate) */
	char *tls_cert_file;       /* PEM certificate, chain after it; NULL: plain http */
	char *tls_key_file;        /* PEM private key of that certificate */
};

/* Parse FILE. On failure returns NULL and writes "FILE:LINE: message" into err. */
struct cc_config *cc_config_load(const char *path, char *err, size_t errlen);

/* Same, from text already in memory; name is used in messages. */
struct cc_config *cc_config_parse(const char *name, const char *text, char *err, size_t errlen);

void cc_config_destroy(struct cc_config *cfg);

/* public_url, or what stands for it: https://localhost:PORT with TLS, else http://. malloc'd. */
char *cc_config_public_base(const struct cc_config *cfg);

#endif
