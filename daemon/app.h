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
#include <stdbool.h>
#include <stddef.h>

struct cc_app;
struct cc_alerts;

struct cc_app *cc_app_create(const struct cc_config *cfg, char *err, size_t errlen);
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
