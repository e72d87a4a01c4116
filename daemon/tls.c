#include "tls.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* OpenSSL's reason for the first failure in its queue (the later ones only wrap it). */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

static int readable(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s '%s' cannot be read: %s", what, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/*
 * A scratch SSL_CTX does the loading the way lws will (a chain file, a PEM key), so what passes
 * here is what lws accepts; it also tells a key of another certificate from a broken file.
 */
int cc_tls_check_pair(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int rc = -1;

	if (readable("tls_cert_file", cert, err, errlen) || readable("tls_key_file", key, err, errlen))
		return -1;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS set-up failed: %s", ossl_reason());
		return -1;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		snprintf(err, errlen, "tls_cert_file '%s' holds no usable PEM certificate: %s", cert,
			 ossl_reason());
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(err, errlen, "tls_key_file '%s' does not match the certificate in "
					      "tls_cert_file '%s' (a key of another certificate?)", key,
				 cert);
		else
			snprintf(err, errlen, "tls_key_file '%s' holds no usable PEM private key: %s",
				 key, ossl_reason());
		ERR_clear_error();
	} else if (SSL_CTX_check_private_key(ctx) != 1)
		snprintf(err, errlen, "tls_key_file '%s' does not match the certificate in "
				      "tls_cert_file '%s'", key, cert);
	else
		rc = 0;
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

void cc_tls_describe(const char *cert, char *out, size_t outlen)
{
	FILE *f = fopen(cert, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	struct tm tm;
	char when[40] = "?";

	if (f)
		fclose(f);
	cc_strlcpy(out, "", outlen);
	if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (hex)
		snprintf(out, outlen, "serial %s, expires %s", hex, when);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	ERR_clear_error();
}

int cc_tls_reload(struct lws_context *ctx, const char *cert, const char *key, char *err,
		  size_t errlen)
{
	/* lws loads the certificate before the key and gives no way back: a key that does not
	 * fit would leave the vhost with neither. Only a checked pair is handed to it. */
	if (cc_tls_check_pair(cert, key, err, errlen))
		return -1;
	/* lws 4.1 matches vhosts by the paths they were created with and reads the files again */
	lws_tls_cert_updated(ctx, cert, key, NULL, 0, NULL, 0);
	return 0;
}
