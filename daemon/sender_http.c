/* Webhook delivery: one signed JSON POST per notification. */
#include "sender_int.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_SHOWN 200

static void judge(struct cc_curl_job *j, CURLcode rc, bool *ok, char *detail, size_t len)
{
	long status = 0;
	char body[BODY_SHOWN * 2];
	size_t n;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	/* a body cut short by us (too long) still has a status worth judging */
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && j->body_cut && status > 0)) {
		*ok = false;
		cc_sender_curl_error(j, rc, detail, len);
		return;
	}
	*ok = status >= 200 && status <= 299;
	n = (size_t)snprintf(detail, len, "HTTP %ld", status);
	if (n >= len)
		return;
	body[0] = '\0';
	cc_sender_tidy(body, sizeof body, j->body, j->body_len);
	if (body[0])
		snprintf(detail + n, len - n, ": %s%s", body,
			 j->body_seen > j->body_len ? " \u2026" : "");
}

/* "sha256=" and the lowercase hex HMAC-SHA256 of body under secret; out needs 72 bytes. */
static int sign(const char *secret, const char *body, size_t len, char out[72])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	/* libsodium's HMAC takes a key of any length (longer ones are hashed, as RFC 2104 says) */
	if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len) ||
	    crypto_auth_hmacsha256_final(&st, mac))
		return -1;
	sodium_memzero(&st, sizeof st);
	p += sprintf(p, "sha256=");
	for (unsigned i = 0; i < sizeof mac; i++) {
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 15];
	}
	*p = '\0';
	return 0;
}

static int add_header(struct cc_curl_job *j, const char *line)
{
	struct curl_slist *l = curl_slist_append(j->headers, line);

	if (!l)
		return -1;
	j->headers = l;
	return 0;
}

int cc_sender_webhook(struct cc_sender *s, const char *url, const char *body,
		      const char *dedup_key, const char *secret, int timeout_ms, cc_send_done done,
		      void *arg)
{
	struct cc_curl_job *j;
	char sig[72 + 32];
	char *line;
	int bad = 0;

	if (!s || s->dying || !url || !*url || !body ||
	    (dedup_key && !cc_sender_header_safe(dedup_key)))
		return -1;
	j = cc_sender_curl_job_new(s, timeout_ms);
	if (!j)
		return -1;
	j->payload_len = strlen(body);
	j->payload = cc_xstrdup(body);

	bad |= add_header(j, "Content-Type: application/json");
	bad |= add_header(j, "Expect:");        /* no 100-continue round trip for big bodies */
	if (dedup_key && *dedup_key) {
		line = cc_xasprintf("X-Commcell-Dedup-Key: %s", dedup_key);
		bad |= add_header(j, line);
		free(line);
	}
	if (secret) {
		char mac[72];
		if (sign(secret, j->payload, j->payload_len, mac)) {
			bad = 1;
		} else {
			snprintf(sig, sizeof sig, "X-Commcell-Signature: %s", mac);
			bad |= add_header(j, sig);
		}
	}
	bad |= curl_easy_setopt(j->easy, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "commcelld") != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->payload) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				(curl_off_t)j->payload_len) != CURLE_OK;
	if (bad) {
		cc_sender_curl_job_free(j);
		return -1;
	}
	j->judge = judge;
	return cc_sender_curl_start(s, j, done, arg);
}
