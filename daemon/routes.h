/* The JSON API: every route in one table, each handled by the module that owns its data. */
#ifndef CC_ROUTES_H
#define CC_ROUTES_H

#include "request.h"

/* Terminated by an entry with path NULL. */
extern const struct cc_route cc_routes[];

#endif
