/* The event loop as every module sees it: lws 4.1 gives no way from a vhost back to its
 * context, and both are needed (timers want the context, adopted sockets the vhost). */
#ifndef CC_LOOP_H
#define CC_LOOP_H

#include <libwebsockets.h>

struct cc_loop {
	struct lws_context *ctx;
	struct lws_vhost *vh;
};

#endif
