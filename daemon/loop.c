#include "loop.h"

#include <string.h>
#include <unistd.h>

struct lws *cc_loop_adopt_fd(struct lws_vhost *vh, const char *protocol, int fd, void *opaque)
{
	lws_adopt_desc_t info;
	struct lws *wsi;

	memset(&info, 0, sizeof info);
	info.vh = vh;
	info.type = LWS_ADOPT_RAW_FILE_DESC;
	info.fd.filefd = fd;
	info.vh_prot_name = protocol;
	info.opaque = opaque;
	wsi = lws_adopt_descriptor_vhost_via_info(&info);
	if (!wsi)
		close(fd);
	return wsi;
}

void cc_loop_release(struct lws *wsi)
{
	lws_set_opaque_user_data(wsi, NULL);
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}
