/* Logging: one line per event on stderr, with UTC time and level. */
#ifndef CC_LOG_H
#define CC_LOG_H

enum cc_log_level { CC_LOG_ERROR = 0, CC_LOG_WARN, CC_LOG_INFO, CC_LOG_DEBUG };

/* The threshold is the one piece of process-wide state outside the app context: it is set once
 * at start-up, before the loop runs, and every module must be able to log without a handle. */
void cc_log_set_level(enum cc_log_level level);
enum cc_log_level cc_log_get_level(void);
int cc_log_level_parse(const char *name, enum cc_log_level *out);
const char *cc_log_level_name(enum cc_log_level level);

void cc_log(enum cc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cc_error(...) cc_log(CC_LOG_ERROR, __VA_ARGS__)
#define cc_warn(...)  cc_log(CC_LOG_WARN, __VA_ARGS__)
#define cc_info(...)  cc_log(CC_LOG_INFO, __VA_ARGS__)
#define cc_debug(...) cc_log(CC_LOG_DEBUG, __VA_ARGS__)

/* Route libwebsockets' own log lines through cc_log at a matching level. */
void cc_log_hook_lws(void);

#endif
