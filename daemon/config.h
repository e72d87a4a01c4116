/* The bootstrap file: the only local configuration. Everything else lives in the hub. */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_config {
	char *listen_address;      /* NULL: every interface */
	int listen_port;
	char *hub;                 /* libpq conninfo of the hub database */
	char *web_root;            /* directory served at / */
	enum cc_log_level log_level;
	int history_retention_days;
	bool allow_anonymous_display;  /* read the board without signing in (default false) */
	char *public_url;          /* base of links in alert messages; NULL: http://localhost:PORT */
	char *smtp_url;            /* NULL: no e-mail */
	char *smtp_from;
	char *smtp_user;
	char *smtp_password_file;
	bool smtp_starttls;
	int fanout_threads;        /* threads sending one broadcast; -1: one per CPU; 0: via lws only */
	int fanout_batch;          /* fewest clients worth a thread of their own */
};

/* Parse FILE. On failure returns NULL and writes "FILE:LINE: message" into err. */
struct cc_config *cc_config_load(const char *path, char *err, size_t errlen);

/* Same, from text already in memory; name is used in messages. */
struct cc_config *cc_config_parse(const char *name, const char *text, char *err, size_t errlen);

void cc_config_destroy(struct cc_config *cfg);

#endif
