/* The JSON API: every route in one table, each handled by the module that owns its data. */
#ifndef CC_ROUTES_H
#define CC_ROUTES_H

#include "request.h"

#include <stdbool.h>

/* Terminated by an entry with path NULL. */
extern const struct cc_route cc_routes[];

/* The route for method and path, with *tail the part of path after a prefix route ("" for an
 * exact one); NULL when there is none, with *path_known telling whether another method would
 * have matched (405 rather than 404). A prefix route needs a non-empty tail. */
const struct cc_route *cc_route_find(const char *method, const char *path, const char **tail,
				     bool *path_known);

#endif
