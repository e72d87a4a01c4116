/*
 * Logging: one line per event on stderr, with UTC time and level. Messages carry text from
 * outside (user names, paths, headers, partner rows), so every message is escaped on its way
 * out: a line on stderr is always exactly one event.
 */
#ifndef CC_LOG_H
#define CC_LOG_H

#include <stddef.h>

enum cc_log_level { CC_LOG_ERROR = 0, CC_LOG_WARN, CC_LOG_INFO, CC_LOG_DEBUG };

/* The threshold is the one piece of process-wide state outside the app context: it is set at
 * start-up and on a reload (SIGHUP), both on the loop thread, and every module must be able to
 * log without a handle. (The worker threads, pwhash and fan-out, never log.) */
void cc_log_set_level(enum cc_log_level level);
enum cc_log_level cc_log_get_level(void);
int cc_log_level_parse(const char *name, enum cc_log_level *out);
const char *cc_log_level_name(enum cc_log_level level);

void cc_log(enum cc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy the len bytes at src into dst (dstlen bytes, always terminated) with newline, CR and tab
 * as \n \r \t, a backslash doubled, other control bytes and bytes that are not part of
 * well-formed UTF-8 as \xNN, C1 controls as \uNNNN. Cuts only between whole escapes or
 * characters when dst is too small (4 * len + 1 always suffices). Returns the length written. */
size_t cc_log_escape(char *dst, size_t dstlen, const char *src, size_t len);

#define cc_error(...) cc_log(CC_LOG_ERROR, __VA_ARGS__)
#define cc_warn(...)  cc_log(CC_LOG_WARN, __VA_ARGS__)
#define cc_info(...)  cc_log(CC_LOG_INFO, __VA_ARGS__)
#define cc_debug(...) cc_log(CC_LOG_DEBUG, __VA_ARGS__)

/* Route libwebsockets' own log lines through cc_log at a matching level. */
void cc_log_hook_lws(void);

#endif
