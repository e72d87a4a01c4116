/*
 * The daemon's top-level context: the one place that owns everything (config, the lws loop,
 * hub, partners, board, fan-out) and wires their events together.
 */
#ifndef CC_APP_H
#define CC_APP_H

#include "authstore.h"
#include "board.h"
#include "bus.h"
#include "config.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_app;
struct cc_alerts;

/*
 * The HTTP and WebSocket front the app serves through. The front calls into the app (handlers
 * read the board, the bus, the auth store), so the app must not know the front: the composition
 * root (main.c) makes one and hands it over here.
 */
struct cc_app_front {
	void *front;
	/* Fills the protocols and the limits lws enforces itself; the vhost owns front once a
	 * context is created from info. */
	void (*setup)(void *front, struct lws_context_creation_info *info);
	/* A reloaded configuration (valid until the next call); -1 with err: nothing changed. */
	int (*set_config)(void *front, const struct cc_config *cfg, char *err, size_t errlen);
	const struct lws_protocols *ws_protocol;   /* the board's WebSocket protocol */
	int (*direct_ok)(struct lws *wsi);         /* the bus's gate for direct fan-out sends */
};

/* Takes cfg and front over in every case (when the context cannot be created front is left to
 * the exiting process, as lws may or may not have destroyed it). config_path (copied) is the
 * file cfg came from: SIGHUP reads it again. */
struct cc_app *cc_app_create(struct cc_config *cfg, const char *config_path,
			     const struct cc_app_front *front, char *err, size_t errlen);
void cc_app_destroy(struct cc_app *app);

/* Run the event loop until SIGINT/SIGTERM. Returns 0 on a clean stop. */
int cc_app_run(struct cc_app *app);
void cc_app_stop(struct cc_app *app);

/* For the HTTP and WebSocket handlers. */
struct cc_bus *cc_app_bus(struct cc_app *app);
struct cc_board *cc_app_board(struct cc_app *app);
const struct cc_catalog *cc_app_catalog(struct cc_app *app);   /* NULL before the first load */
struct cc_pgconn *cc_app_hub_conn(struct cc_app *app);
struct cc_alerts *cc_app_alerts(struct cc_app *app);
bool cc_app_leading(struct cc_app *app);
const char *cc_app_instance(struct cc_app *app);
struct cc_authstore *cc_app_auth(struct cc_app *app);
bool cc_app_ready(struct cc_app *app, char *why, size_t len);
json_t *cc_app_feeds_json(struct cc_app *app);
char *cc_app_prometheus(struct cc_app *app);   /* malloc'd */

#endif
