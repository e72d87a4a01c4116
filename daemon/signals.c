#include "signals.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct watch {
	void (*on_signal)(int signo, void *user);
	void *user;
};

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct watch *w = lws_get_opaque_user_data(wsi);
	struct signalfd_siginfo si;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (read(lws_get_socket_fd(wsi), &si, sizeof si) == (ssize_t)sizeof si && w)
			w->on_signal((int)si.ssi_signo, w->user);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		free(w);
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols cc_signals_protocol = {
	"cc-signals", callback, 0, 0, 0, NULL, 0,
};

int cc_signals_watch(struct lws_vhost *vh, void (*on_signal)(int signo, void *user), void *user)
{
	lws_adopt_desc_t info;
	struct watch *w;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	/* A peer closing mid-write must be an error on that socket, not the end of the daemon. */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	w = cc_xcalloc(1, sizeof *w);
	w->on_signal = on_signal;
	w->user = user;
	memset(&info, 0, sizeof info);
	info.vh = vh;
	info.type = LWS_ADOPT_RAW_FILE_DESC;
	info.fd.filefd = fd;
	info.vh_prot_name = cc_signals_protocol.name;
	info.opaque = w;
	if (!lws_adopt_descriptor_vhost_via_info(&info)) {
		close(fd);  /* lws 4.1 leaves a raw file's descriptor open when adoption fails */
		free(w);
		return -1;
	}
	return 0;
}
