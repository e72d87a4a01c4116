#include "config.h"
#include "tls.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>

/*
 * Format: one "key = value" per line; '#' starts a comment line; blank lines ignored.
 * Values run to the end of the line (trailing spaces trimmed) so a libpq conninfo with spaces
 * needs no quoting. Each key may appear once: a repeated key is more likely a mistake than an
 * override.
 */

struct parse {
	const char *name;
	int line;
	char *err;
	size_t errlen;
	unsigned seen;
	int tls_line;               /* the later of the two TLS keys: where a bad pair is reported */
};

enum key_id {
	K_LISTEN_ADDRESS, K_LISTEN_PORT, K_HUB, K_WEB_ROOT, K_LOG_LEVEL, K_RETENTION, K_ANON_DISPLAY,
	K_PUBLIC_URL, K_SMTP_URL, K_SMTP_FROM, K_SMTP_USER, K_SMTP_PASSWORD_FILE, K_SMTP_STARTTLS,
	K_FANOUT_THREADS, K_FANOUT_BATCH, K_TRUSTED_PROXIES, K_ALLOWED_ORIGINS, K_METRICS_ALLOW,
	K_METRICS_TOKEN_FILE, K_MAX_CONNECTIONS, K_MAX_CONN_PER_ADDR, K_MAX_HEADER, K_MAX_URI,
	K_MAX_BODY, K_HANDSHAKE_TIMEOUT, K_WS_MAX_MESSAGE, K_WS_RATE, K_TLS_CERT, K_TLS_KEY, K_BACKFILL_DAYS,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"listen_address", "listen_port", "hub", "web_root", "log_level", "history_retention_days",
	"allow_anonymous_display", "public_url", "smtp_url", "smtp_from", "smtp_user",
	"smtp_password_file", "smtp_starttls", "fanout_threads", "fanout_batch", "trusted_proxies",
	"allowed_origins", "metrics_allow", "metrics_token_file", "max_connections",
	"max_connections_per_address", "max_header_bytes", "max_uri_bytes", "max_body_bytes",
	"handshake_timeout_s", "ws_max_message_bytes", "ws_messages_per_s", "tls_cert_file",
	"tls_key_file", "backfill_days",
};

/* Whole-number keys: their bounds. The lower bounds keep a typo from locking everyone out
 * (a 10-byte header limit) and the upper ones from undoing the limit. */
static const struct {
	enum key_id id;
	int lo, hi;
} int_keys[] = {
	{ K_MAX_CONNECTIONS, 16, 1000000 },
	{ K_MAX_CONN_PER_ADDR, 1, 1000000 },
	{ K_MAX_HEADER, 1024, 65536 },
	{ K_MAX_URI, 256, 16384 },
	{ K_MAX_BODY, 1024, 16 * 1024 * 1024 },
	{ K_HANDSHAKE_TIMEOUT, 1, 300 },
	{ K_WS_MAX_MESSAGE, 256, 1024 * 1024 },
	{ K_WS_RATE, 1, 10000 },
};

static int *int_field(struct cc_config *cfg, enum key_id id)
{
	switch (id) {
	case K_MAX_CONNECTIONS: return &cfg->max_connections;
	case K_MAX_CONN_PER_ADDR: return &cfg->max_connections_per_address;
	case K_MAX_HEADER: return &cfg->max_header_bytes;
	case K_MAX_URI: return &cfg->max_uri_bytes;
	case K_MAX_BODY: return &cfg->max_body_bytes;
	case K_HANDSHAKE_TIMEOUT: return &cfg->handshake_timeout_s;
	case K_WS_MAX_MESSAGE: return &cfg->ws_max_message_bytes;
	case K_WS_RATE: return &cfg->ws_messages_per_s;
	default: return NULL;
	}
}

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_port(struct parse *p, const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 65535)
		return fail(p, "listen_port must be a whole number from 1 to 65535, not '%s'", v);
	*out = (int)n;
	return 0;
}

/* An origin as browsers send it: scheme://host[:port], nothing after. */
static bool origin_ok(const char *o, size_t n)
{
	const char *host;
	size_t i;

	if (n > 7 && !strncmp(o, "http://", 7))
		host = o + 7;
	else if (n > 8 && !strncmp(o, "https://", 8))
		host = o + 8;
	else
		return false;
	for (i = (size_t)(host - o); i < n; i++)
		if (!isalnum((unsigned char)o[i]) && !strchr(".-:[]", o[i]))
			return false;
	return true;
}

