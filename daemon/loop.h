/* The event loop as every module sees it: lws 4.1 gives no way from a vhost back to its
 * context, and both are needed (timers want the context, adopted sockets the vhost). */
#ifndef CC_LOOP_H
#define CC_LOOP_H

#include <libwebsockets.h>

struct cc_loop {
	struct lws_context *ctx;
	struct lws_vhost *vh;
};

/* Watch fd (which lws then owns and closes) as a raw file of protocol on vh, with opaque as its
 * user data. NULL on failure, with fd closed: lws 4.1 leaves a raw file it failed to adopt open. */
struct lws *cc_loop_adopt_fd(struct lws_vhost *vh, const char *protocol, int fd, void *opaque);

/* Stop watching: the callback sees no more events for its owner (the opaque pointer is cleared
 * first, so the coming CLOSE is not taken for a failure) and lws closes it from the loop. */
void cc_loop_release(struct lws *wsi);

#endif
