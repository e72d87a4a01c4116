/*
 * TLS on commcelld's own port (tls_cert_file, tls_key_file): checking a certificate and key
 * before they are used, and swapping them into the running vhost on SIGHUP. lws owns the
 * SSL_CTX; connections already open keep the certificate they were accepted with.
 */
#ifndef CC_TLS_H
#define CC_TLS_H

#include <libwebsockets.h>
#include <stddef.h>

/* The PEM certificate (chain) at cert and the PEM private key at key can be read and belong
 * together. Otherwise -1 and a one-line reason (no file name prefix) in err. */
int cc_tls_check_pair(const char *cert, const char *key, char *err, size_t errlen);

/* "serial 1A2B..., expires 2027-12-03 12:00:00 UTC" for the first certificate in cert, for
 * the log. An empty string when it cannot be read. */
void cc_tls_describe(const char *cert, char *out, size_t outlen);

/* Check the pair again, then load it into every vhost of ctx that was created with these two
 * paths. New connections get it; open ones keep theirs. -1 with a reason when the pair is bad
 * (the running certificate is untouched then). */
int cc_tls_reload(struct lws_context *ctx, const char *cert, const char *key, char *err,
		  size_t errlen);

#endif