static int parse_origins(struct parse *p, struct cc_config *cfg, const char *val)
{
	for (const char *s = val; *s;) {
		size_t n = strcspn(s, ", \t");
		if (!n) {
			s++;
			continue;
		}
		if (!origin_ok(s, n))
			return fail(p, "allowed_origins: '%.*s' is not an origin such as "
				       "https://ops.example.nhs.uk or http://10.1.2.3:8080", (int)n, s);
		cfg->allowed_origins = cc_xrealloc(cfg->allowed_origins,
						   (cfg->n_allowed_origins + 1) * sizeof(char *));
		cfg->allowed_origins[cfg->n_allowed_origins] = cc_xmalloc(n + 1);
		memcpy(cfg->allowed_origins[cfg->n_allowed_origins], s, n);
		cfg->allowed_origins[cfg->n_allowed_origins++][n] = '\0';
		s += n;
	}
	return 0;
}

static int set_key(struct parse *p, struct cc_config *cfg, const char *key, const char *val)
{
	int id;
	struct stat st;

	for (id = 0; id < K_COUNT; id++)
		if (!strcmp(key, key_names[id]))
			break;
	if (id == K_COUNT)
		return fail(p, "unknown key '%s' (see README.md, Configuration, for the keys)", key);
	if (p->seen & (1u << id))
		return fail(p, "key '%s' is set more than once", key);
	p->seen |= 1u << id;
	if (!*val)
		return fail(p, "key '%s' has an empty value", key);

	for (size_t i = 0; i < CC_ARRAY_LEN(int_keys); i++) {
		int64_t n;
		if ((int)int_keys[i].id != id)
			continue;
		if (!cc_parse_int64(val, &n) || n < int_keys[i].lo || n > int_keys[i].hi)
			return fail(p, "%s must be a whole number from %d to %d, not '%s'", key,
				    int_keys[i].lo, int_keys[i].hi, val);
		*int_field(cfg, (enum key_id)id) = (int)n;
		return 0;
	}

	switch (id) {
	case K_TRUSTED_PROXIES:
	case K_METRICS_ALLOW: {
		char why[200];
		struct cc_cidrs *c = cc_cidrs_parse(val, why, sizeof why);
		if (!c)
			return fail(p, "%s: %s (expected addresses or CIDR ranges such as "
				       "10.0.0.0/8, ::1)", key, why);
		if (id == K_TRUSTED_PROXIES) {
			cc_cidrs_destroy(cfg->trusted_proxies);
			cfg->trusted_proxies = c;
		} else {
			cc_cidrs_destroy(cfg->metrics_allow);
			cfg->metrics_allow = c;
		}
		return 0;
	}
	case K_ALLOWED_ORIGINS:
		return parse_origins(p, cfg, val);
	case K_METRICS_TOKEN_FILE:
		/* the token itself never sits in this file or in the logs */
		if (stat(val, &st) || !S_ISREG(st.st_mode))
			return fail(p, "metrics_token_file '%s' is not a readable file", val);
		cfg->metrics_token_file = cc_xstrdup(val);
		return 0;
	case K_LISTEN_ADDRESS: {
		/* lws takes an IP literal or an interface name; refuse anything else here rather
		 * than at bind time */
		unsigned char addr[sizeof(struct in6_addr)];
		if (inet_pton(AF_INET, val, addr) != 1 && inet_pton(AF_INET6, val, addr) != 1 &&
		    !if_nametoindex(val))
			return fail(p, "listen_address must be an IPv4 or IPv6 address or a network "
				       "interface name, not '%s'", val);
		cfg->listen_address = cc_xstrdup(val);
		return 0;
	}
	case K_LISTEN_PORT:
		return parse_port(p, val, &cfg->listen_port);
	case K_HUB:
		if (!strchr(val, '=') && strncmp(val, "postgres", 8))
			return fail(p, "hub must be a libpq connection string such as "
				       "'host=/run/postgresql dbname=commcell', not '%s'", val);
		cfg->hub = cc_xstrdup(val);
		return 0;
	case K_WEB_ROOT:
		if (stat(val, &st) || !S_ISDIR(st.st_mode))
			return fail(p, "web_root '%s' is not a directory", val);
		cfg->web_root = cc_xstrdup(val);
		return 0;
	case K_RETENTION: {
		char *end;
		long n;
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || end == val || *end || n < 1 || n > 36500)
			return fail(p, "history_retention_days must be a whole number of days from 1 "
				       "to 36500, not '%s'", val);
		cfg->history_retention_days = (int)n;
		return 0;
	}
	case K_BACKFILL_DAYS: {
		long n;
		char *end;
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || end == val || *end || n < 0 || n > 400)
			return fail(p, "backfill_days must be a whole number of days from 0 (no "
				       "backfill) to 400, not '%s'", val);
		cfg->backfill_days = (int)n;
		return 0;
	}
	case K_ANON_DISPLAY:
		/* true lets anyone who reaches the port read the board without signing in: for
		 * tests and closed networks only */
		if (!strcmp(val, "true") || !strcmp(val, "yes") || !strcmp(val, "1"))
			cfg->allow_anonymous_display = true;
		else if (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "0"))
			cfg->allow_anonymous_display = false;
		else
			return fail(p, "allow_anonymous_display must be true or false, not '%s'", val);
		return 0;
	case K_PUBLIC_URL:
		if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8))
			return fail(p, "public_url must start with http:// or https://, not '%s'", val);
		cfg->public_url = cc_xstrdup(val);
		if (cfg->public_url[strlen(cfg->public_url) - 1] == '/')
			cfg->public_url[strlen(cfg->public_url) - 1] = '\0';
		return 0;
	case K_SMTP_URL:
		if (strncmp(val, "smtp://", 7) && strncmp(val, "smtps://", 8))
			return fail(p, "smtp_url must look like smtp://host:port or smtps://host:port, "
				       "not '%s'", val);
		cfg->smtp_url = cc_xstrdup(val);
		return 0;
	case K_SMTP_FROM:
		if (!strchr(val, '@') || strpbrk(val, " <>\"\r\n"))
			return fail(p, "smtp_from must be a bare e-mail address, not '%s'", val);
		cfg->smtp_from = cc_xstrdup(val);
		return 0;
	case K_SMTP_USER:
		cfg->smtp_user = cc_xstrdup(val);
		return 0;
	case K_SMTP_PASSWORD_FILE:
		/* the password itself never sits in this file or in the logs */
		if (stat(val, &st) || !S_ISREG(st.st_mode))
			return fail(p, "smtp_password_file '%s' is not a readable file", val);
		cfg->smtp_password_file = cc_xstrdup(val);
		return 0;
	case K_SMTP_STARTTLS:
		if (!strcmp(val, "true") || !strcmp(val, "false")) {
			cfg->smtp_starttls = !strcmp(val, "true");
			return 0;
		}
		return fail(p, "smtp_starttls must be true or false, not '%s'", val);
	case K_FANOUT_THREADS:
	case K_FANOUT_BATCH: {
		int64_t n;
		int lo = id == K_FANOUT_THREADS ? 0 : 1, hi = id == K_FANOUT_THREADS ? 64 : 1000000;
		if (!cc_parse_int64(val, &n) || n < lo || n > hi)
			return fail(p, "%s must be a whole number from %d to %d, not '%s'",
				    key_names[id], lo, hi, val);
		if (id == K_FANOUT_THREADS)
			cfg->fanout_threads = (int)n;
		else
			cfg->fanout_batch = (int)n;
		return 0;
	}
	case K_TLS_CERT:
	case K_TLS_KEY:
		/* whether the pair fits is checked once both are known (end of the file) */
		if (stat(val, &st) || !S_ISREG(st.st_mode))
			return fail(p, "%s '%s' is not a readable file", key, val);
		*(id == K_TLS_CERT ? &cfg->tls_cert_file : &cfg->tls_key_file) = cc_xstrdup(val);
		p->tls_line = p->line;
		return 0;
	case K_LOG_LEVEL:
		if (cc_log_level_parse(val, &cfg->log_level))
			return fail(p, "log_level must be one of error, warn, info, debug, not '%s'", val);
		return 0;
	}
	return 0;
}

