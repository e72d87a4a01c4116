/*
 * Messages a WebSocket client sends (commcell.v1): parsed here, apart from the transport, so
 * the parser can be fuzzed. Anything a client sends yields a kind and, for an error, text that
 * is always valid UTF-8 and fits err: the reply built from it can never fail to encode.
 */
#ifndef CC_WSMSG_H
#define CC_WSMSG_H

#include <stddef.h>

enum cc_wsmsg_kind { CC_WSMSG_PING, CC_WSMSG_ERROR };

/* text: len bytes, not necessarily terminated nor valid UTF-8. On CC_WSMSG_ERROR err (errlen
 * bytes, at least 1) says what was wrong; on CC_WSMSG_PING err is "". */
enum cc_wsmsg_kind cc_wsmsg_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
