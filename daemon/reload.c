#include "reload.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static size_t keep_text(char **next, const char *running, const char *key,
			void (*changed)(const char *, void *), void *arg)
{
	if (same_text(*next, running))
		return 0;
	free(*next);
	*next = running ? cc_xstrdup(running) : NULL;
	changed(key, arg);
	return 1;
}

static size_t keep_int(int *next, int running, const char *key,
		       void (*changed)(const char *, void *), void *arg)
{
	if (*next == running)
		return 0;
	*next = running;
	changed(key, arg);
	return 1;
}

size_t cc_reload_keep_restart_only(struct cc_config *next, const struct cc_config *running,
				   void (*changed)(const char *key, void *arg), void *arg)
{
	size_t n = 0;

	n += keep_text(&next->listen_address, running->listen_address, "listen_address", changed,
		       arg);
	n += keep_int(&next->listen_port, running->listen_port, "listen_port", changed, arg);
	n += keep_text(&next->hub, running->hub, "hub", changed, arg);
	n += keep_text(&next->web_root, running->web_root, "web_root", changed, arg);
	n += keep_int(&next->fanout_threads, running->fanout_threads, "fanout_threads", changed,
		      arg);
	n += keep_int(&next->fanout_batch, running->fanout_batch, "fanout_batch", changed, arg);
	/* lws sized its header buffer (twice this) and set its idle timeouts at start */
	n += keep_int(&next->max_header_bytes, running->max_header_bytes, "max_header_bytes",
		      changed, arg);
	n += keep_int(&next->handshake_timeout_s, running->handshake_timeout_s,
		      "handshake_timeout_s", changed, arg);
	/* the vhost is found by these names when its certificate is reloaded; TLS on or off is
	 * a different listening socket */
	n += keep_text(&next->tls_cert_file, running->tls_cert_file, "tls_cert_file", changed, arg);
	n += keep_text(&next->tls_key_file, running->tls_key_file, "tls_key_file", changed, arg);
	return n;
}