struct cc_config *cc_config_parse(const char *name, const char *text, char *err, size_t errlen)
{
	struct parse p = { .name = name, .line = 0, .err = err, .errlen = errlen, .seen = 0 };
	struct cc_config *cfg = cc_xcalloc(1, sizeof *cfg);
	char *copy = cc_xstrdup(text), *cursor = copy, *line;

	cfg->listen_port = 8080;
	cfg->log_level = CC_LOG_INFO;
	cfg->history_retention_days = 400;
	cfg->backfill_days = 42;
	cfg->fanout_threads = -1;
	cfg->fanout_batch = 256;
	cfg->max_connections = 20000;
	cfg->max_connections_per_address = 200;
	cfg->max_header_bytes = 8192;
	cfg->max_uri_bytes = 2048;
	cfg->max_body_bytes = 64 * 1024;
	cfg->handshake_timeout_s = 10;
	cfg->ws_max_message_bytes = 4096;
	cfg->ws_messages_per_s = 10;

	while ((line = strsep(&cursor, "\n"))) {
		char *eq, *key, *val;

		p.line++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			fail(&p, "expected 'key = value', got '%s'", line);
			goto bad;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!*key) {
			fail(&p, "missing key before '='");
			goto bad;
		}
		if (set_key(&p, cfg, key, val))
			goto bad;
	}
	/* a missing key has no line of its own: point at the end of the file */
	if (!cfg->hub) {
		fail(&p, "required key 'hub' (connection string of the hub database) is missing");
		goto bad;
	}
	if (!cfg->web_root) {
		fail(&p, "required key 'web_root' (directory of the web pages) is missing");
		goto bad;
	}
	if (!cfg->tls_cert_file != !cfg->tls_key_file) {
		p.line = p.tls_line;
		fail(&p, "%s is set but %s is not: TLS needs both the certificate and its key",
		     cfg->tls_cert_file ? "tls_cert_file" : "tls_key_file",
		     cfg->tls_cert_file ? "tls_key_file" : "tls_cert_file");
		goto bad;
	}
	if (cfg->tls_cert_file) {
		char why[400];
		if (cc_tls_check_pair(cfg->tls_cert_file, cfg->tls_key_file, why, sizeof why)) {
			p.line = p.tls_line;
			fail(&p, "%s", why);
			goto bad;
		}
	}
	if (!cfg->metrics_allow)
		cfg->metrics_allow = cc_cidrs_parse("127.0.0.0/8 ::1", p.err, p.errlen);
	if (!cfg->trusted_proxies)
		cfg->trusted_proxies = cc_cidrs_parse("", p.err, p.errlen);
	free(copy);
	return cfg;
