#include "access.h"
#include "secret.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ORIGIN_MAX 256

struct cc_access {
	char **origins;             /* normalised */
	size_t n_origins;
	const struct cc_cidrs *metrics_allow;
	char token_hash[CC_SECRET_HASH_LEN + 1];   /* "" when there is no token */
};

/* "HTTP://Host:80/" -> "http://host"; false when it is not an http(s) origin. */
static bool normalise(const char *in, char *out, size_t outlen)
{
	const char *host, *end, *port = NULL;
	bool https;
	size_t o = 0, n;

	if (!in)
		return false;
	if (!strncasecmp(in, "http://", 7)) {
		https = false;
		host = in + 7;
	} else if (!strncasecmp(in, "https://", 8)) {
		https = true;
		host = in + 8;
	} else
		return false;
	end = host + strcspn(host, "/?#");
	if (*end == '/' && end[1])   /* an origin has no path; allow only a lone trailing '/' */
		return false;
	if (*end && *end != '/')
		return false;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		if (!close)
			return false;
		if (close + 1 < end) {
			if (close[1] != ':')
				return false;
			port = close + 2;
		}
		n = (size_t)((port ? port - 1 : end) - host);
	} else {
		const char *colon = memchr(host, ':', (size_t)(end - host));
		if (colon)
			port = colon + 1;
		n = (size_t)((colon ? colon : end) - host);
	}
	if (!n || n > ORIGIN_MAX / 2)
		return false;
	o = (size_t)snprintf(out, outlen, "%s://", https ? "https" : "http");
	if (o + n + 1 > outlen)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)host[i];
		if (!isalnum(c) && !strchr(".-[]:", c))
			return false;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
	if (port) {
		char *stop;
		long p;
		size_t plen = (size_t)(end - port);
		if (!plen || plen > 5 || !isdigit((unsigned char)*port))
			return false;
		p = strtol(port, &stop, 10);
		if (stop != end || p < 1 || p > 65535)
			return false;
		if (p != (https ? 443 : 80))
			snprintf(out + o, outlen - o, ":%ld", p);
	}
	return true;
}

static void add_origin(struct cc_access *a, const char *origin)
{
	char norm[ORIGIN_MAX];

	if (!normalise(origin, norm, sizeof norm))
		return;
	a->origins = cc_xrealloc(a->origins, (a->n_origins + 1) * sizeof *a->origins);
	a->origins[a->n_origins++] = cc_xstrdup(norm);
}

static int read_token(struct cc_access *a, const char *path, char *err, size_t errlen)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "metrics_token_file %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 16) {
		snprintf(err, errlen, "metrics_token_file %s: the token on its first line must have "
				      "at least 16 characters", path);
		return -1;
	}
	cc_secret_hash(buf, a->token_hash, sizeof a->token_hash);
	memset(buf, 0, sizeof buf);
	return 0;
}

struct cc_access *cc_access_create(const struct cc_config *cfg, char *err, size_t errlen)
{
	struct cc_access *a = cc_xcalloc(1, sizeof *a);

	a->metrics_allow = cfg->metrics_allow;
	if (cfg->public_url) {
		/* public_url may carry a path ("https://ops.example/commcell/"): keep its origin */
		char origin[ORIGIN_MAX];
		const char *p = strstr(cfg->public_url, "://");
		size_t n = p ? (size_t)(p + 3 - cfg->public_url) + strcspn(p + 3, "/?#") : 0;
		if (n && n < sizeof origin) {
			memcpy(origin, cfg->public_url, n);
			origin[n] = '\0';
			add_origin(a, origin);
		}
	} else {
		static const char *const local[] = { "localhost", "127.0.0.1", "[::1]" };
		for (size_t i = 0; i < CC_ARRAY_LEN(local); i++) {
			char origin[ORIGIN_MAX];
			snprintf(origin, sizeof origin, "%s://%s:%d",
				 cfg->tls_cert_file ? "https" : "http", local[i], cfg->listen_port);
			add_origin(a, origin);
		}
	}
	for (size_t i = 0; i < cfg->n_allowed_origins; i++)
		add_origin(a, cfg->allowed_origins[i]);
	if (cfg->metrics_token_file && read_token(a, cfg->metrics_token_file, err, errlen)) {
		cc_access_destroy(a);
		return NULL;
	}
	return a;
}

void cc_access_destroy(struct cc_access *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_origins; i++)
		free(a->origins[i]);
	free(a->origins);
	free(a);
}

bool cc_access_origin_ok(const struct cc_access *a, const char *origin)
{
	char norm[ORIGIN_MAX];

	if (!normalise(origin, norm, sizeof norm))
		return false;
	for (size_t i = 0; i < a->n_origins; i++)
		if (!strcmp(a->origins[i], norm))
			return true;
	return false;
}

bool cc_access_metrics_ok(const struct cc_access *a, const char *peer, const char *authorization)
{
	char hash[CC_SECRET_HASH_LEN + 1];

	if (peer && cc_cidrs_match(a->metrics_allow, peer))
		return true;
	if (!a->token_hash[0] || !authorization || strncasecmp(authorization, "Bearer ", 7))
		return false;
	/* compare hashes: equal length whatever was sent, and constant time */
	cc_secret_hash(authorization + 7 + strspn(authorization + 7, " "), hash, sizeof hash);
	return cc_secret_equal(hash, a->token_hash);
}