bad:
	free(copy);
	cc_config_destroy(cfg);
	return NULL;
}

struct cc_config *cc_config_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct cc_config *cfg;
	char *text;
	long size;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (size > 1 << 20) {
		snprintf(err, errlen, "%s: file is larger than 1 MiB; is this the right file?", path);
		fclose(f);
		return NULL;
	}
	text = cc_xmalloc((size_t)size + 1);
	if (fread(text, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[size] = '\0';
	if (strlen(text) != (size_t)size) {
		snprintf(err, errlen, "%s: file contains a NUL byte; is this the right file?", path);
		free(text);
		return NULL;
	}
	cfg = cc_config_parse(path, text, err, errlen);
	free(text);
	return cfg;
}

void cc_config_destroy(struct cc_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->listen_address);
	free(cfg->hub);
	free(cfg->web_root);
	free(cfg->public_url);
	free(cfg->smtp_url);
	free(cfg->smtp_from);
	free(cfg->smtp_user);
	free(cfg->smtp_password_file);
	cc_cidrs_destroy(cfg->trusted_proxies);
	cc_cidrs_destroy(cfg->metrics_allow);
	for (size_t i = 0; i < cfg->n_allowed_origins; i++)
		free(cfg->allowed_origins[i]);
	free(cfg->allowed_origins);
	free(cfg->metrics_token_file);
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg);
}

char *cc_config_public_base(const struct cc_config *cfg)
{
	if (cfg->public_url)
		return cc_xstrdup(cfg->public_url);
	return cc_xasprintf("%s://localhost:%d", cfg->tls_cert_file ? "https" : "http",
			    cfg->listen_port);
}
